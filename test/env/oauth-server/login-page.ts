import escapeHtml from 'escape-html';

/**
 * The sign-in page. Its ids are what browsers in tests select: #login (pre-filled from login_hint), #password,
 * #submit, and #abort (Cancel, giving error=access_denied); completeAuthorization finds the forms by
 * #login-form and #abort-form.
 */
export function loginPage(profileName: string, uid: string, loginHint: string | undefined, error?: string): string {
  return `<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>Sign in - test ${escapeHtml(profileName)} identity provider</title></head>
<body>
<h1>Sign in</h1>
${error ? `<p id="error" role="alert">${escapeHtml(error)}</p>` : ''}
<form id="login-form" method="post" action="/interaction/${escapeHtml(uid)}/login" autocomplete="off">
  <label for="login">Email or login</label>
  <input id="login" name="login" type="text" value="${escapeHtml(loginHint ?? '')}" required>
  <label for="password">Password</label>
  <input id="password" name="password" type="password" required>
  <button id="submit" type="submit">Sign in</button>
</form>
<form id="abort-form" method="post" action="/interaction/${escapeHtml(uid)}/abort">
  <button id="abort" type="submit">Cancel</button>
</form>
</body></html>`;
}

/** oidc-provider's error page: each field of `out` in a <pre id="<field>">. */
export function errorPage(out: Record<string, unknown>): string {
  const fields = Object.entries(out)
    .map(([k, v]) => `<pre id="${escapeHtml(k)}"><strong>${escapeHtml(k)}</strong>: ${escapeHtml(String(v))}</pre>`)
    .join('');
  return `<!DOCTYPE html><html><head><meta charset="utf-8"><title>Sign-in error</title></head><body><h1>Sign-in error</h1>${fields}</body></html>`;
}
