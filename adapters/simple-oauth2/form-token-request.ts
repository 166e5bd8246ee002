/**
 * Token-endpoint requests that simple-oauth2 cannot make as they must be made (docs/providers.md#simple-oauth2-traps):
 * it always adds `client_id` and `client_secret` (empty when there is none) to the body or a Basic header, while a
 * request authenticated by a client assertion must carry no secret at all, and the JWT bearer grant carries no client
 * authentication. One form POST with exactly the parameters given, the client authentication chosen per app, the
 * same timeout, CA and size cap as every other provider call, and the answer mapped like simple-oauth2's.
 */
import { PluginError } from '../../plugin/errors';
import type { ClientAuthMethod } from '../../plugin/ports/oauth-client';
import { httpRequest, isJsonMediaType } from '../http/http-request';
import type { AgentGuard } from '../http/trusted-agent';
import { errorFromAnswer, providerTransportError } from './provider-error';

/** RFC 7523 §2.2: the `client_assertion_type` of a JWT client assertion. */
export const CLIENT_ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

/** How a form request authenticates the client; null sends no client authentication. */
export interface FormClientAuth {
  readonly method: ClientAuthMethod;
  readonly clientId: string;
  readonly clientSecret: string;
  readonly clientAssertion?: string | null;
}

/** The answer: HTTP status and the parsed JSON body (undefined when the body was not JSON). */
export interface FormAnswer {
  readonly status: number;
  readonly body: unknown;
}

/** `application/x-www-form-urlencoded` as RFC 6749 Appendix B encodes a Basic credential's parts. */
function formEncode(value: string): string {
  return encodeURIComponent(value).replace(/%20/g, '+');
}

/** Sends form POSTs to provider endpoints. */
export class FormTokenRequest {
  /** @param options - request timeout and an extra trusted CA */
  constructor(
    private readonly options: {
      readonly timeoutMs: number;
      readonly caCertPem: string | null;
      /** The network policy its connections obey (the OAuth client's). */
      readonly guard?: AgentGuard;
    },
  ) {}

  /**
   * POSTs `params` (plus the client authentication) to `url`.
   * @param what - the endpoint in words, for messages ("The token endpoint")
   * @throws PluginError ERR_PROVIDER_UNAVAILABLE on a transport failure; ERR_PROVIDER_CONFIG for a private_key_jwt
   *   request without an assertion
   */
  async post(
    what: string,
    url: string,
    params: Readonly<Record<string, string>>,
    auth: FormClientAuth | null,
  ): Promise<FormAnswer> {
    const form = new URLSearchParams(params);
    const headers: Record<string, string> = { 'Content-Type': 'application/x-www-form-urlencoded' };
    if (auth?.method === 'private_key_jwt') {
      if (!auth.clientAssertion)
        throw new PluginError('ERR_PROVIDER_CONFIG', `${what}: no client assertion was made for the certificate.`, {});
      form.set('client_id', auth.clientId);
      form.set('client_assertion_type', CLIENT_ASSERTION_TYPE);
      form.set('client_assertion', auth.clientAssertion);
    } else if (auth?.method === 'client_secret_basic') {
      const credentials = `${formEncode(auth.clientId)}:${formEncode(auth.clientSecret)}`;
      headers.Authorization = `Basic ${Buffer.from(credentials).toString('base64')}`;
    } else if (auth) {
      form.set('client_id', auth.clientId);
      form.set('client_secret', auth.clientSecret);
    }
    let response;
    try {
      response = await httpRequest({
        method: 'POST',
        url,
        headers,
        body: form.toString(),
        timeoutMs: this.options.timeoutMs,
        caCertPem: this.options.caCertPem,
        ...(this.options.guard ? { guard: this.options.guard } : {}),
      });
    } catch (error) {
      throw providerTransportError(what, error);
    }
    let body: unknown = undefined;
    if (isJsonMediaType(response.mediaType) && response.body.length > 0) {
      try {
        body = JSON.parse(response.body.toString('utf8'));
      } catch {
        body = undefined;
      }
    }
    return { status: response.status, body };
  }

  /**
   * The error of a non-2xx answer, as simple-oauth2's Boom errors are mapped.
   * @param what - the endpoint in words
   */
  static errorOf(what: string, answer: FormAnswer): PluginError {
    if (
      answer.body === undefined &&
      answer.status >= 400 &&
      answer.status < 500 &&
      ![401, 404, 405].includes(answer.status)
    )
      return new PluginError(
        'ERR_PROVIDER_UNAVAILABLE',
        `${what} answered HTTP ${answer.status} with a body that is not JSON (an error page).`,
        { httpStatus: answer.status, problem: 'not_json' },
      );
    return errorFromAnswer(what, answer.status, answer.body);
  }
}
