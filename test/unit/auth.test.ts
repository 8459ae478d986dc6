// REST tokens (api/auth.ts), the token/TLS configuration (core/config.ts, FERRY_API_TOKENS_FILE)
// and the TLS options of Temporal connections (worker/temporal.ts), without a server.
import { describe, expect, it } from '@jest/globals';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { allowed, findToken, httpsOptions, newToken, sha256Hex } from '../../api/auth.js';
import { resolveConfig } from '../../core/config.js';
import { loadConfig } from '../../worker/config-file.js';
import { REDACT_PATHS } from '../../worker/logger.js';
import { temporalTls } from '../../worker/temporal.js';

const dir = mkdtempSync(join(tmpdir(), 'ferry-auth-'));

describe('API tokens', () => {
  it('are random, and only their SHA-256 is configured', () => {
    const a = newToken('ops', 'admin');
    const b = newToken('ops', 'admin');
    expect(a.token).not.toBe(b.token);
    expect(a.token.length).toBeGreaterThanOrEqual(40);
    expect(a.entry).toEqual({ name: 'ops', role: 'admin', sha256: sha256Hex(a.token) });
    expect(JSON.stringify(a.entry)).not.toContain(a.token);
  });

  it('are found by hash; unknown, empty or truncated tokens are not', () => {
    const a = newToken('ops', 'admin');
    const r = newToken('grafana', 'read-only');
    const list = [a.entry, r.entry];
    expect(findToken(list, a.token)?.name).toBe('ops');
    expect(findToken(list, r.token)?.role).toBe('read-only');
    expect(findToken(list, '')).toBeUndefined();
    expect(findToken(list, a.token.slice(0, -1))).toBeUndefined();
    expect(findToken(list, a.entry.sha256)).toBeUndefined();
  });

  it('give each role what it may do', () => {
    expect(allowed('admin', 'DELETE', '/v1/nodes/n1')).toBe(true);
    expect(allowed('read-only', 'GET', '/v1/nodes')).toBe(true);
    expect(allowed('read-only', 'POST', '/v1/resource-definitions')).toBe(false);
    expect(allowed('read-only', 'PUT', '/v1/nodes/n1')).toBe(false);
    // the Web UI's codec server: decoding is a read, encoding is not
    expect(allowed('read-only', 'POST', '/codec/decode')).toBe(true);
    expect(allowed('read-only', 'POST', '/codec/encode')).toBe(false);
    expect(allowed('agent', 'POST', '/codec/decode')).toBe(false);
    expect(allowed('agent', 'POST', '/v1/internal/agents/node1/heartbeat')).toBe(true);
    expect(allowed('admin', 'POST', '/v1/internal/agents/node1/heartbeat')).toBe(true);
    expect(allowed('read-only', 'POST', '/v1/internal/agents/node1/heartbeat')).toBe(false);
    expect(allowed('agent', 'POST', '/v1/internal/agents/node1/usage')).toBe(true);
    expect(allowed('read-only', 'POST', '/v1/internal/agents/node1/usage')).toBe(false);
    expect(allowed('agent', 'GET', '/v1/nodes')).toBe(false);
  });

  it('are read from api.tokens or FERRY_API_TOKENS_FILE (YAML), and a bad hash is refused naming the field', () => {
    const t = newToken('ops', 'admin').entry;
    expect(resolveConfig({ api: { tokens: [t] } }, {}).api.tokens).toEqual([t]);
    const file = join(dir, 'tokens.yaml');
    writeFileSync(file, `tokens:\n  - { name: ops, role: admin, sha256: ${t.sha256} }\n`);
    expect(loadConfig({ FERRY_API_TOKENS_FILE: file, FERRY_CONFIG: undefined }).api.tokens).toEqual([t]);
    expect(() => resolveConfig({ api: { tokens: [{ name: 'x', role: 'admin', sha256: 'abc' }] } }, {})).toThrow(/api\.tokens\.0\.sha256/);
    expect(() => resolveConfig({ api: { tokens: [{ name: 'x', role: 'root', sha256: t.sha256 }] } }, {})).toThrow(/api\.tokens\.0\.role/);
  });

  it('are redacted from logs wherever pino sees them', () => {
    expect(REDACT_PATHS).toEqual(expect.arrayContaining(['req.headers.authorization', 'token', '*.token', 'FERRY_API_TOKEN']));
  });
});

describe('TLS options', () => {
  const pem = (name: string, text: string) => {
    const p = join(dir, name);
    writeFileSync(p, text);
    return p;
  };

  it('of the REST API come from api.tls (FERRY_API_TLS_*), with a client CA for mTLS', () => {
    const cert = pem('api.crt', 'CERT');
    const key = pem('api.key', 'KEY');
    const ca = pem('clients.crt', 'CLIENTCA');
    expect(httpsOptions(resolveConfig({}, {}))).toEqual({});
    const cfg = resolveConfig({}, { FERRY_API_TLS_CERT_FILE: cert, FERRY_API_TLS_KEY_FILE: key, FERRY_API_TLS_CLIENT_CA: ca });
    const o = httpsOptions(cfg) as { https: { cert: Buffer; key: Buffer; ca: Buffer; requestCert: boolean; rejectUnauthorized: boolean } };
    expect(o.https.cert.toString()).toBe('CERT');
    expect(o.https.key.toString()).toBe('KEY');
    expect(o.https.ca.toString()).toBe('CLIENTCA');
    expect(o.https.requestCert).toBe(true);
    expect(o.https.rejectUnauthorized).toBe(true);
    expect(() => resolveConfig({}, { FERRY_API_TLS_CERT_FILE: cert })).toThrow(/api\.tls\.keyFile/);
  });

  it('of Temporal connections come from temporal.tls: server CA, server name, client certificate pair', () => {
    expect(temporalTls(resolveConfig({}, {}))).toBeUndefined();
    const ca = pem('temporal-ca.crt', 'TCA');
    const crt = pem('worker.crt', 'WCRT');
    const key = pem('worker.key', 'WKEY');
    const fromFile = resolveConfig({ temporal: { tls: { serverName: 'temporal.internal', caFile: ca, certFile: crt, keyFile: key } } }, {});
    const t = temporalTls(fromFile)!;
    expect(t.serverNameOverride).toBe('temporal.internal');
    expect(Buffer.from(t.serverRootCACertificate!).toString()).toBe('TCA');
    expect(Buffer.from(t.clientCertPair!.crt).toString()).toBe('WCRT');
    expect(Buffer.from(t.clientCertPair!.key).toString()).toBe('WKEY');
    const fromEnv = temporalTls(resolveConfig({}, { FERRY_TEMPORAL_TLS_CA_FILE: ca }))!;
    expect(Buffer.from(fromEnv.serverRootCACertificate!).toString()).toBe('TCA');
    expect(fromEnv.clientCertPair).toBeUndefined();
    expect(() => temporalTls(resolveConfig({ temporal: { tls: { certFile: crt } } }, {}))).toThrow(/certFile and keyFile/);
  });
});
