// A small HTTP(S) client: Node 20's global fetch cannot be given a custom CA, and the servers use the test CA.
import * as http from 'node:http';
import * as https from 'node:https';

/** What came back, body unparsed. */
export interface HttpResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

export interface HttpRequestOptions {
  method?: string;
  headers?: http.OutgoingHttpHeaders;
  body?: string;
  /** PEM of the CA to trust (https only). */
  ca?: string;
  timeoutMs?: number;
}

/** One request; no redirects followed, any status resolves. */
export function httpRequest(url: string, options: HttpRequestOptions = {}): Promise<HttpResponse> {
  const { method = 'GET', headers = {}, body, ca, timeoutMs = 15000 } = options;
  const target = new URL(url);
  const secure = target.protocol === 'https:';
  const requestOptions: https.RequestOptions = { method, headers, ...(secure && ca ? { ca } : {}) };
  return new Promise((resolve, reject) => {
    const onResponse = (res: http.IncomingMessage) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    };
    const req = secure
      ? https.request(target, requestOptions, onResponse)
      : http.request(target, requestOptions, onResponse);
    req.setTimeout(timeoutMs, () =>
      req.destroy(new Error(`request to ${target.origin}${target.pathname} timed out after ${timeoutMs} ms`)),
    );
    req.on('error', reject);
    if (body !== undefined) req.write(body);
    req.end();
  });
}
