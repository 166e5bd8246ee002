/**
 * Signs in to the reference host over HTTP and submits its admin forms, the way a browser would (session cookie,
 * CSRF field). The demo pre-fills the app registration and the mail account through the plugin's own screen.
 */

/** One answer. */
export interface HttpAnswer {
  readonly status: number;
  readonly location: string | null;
  readonly text: string;
}

function cookiesOf(response: Response): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of response.headers.getSetCookie()) {
    const [pair] = line.split(';');
    const index = pair?.indexOf('=') ?? -1;
    if (pair && index > 0) out[pair.slice(0, index).trim()] = pair.slice(index + 1).trim();
  }
  return out;
}

function csrfIn(page: string): string {
  const match = /name="_csrf" value="([^"]+)"/.exec(page);
  if (!match?.[1]) throw new Error('no CSRF token on the page');
  return match[1];
}

/** A signed-in admin session. */
export class AdminHttpClient {
  private constructor(
    private readonly baseUrl: string,
    private readonly cookies: Record<string, string>,
    private readonly csrf: string,
  ) {}

  /**
   * Signs in.
   * @throws Error when the credentials are refused
   */
  static async signIn(baseUrl: string, email: string, password: string): Promise<AdminHttpClient> {
    const form = await fetch(`${baseUrl}/login`, { redirect: 'manual' });
    const loginCookies = cookiesOf(form);
    const body = new URLSearchParams({ _csrf: csrfIn(await form.text()), email, password, next: '' });
    const signedIn = await fetch(`${baseUrl}/login`, {
      method: 'POST',
      redirect: 'manual',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        cookie: Object.entries(loginCookies)
          .map(([k, v]) => `${k}=${v}`)
          .join('; '),
      },
      body,
    });
    const session = cookiesOf(signedIn);
    if (signedIn.status !== 303 || !session.sid)
      throw new Error(`sign-in as ${email} failed (HTTP ${signedIn.status})`);
    const home = await fetch(`${baseUrl}/`, { headers: { cookie: `sid=${session.sid}` } });
    return new AdminHttpClient(baseUrl, { sid: session.sid }, csrfIn(await home.text()));
  }

  private cookieHeader(): string {
    return Object.entries(this.cookies)
      .map(([k, v]) => `${k}=${v}`)
      .join('; ');
  }

  /** GET a host path. */
  async get(path: string): Promise<HttpAnswer> {
    const response = await fetch(`${this.baseUrl}${path}`, {
      redirect: 'manual',
      headers: { cookie: this.cookieHeader() },
    });
    return { status: response.status, location: response.headers.get('location'), text: await response.text() };
  }

  /** POST a form (the CSRF field is added). */
  async postForm(path: string, fields: Readonly<Record<string, string>>): Promise<HttpAnswer> {
    const response = await fetch(`${this.baseUrl}${path}`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: this.cookieHeader() },
      body: new URLSearchParams({ ...fields, _csrf: this.csrf }),
    });
    return { status: response.status, location: response.headers.get('location'), text: await response.text() };
  }
}
