/** Validation of a device authorization answer (RFC 8628 §3.2) into the plugin's DeviceAuthorization. */
import { z } from 'zod';
import { PluginError } from '../../plugin/errors';
import type { DeviceAuthorization } from '../../plugin/ports/oauth-client';

/** RFC 8628 §3.2: a client polls every 5 seconds when the answer names no interval. */
const DEFAULT_INTERVAL_SECONDS = 5;

const Seconds = z.union([z.number().int().positive(), z.string().regex(/^\d+$/).transform(Number)]);

const DeviceAuthorizationAnswer = z.object({
  device_code: z.string().min(1),
  user_code: z.string().min(1).max(64),
  verification_uri: z.string().url().optional(),
  // Google's name for the same field.
  verification_url: z.string().url().optional(),
  verification_uri_complete: z.string().url().optional(),
  expires_in: Seconds,
  interval: Seconds.optional(),
  message: z.string().max(1000).optional(),
});

/**
 * @param body - the parsed JSON of a 2xx answer (anything)
 * @throws PluginError ERR_TOKEN_RESPONSE_INVALID naming the bad fields, never their values
 */
export function parseDeviceAuthorization(body: unknown): DeviceAuthorization {
  const parsed = DeviceAuthorizationAnswer.safeParse(body);
  const answer = parsed.success ? parsed.data : null;
  const verificationUri = answer?.verification_uri ?? answer?.verification_url;
  if (!answer || !verificationUri) {
    const fields = parsed.success ? ['verification_uri'] : parsed.error.issues.map((issue) => issue.path.join('.'));
    throw new PluginError(
      'ERR_TOKEN_RESPONSE_INVALID',
      `The device authorization endpoint answered without a usable device code (${fields.join(', ') || 'body'}).`,
      { fields },
    );
  }
  return {
    deviceCode: answer.device_code,
    userCode: answer.user_code,
    verificationUri,
    verificationUriComplete: answer.verification_uri_complete ?? null,
    expiresInSeconds: answer.expires_in,
    intervalSeconds: answer.interval ?? DEFAULT_INTERVAL_SECONDS,
    message: answer.message ?? null,
  };
}
