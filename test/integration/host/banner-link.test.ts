/**
 * A notification's `path` is a plugin route path: the banner's Fix link opens it under the plugin's mount point
 * (`/plugins/<id>/…`), and that page answers an admin with 200.
 */
import { openWebHost, WEB_ADMIN, type WebHost } from './web-host';

jest.setTimeout(120_000);

let web: WebHost;

beforeAll(async () => {
  web = await openWebHost({ plugin: true });
}, 300_000);

afterAll(async () => {
  await web?.stop();
});

/** The href of the Fix link of the banner titled `title`. */
function fixLink(page: string, title: string): string | undefined {
  const banner = page.split('<div class="banner').find((part) => part.includes(`<strong>${title}</strong>`));
  return banner ? /<a href="([^"]*)">Fix<\/a>/.exec(banner)?.[1] : undefined;
}

describe('banner Fix link', () => {
  it('opens the plugin screen the notification names, under the plugin mount', async () => {
    await web.host.notifications.notify('oauth2-mail', {
      key: 'test:banner',
      severity: 'error',
      title: 'Mailbox needs re-authorization',
      message: 'Re-authorize it.',
      path: '/accounts',
    });
    const admin = web.client();
    expect((await admin.signIn(WEB_ADMIN.email, WEB_ADMIN.password)).status).toBe(303);
    const overview = await admin.request('/');
    expect(overview.status).toBe(200);
    const href = fixLink(overview.body, 'Mailbox needs re-authorization');
    expect(href).toBe('/plugins/oauth2-mail/accounts');
    const screen = await admin.request(href as string);
    expect(screen.status).toBe(200);
    expect(screen.body).toContain('Mail accounts');
  });

  it('shows no Fix link for a path that is not a plugin route path', async () => {
    await web.host.notifications.notify('oauth2-mail', {
      key: 'test:banner-offsite',
      severity: 'warning',
      title: 'Offsite path',
      message: 'x',
      path: '//evil.example/',
    });
    const admin = web.client();
    await admin.signIn(WEB_ADMIN.email, WEB_ADMIN.password);
    const overview = await admin.request('/');
    expect(overview.body).toContain('<strong>Offsite path</strong>');
    expect(fixLink(overview.body, 'Offsite path')).toBeUndefined();
  });
});
