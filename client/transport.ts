// How the SDK, the CLI and the agents reach a controller's REST API: the bearer token
// (FERRY_API_TOKEN) on every request, and HTTPS with a private CA (FERRY_CA_FILE) or a client
// certificate for mTLS (FERRY_CLIENT_CERT_FILE / FERRY_CLIENT_KEY_FILE). Plain http and https with
// a publicly trusted certificate go through fetch; a private CA or a client certificate through
// node:https, which takes them per request.
import { readFileSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';

export interface TransportOptions {
  /** Sent as `Authorization: Bearer <token>`. */
  token?: string;
  /** PEM of the CA that signed the controller's certificate. */
  ca?: string | Buffer;
  /** Client certificate and key (PEM) when the controller requires mTLS. */
  cert?: string | Buffer;
  key?: string | Buffer;
}

export interface HttpAnswer {
  status: number;
  ok: boolean;
  text: string;
}

/** Token, CA and client certificate from FERRY_API_TOKEN, FERRY_CA_FILE, FERRY_CLIENT_CERT_FILE/KEY_FILE. */
export function transportFromEnv(env: Record<string, string | undefined> = process.env): TransportOptions {
  return {
    ...(env.FERRY_API_TOKEN ? { token: env.FERRY_API_TOKEN } : {}),
    ...(env.FERRY_CA_FILE ? { ca: readFileSync(env.FERRY_CA_FILE) } : {}),
    ...(env.FERRY_CLIENT_CERT_FILE && env.FERRY_CLIENT_KEY_FILE
      ? { cert: readFileSync(env.FERRY_CLIENT_CERT_FILE), key: readFileSync(env.FERRY_CLIENT_KEY_FILE) }
      : {}),
  };
}

/** One HTTP request; rejects only when the controller cannot be reached (or timed out). */
export async function httpCall(
  url: string,
  o: { method: string; body?: unknown; timeoutMs: number; headers?: Record<string, string> } & TransportOptions,
): Promise<HttpAnswer> {
  const headers: Record<string, string> = { ...(o.headers ?? {}) };
  if (o.body !== undefined) headers['content-type'] = 'application/json';
  if (o.token) headers.authorization = `Bearer ${o.token}`;
  const payload = o.body === undefined ? undefined : JSON.stringify(o.body);
  if (!url.startsWith('https:') || (!o.ca && !o.cert)) {
    const res = await fetch(url, { method: o.method, headers, body: payload, signal: AbortSignal.timeout(o.timeoutMs) });
    return { status: res.status, ok: res.ok, text: await res.text() };
  }
  return new Promise<HttpAnswer>((resolve, reject) => {
    const req = httpsRequest(url, {
      method: o.method,
      headers: payload === undefined ? headers : { ...headers, 'content-length': String(Buffer.byteLength(payload)) },
      ...(o.ca ? { ca: o.ca } : {}),
      ...(o.cert && o.key ? { cert: o.cert, key: o.key } : {}),
      timeout: o.timeoutMs,
    }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', reject);
      res.on('end', () => {
        const status = res.statusCode ?? 0;
        resolve({ status, ok: status >= 200 && status < 300, text: Buffer.concat(chunks).toString('utf8') });
      });
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${o.timeoutMs} ms`)));
    req.on('error', reject);
    req.end(payload);
  });
}
