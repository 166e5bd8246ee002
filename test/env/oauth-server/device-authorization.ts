// The device authorization answer (RFC 8628 §3.2) in the imitated provider's shape: oidc-provider's answer plus the
// `interval` it leaves out; Microsoft adds a `message` and has no verification_uri_complete, Google calls the page
// `verification_url`.
import type { ServerContext } from './context';

/** The device code grant type. */
export const DEVICE_CODE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';

/** The answer of the device authorization endpoint, reshaped like the profile's provider. */
export function shapeDeviceAuthorization(ctx: ServerContext, body: Record<string, unknown>): Record<string, unknown> {
  ctx.stats.deviceAuthorizationRequests += 1;
  const { verification_uri: uri, verification_uri_complete: _complete, ...rest } = body;
  const interval = ctx.deviceFlow.intervalSeconds;
  if (ctx.profileName === 'google') return { ...rest, verification_url: uri, interval };
  const message =
    `To sign in, use a web browser to open the page ${String(uri)} ` +
    `and enter the code ${String(body.user_code)} to authenticate.`;
  return { ...rest, verification_uri: uri, interval, message };
}
