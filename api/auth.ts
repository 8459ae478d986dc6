// REST authentication and HTTPS of the controller, both opt-in by configuration (api.tokens,
// FERRY_API_TOKENS_FILE, api.tls). With tokens configured every route but /health and /metrics needs
// `Authorization: Bearer <token>`: 401 without a known token, 403 when the token's role may not do
// this; the request is refused in onRequest, before any handler runs, so nothing changes. Only
// the SHA-256 of each token is configured; tokens are compared in constant time and never logged.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ApiRole, ApiToken, FerryConfig } from '../core/config.js';
import { apiError } from './linstor-shapes.js';

/** Routes anyone may call: liveness and Prometheus scraping. */
export const OPEN_PATHS: readonly string[] = ['/health', '/metrics'];

/** The agent's own reports: its heartbeat and its host's LVM usage. */
const AGENT_REPORT = /^\/v1\/internal\/agents\/[^/]+\/(heartbeat|usage)$/;

export interface Principal {
  name: string;
  role: ApiRole;
}

export function sha256Hex(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/** A new random token (256 bits) and the line to put under api.tokens. */
export function newToken(name: string, role: ApiRole): { token: string; entry: ApiToken } {
  const token = `ferry_${randomBytes(32).toString('base64url')}`;
  return { token, entry: { name, role, sha256: sha256Hex(token) } };
}

/** The configured token whose hash matches, compared in constant time over every entry. */
export function findToken(tokens: readonly ApiToken[], presented: string): ApiToken | undefined {
  const digest = createHash('sha256').update(presented, 'utf8').digest();
  let found: ApiToken | undefined;
  for (const t of tokens) {
    const want = Buffer.from(t.sha256, 'hex');
    // every entry is compared, whether or not one matched before
    if (want.length === digest.length && timingSafeEqual(want, digest) && !found) found = t;
  }
  return found;
}

/** What a role may do: admin anything; read-only GET/HEAD; agent only its reports (admin may too). */
export function allowed(role: ApiRole, method: string, path: string): boolean {
  // decoding payloads for the Web UI (api/codec-routes.ts) is a read
  const read = method === 'GET' || method === 'HEAD' || (method === 'POST' && path === '/codec/decode');
  if (AGENT_REPORT.test(path)) return role === 'admin' || role === 'agent';
  if (role === 'admin') return true;
  if (role === 'read-only') return read;
  return false;
}

function bearer(req: FastifyRequest): string | undefined {
  const h = req.headers.authorization;
  if (typeof h !== 'string') return undefined;
  const m = /^Bearer\s+(\S+)\s*$/i.exec(h);
  return m?.[1];
}

function refuse(reply: FastifyReply, status: 401 | 403, message: string, correction: string) {
  if (status === 401) void reply.header('www-authenticate', 'Bearer realm="ferry"');
  return reply.code(status).send(apiError(message, { cause: status === 401 ? 'authentication' : 'authorization', correction }));
}

/** Installs the token check when api.tokens is configured; a no-op otherwise. Call before the routes. */
export function registerAuth(app: FastifyInstance, cfg: FerryConfig): void {
  const tokens = cfg.api.tokens;
  if (!tokens) return;
  app.addHook('onRequest', async (req, reply) => {
    const path = req.url.split('?')[0] ?? '';
    if (OPEN_PATHS.includes(path)) return;
    // CORS preflight of the Web UI's codec calls: browsers send it without credentials
    if (req.method === 'OPTIONS' && path.startsWith('/codec/')) return;
    const presented = bearer(req);
    if (!presented) {
      return refuse(reply, 401, 'authentication required: this controller needs an API token (Authorization: Bearer <token>)',
        'set FERRY_API_TOKEN to a token of api.tokens (ferry token create makes one)');
    }
    const t = findToken(tokens, presented);
    if (!t) return refuse(reply, 401, 'authentication failed: the API token is not known to this controller', 'check FERRY_API_TOKEN; ferry token create makes a new one');
    if (!allowed(t.role, req.method, path)) {
      return refuse(reply, 403, `token '${t.name}' (role ${t.role}) may not ${req.method} ${path}`,
        t.role === 'read-only' ? 'read-only tokens may only read (GET); use an admin token' : 'use an admin token');
    }
    (req as FastifyRequest & { principal?: Principal }).principal = { name: t.name, role: t.role };
  });
}

/** Fastify's https options from api.tls (PEM files read once at start), or nothing for plain HTTP. */
export function httpsOptions(cfg: FerryConfig): { https: { cert: Buffer; key: Buffer; ca?: Buffer; requestCert?: boolean; rejectUnauthorized?: boolean } } | Record<string, never> {
  const tls = cfg.api.tls;
  if (!tls) return {};
  return {
    https: {
      cert: readFileSync(tls.certFile),
      key: readFileSync(tls.keyFile),
      ...(tls.clientCa ? { ca: readFileSync(tls.clientCa), requestCert: true, rejectUnauthorized: true } : {}),
    },
  };
}
