/** Validation of a token endpoint's success answer (RFC 6749 §5.1) into the plugin's TokenSet. */
import { z } from 'zod';
import { PluginError } from '../../plugin/errors';
import type { TokenSet } from '../../plugin/ports/oauth-client';

/** When a response has no `expires_in` (it is only RECOMMENDED), the token is treated as valid for this long. */
const DEFAULT_LIFETIME_SECONDS = 3600;

/** Seconds as a JSON number or as a string of digits ("3599"); anything else is refused. */
const Seconds = z.unknown().transform((value, ctx): number | undefined => {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'number' && Number.isFinite(value) && value > 0) return value;
  if (typeof value === 'string' && /^\d+$/.test(value) && Number(value) > 0) return Number(value);
  ctx.addIssue({ code: 'custom', message: 'must be a positive number of seconds' });
  return z.NEVER;
});

/** The fields of a token response the plugin reads; others are ignored. */
export const TokenResponseSchema = z.object({
  access_token: z.string().min(1, 'is empty'),
  token_type: z
    .string()
    .regex(/^bearer$/i, 'must be Bearer')
    .optional(),
  expires_in: Seconds,
  refresh_token: z.string().min(1, 'is empty').nullish(),
  scope: z.string().nullish(),
  id_token: z.string().min(1, 'is empty').nullish(),
});

/**
 * Turns the parsed body of a 2xx token response into a {@link TokenSet}.
 * @param body - the parsed JSON (anything: null, an array, a string …)
 * @param now - epoch ms the response arrived
 * @throws PluginError ERR_TOKEN_RESPONSE_INVALID naming the bad fields, never their values
 */
export function parseTokenResponse(body: unknown, now: number): TokenSet {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new PluginError(
      'ERR_TOKEN_RESPONSE_INVALID',
      'The token endpoint answered without a JSON object (empty or unreadable body).',
      { problem: 'not_an_object' },
    );
  }
  const result = TokenResponseSchema.safeParse(body);
  if (!result.success) {
    const present = body as Record<string, unknown>;
    const fields = result.error.issues.map((issue) => {
      const field = issue.path.join('.') || '(body)';
      if (issue.path.length === 1 && present[String(issue.path[0])] === undefined) return `${field} is missing`;
      return `${field} ${issue.code === 'invalid_type' ? 'has the wrong type' : issue.message}`;
    });
    throw new PluginError(
      'ERR_TOKEN_RESPONSE_INVALID',
      `The token endpoint answered without a usable token: ${fields.join('; ')}.`,
      { fields },
    );
  }
  const token = result.data;
  return {
    accessToken: token.access_token,
    refreshToken: token.refresh_token ?? null,
    expiresAt: now + Math.floor(token.expires_in ?? DEFAULT_LIFETIME_SECONDS) * 1000,
    scope: token.scope ?? null,
    idToken: token.id_token ?? null,
    tokenType: 'Bearer',
  };
}
