// What LINSTOR's own clients (python-linstor, linstor-client, the CSI driver) need besides the
// object routes: the version handshake, LINSTOR's synchronous mutations, ?offset/limit on lists.
//
// Mutations: a LINSTOR client expects an answer once the change is done (it creates a volume
// definition right after its resource definition). ferry's SDK wants the operation handle
// instead and says so with the `X-Ferry-Async: true` header (or `?wait=false`). So a mutation
// without either waits for its workflow, as LINSTOR does; `?wait=true` keeps working.
import type { FastifyInstance } from 'fastify';
import { errorRetCode } from './ret-codes.js';

/** The LINSTOR REST API version whose shapes ferry answers with (clients gate features on it). */
export const LINSTOR_REST_API_VERSION = '1.20.0';
export const FERRY_VERSION = '0.1.0';
export const ASYNC_HEADER = 'x-ferry-async';

export function registerLinstorCompatRoutes(app: FastifyInstance): void {
  app.get('/v1/controller/version', async () => ({
    version: `ferry-${FERRY_VERSION}`,
    git_hash: 'ferry',
    build_time: '1970-01-01T00:00:00+00:00',
    rest_api_version: LINSTOR_REST_API_VERSION,
  }));

  app.addHook('onRequest', async (req) => {
    if (req.method === 'GET' || req.method === 'HEAD' || req.url.startsWith('/v1/internal/')) return;
    const q = req.query as Record<string, unknown>;
    if (q.wait !== undefined) return;
    if (String(req.headers[ASYNC_HEADER] ?? '').toLowerCase() === 'true') return;
    q.wait = 'true';
  });

  // python-linstor sends JSON bodies without a content type
  app.addHook('onRequest', async (req) => {
    if (req.method !== 'GET' && req.method !== 'HEAD' && !req.headers['content-type'] && Number(req.headers['content-length'] ?? 0) > 0) {
      req.headers['content-type'] = 'application/json';
    }
  });

  // ApiCallRc ret_codes are 64-bit masks (errors 0xC000000000000000 | code | object | operation as
  // a signed long): most need more than a double's 53 bits, so they are BigInts (api/ret-codes.ts), and
  // JSON.stringify would round a plain number to 17 digits, which a client reading integers exactly
  // (Python, Go) takes for another mask. Every ret_code is printed as its exact integer.
  app.setReplySerializer((payload) => serializeExact(payload));

  // LINSTOR answers a path it does not serve with 404 and an ApiCallRc list (FAIL_UNKNOWN_ERROR,
  // "Path '...' not found on server."), never an HTML page or a bare fastify error object.
  app.setNotFoundHandler((req, reply) => {
    const path = req.url.split('?')[0]!;
    // serialised here: fastify's not-found context does not use the reply serializer set above
    return reply.code(404).type('application/json; charset=utf-8').send(serializeExact([{
      ret_code: errorRetCode('FAIL_UNKNOWN_ERROR'),
      message: `Path '${path}' not found on server.`,
      details: `ferry serves no ${req.method} ${path}; see GET /v1/controller/version for the REST API version it answers`,
    }]));
  });

  // LINSTOR's list paging: offset (from 0) and limit (0: no limit), on any list answer; never on an
  // error answer (its list of ApiCallRc would be paged away: the fuzzer found a 400 with `[]`)
  app.addHook('preSerialization', async (req, reply, payload: unknown) => {
    if (req.method !== 'GET' || !Array.isArray(payload) || reply.statusCode >= 400) return payload;
    const q = req.query as Record<string, unknown>;
    const offset = Number(q.offset ?? 0);
    const limit = Number(q.limit ?? 0);
    if (!Number.isInteger(offset) || offset < 0 || !Number.isInteger(limit) || limit < 0) return payload;
    if (offset === 0 && limit === 0) return payload;
    return payload.slice(offset, limit > 0 ? offset + limit : undefined);
  });
}

/** A query parameter as LINSTOR clients send it: repeated (`nodes=a&nodes=b`) or comma separated. */
export function listParam(v: unknown): string[] | undefined {
  if (v === undefined || v === null || v === '') return undefined;
  const parts = (Array.isArray(v) ? v : [v]).flatMap((s) => String(s).split(',')).map((s) => s.trim()).filter(Boolean);
  return parts.length ? parts : undefined;
}

const EXACT = '\u0000exact:';

/** JSON with every ret_code (and any BigInt) as its exact decimal integer. */
export function serializeExact(payload: unknown): string {
  const text = JSON.stringify(payload, (key, v: unknown) => {
    if (typeof v === 'bigint') return `${EXACT}${v.toString()}`;
    if (key === 'ret_code' && typeof v === 'number' && Number.isInteger(v)) return `${EXACT}${exactInteger(v)}`;
    return v;
  });
  return text === undefined ? '' : text.replace(/"\\u0000exact:(-?\d+)"/g, '$1');
}

/** The decimal digits of an integral double, exactly (BigInt conversion is exact). */
export function exactInteger(n: number): string {
  return Number.isSafeInteger(n) || !Number.isInteger(n) ? String(n) : BigInt(n).toString();
}
