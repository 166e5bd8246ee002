/** The admin shell's page layout: menu (host pages + plugin admin screens), notification banners, sign-out form. */
import type { HostUser } from '../auth/user-store';
import { html, type SafeHtml } from '../../lib/html';
import type { HostNotification } from '../notifications';

/** One menu entry. */
export interface MenuEntry {
  readonly title: string;
  readonly href: string;
}

/** What a page needs around its body. */
export interface LayoutInput {
  readonly title: string;
  readonly body: SafeHtml;
  /** The signed-in user, if any. */
  readonly user?: HostUser;
  /** The session's CSRF token, for the sign-out form. */
  readonly csrfToken?: string;
  readonly menu?: readonly MenuEntry[];
  /** Open notifications; each `path` already a host path (see pluginPagePath), or null for no Fix link. */
  readonly banners?: readonly HostNotification[];
  /** A one-time notice for the signed-in user (e.g. failed sign-ins since the previous sign-in). */
  readonly notice?: string | null;
}

const STYLE = `
body{font-family:system-ui,sans-serif;margin:0;color:#1d2430;background:#f6f7f9}
header{display:flex;align-items:center;gap:1.5rem;padding:.6rem 1.2rem;background:#1d2430;color:#fff}
header a{color:#fff;text-decoration:none}
header nav{display:flex;gap:1rem;flex:1}
header form{margin:0}
header button{background:none;border:1px solid #fff;color:#fff;border-radius:4px;padding:.2rem .6rem;cursor:pointer}
main{padding:1.2rem;max-width:72rem}
table{border-collapse:collapse;width:100%;background:#fff}
th,td{border-bottom:1px solid #dde1e6;padding:.4rem .6rem;text-align:left;vertical-align:top}
.banner{padding:.6rem 1rem;margin:.6rem 1.2rem 0;border-radius:4px;border:1px solid}
.banner.error{background:#fdecea;border-color:#e0a8a2}
.banner.warning{background:#fff6e0;border-color:#e6c66e}
.banner.info{background:#e8f1fb;border-color:#9cc0e6}
.muted{color:#687385}
form.login{display:grid;gap:.6rem;max-width:20rem}
form.login input{padding:.4rem}
.error-text{color:#a32116}
dl.headers{display:grid;grid-template-columns:max-content 1fr;gap:.2rem 1rem;margin:0 0 1rem}
dl.headers dt{font-weight:600}
dl.headers dd{margin:0}
pre.mail-body{white-space:pre-wrap;overflow-wrap:anywhere;background:#fff;border:1px solid #dde1e6;padding:.8rem}
ol.replies{padding-left:1.2rem}
ol.replies li{margin-bottom:1rem}
.state{font-weight:600;text-transform:uppercase;font-size:.8rem}
.state.sent{color:#1e7b34}
.state.failed{color:#a32116}
.state.queued,.state.sending{color:#8a5a00}
#reply-form textarea{width:100%;max-width:48rem;font:inherit}`;

function signedInUser(user: HostUser | undefined, csrfToken: string | undefined): SafeHtml {
  if (!user) return html``;
  return html`<span class="muted">${user.email} (${user.role})</span>
<form method="post" action="/logout">
<input type="hidden" name="_csrf" value="${csrfToken ?? ''}">
<button type="submit">Sign out</button>
</form>`;
}

function banner(notification: HostNotification): SafeHtml {
  const { severity, occurrences, path } = notification;
  const role = severity === 'error' ? 'alert' : 'status';
  const times = occurrences > 1 ? html` <span class="muted">(${occurrences} times)</span>` : '';
  const fix = path ? html` <a href="${path}">Fix</a>` : '';
  return html`<div class="banner ${severity}" role="${role}">
<strong>${notification.title}</strong> ${notification.message}${times}${fix}
</div>`;
}

/**
 * Renders a full HTML page.
 * @param input - title, body, user, menu, banners
 */
export function renderLayout(input: LayoutInput): string {
  const menu = input.menu ?? [];
  const banners = input.banners ?? [];
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${input.title} · Helpdesk</title>
<style>${STYLE}</style>
</head>
<body>
<header>
<strong><a href="/">Helpdesk</a></strong>
<nav>${menu.map((entry) => html`<a href="${entry.href}">${entry.title}</a>`)}</nav>
${signedInUser(input.user, input.csrfToken)}
</header>
${input.notice ? html`<div class="banner warning" role="status" id="session-notice">${input.notice}</div>` : ''}
${banners.map(banner)}
<main>
<h1>${input.title}</h1>
${input.body}
</main>
</body>
</html>`.value;
}
