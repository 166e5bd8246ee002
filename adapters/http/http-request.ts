/**
 * One small HTTP client for the provider calls simple-oauth2 does not make (discovery, JWKS, userinfo,
 * revocation): a timeout on every request, a size cap, an optional extra CA, no redirects followed.
 */
import http from 'node:http';
import https from 'node:https';
import { RefusedAddressError, REFUSED_ADDRESS_CODE } from '../../lib/net/guarded-lookup';
import { trustedAgentFor, type AgentGuard } from './trusted-agent';

/** What the server answered. */
export interface HttpResponse {
  readonly status: number;
  /** The media type without parameters, lower case ('' when absent). */
  readonly mediaType: string;
  readonly body: Buffer;
}

/** A request. */
export interface HttpRequest {
  readonly method: 'GET' | 'POST';
  readonly url: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: string;
  readonly timeoutMs: number;
  readonly caCertPem?: string | null;
  /** Bodies larger than this fail the request (default 1 MiB). */
  readonly maxBytes?: number;
  /** The network policy host names resolve under (default: no private networks). */
  readonly guard?: AgentGuard;
}

/** Why a request failed before any HTTP status arrived. */
export class HttpTransportError extends Error {
  /** `timeout`, `too_large`, REFUSED_ADDRESS_CODE (the network policy) or the socket error code (ECONNREFUSED, …). */
  readonly reason: string;

  /**
   * @param reason - short machine-readable reason
   * @param message - secret-free words
   */
  constructor(reason: string, message: string) {
    super(message);
    this.name = 'HttpTransportError';
    this.reason = reason;
  }
}

/**
 * Sends one request and reads the whole body.
 * @throws HttpTransportError on timeout, network or TLS failure, or an oversized body
 */
export function httpRequest(request: HttpRequest): Promise<HttpResponse> {
  const url = new URL(request.url);
  const transport = url.protocol === 'https:' ? https : http;
  const maxBytes = request.maxBytes ?? 1024 * 1024;
  return new Promise<HttpResponse>((resolve, reject) => {
    const req = transport.request(
      url,
      {
        method: request.method,
        headers: {
          Accept: 'application/json',
          ...(request.body === undefined ? {} : { 'Content-Length': Buffer.byteLength(request.body).toString() }),
          ...request.headers,
        },
        agent: trustedAgentFor(url, request.caCertPem, request.guard),
        timeout: request.timeoutMs,
      },
      (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > maxBytes) {
            req.destroy(
              new HttpTransportError(
                'too_large',
                `The answer of ${url.origin}${url.pathname} is larger than ${maxBytes} bytes.`,
              ),
            );
            return;
          }
          chunks.push(chunk);
        });
        res.on('end', () => {
          const contentType = res.headers['content-type'] ?? '';
          resolve({
            status: res.statusCode ?? 0,
            mediaType: contentType.split(';')[0]!.trim().toLowerCase(),
            body: Buffer.concat(chunks),
          });
        });
        res.on('error', (error) => reject(toTransportError(error, url)));
      },
    );
    req.on('timeout', () =>
      req.destroy(
        new HttpTransportError(
          'timeout',
          `${url.origin}${url.pathname} did not answer within ${request.timeoutMs} ms.`,
        ),
      ),
    );
    req.on('error', (error) => reject(toTransportError(error, url)));
    if (request.body !== undefined) req.write(request.body);
    req.end();
  });
}

function toTransportError(error: unknown, url: URL): HttpTransportError {
  if (error instanceof HttpTransportError) return error;
  if (error instanceof RefusedAddressError) return new HttpTransportError(REFUSED_ADDRESS_CODE, error.message);
  const code = (error as { code?: unknown }).code;
  const reason = typeof code === 'string' ? code : 'network';
  return new HttpTransportError(reason, `${url.origin}${url.pathname} could not be reached (${reason}).`);
}

/** True for `application/json` and `application/<anything>+json`. */
export function isJsonMediaType(mediaType: string): boolean {
  return mediaType === 'application/json' || /^application\/[a-z0-9.+-]+\+json$/.test(mediaType);
}
