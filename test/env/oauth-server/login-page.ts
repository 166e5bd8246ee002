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

/**
 * The device flow's pages (oidc-provider's `userCodeInputSource`, `userCodeConfirmSource`, `successSource`):
 * oidc-provider's own forms (`op.deviceInputForm`, `op.deviceConfirmForm`, with their xsrf field) inside pages with
 * stable ids, which completeDeviceAuthorization reads: #device-input, #device-confirm (#device-continue,
 * #device-abort), #device-success, #device-error.
 */
export function deviceInputPage(form: string, error: string | null): string {
  const message = error ? `<p id="device-error" role="alert">${escapeHtml(error)}</p>` : '<p>Enter the code.</p>';
  return `<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>Device sign-in - test identity provider</title></head>
<body id="device-input">
<h1>Enter the code shown on your device</h1>
${message}
${form}
<button id="device-submit" type="submit" form="op.deviceInputForm">Continue</button>
</body></html>`;
}

export function deviceConfirmPage(form: string, clientName: string, userCode: string): string {
  return `<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>Confirm the device - test identity provider</title></head>
<body id="device-confirm">
<h1>Sign in ${escapeHtml(clientName)}?</h1>
<p>Code <code id="device-user-code">${escapeHtml(userCode)}</code></p>
${form}
<button id="device-continue" type="submit" form="op.deviceConfirmForm">Continue</button>
<button id="device-abort" type="submit" form="op.deviceConfirmForm" name="abort" value="yes">Abort</button>
</body></html>`;
}

export function deviceSuccessPage(): string {
  return `<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>Signed in - test identity provider</title></head>
<body id="device-success"><h1>You are signed in</h1><p>You can close this page.</p></body></html>`;
}
