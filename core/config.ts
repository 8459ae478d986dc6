// ferry's configuration: one optional file (JSON or YAML, read by worker/config-file.ts) plus
// FERRY_* environment variables, which win. Pure: takes the parsed file and the environment.
import { z } from 'zod';

/** Roles of REST tokens: admin may do anything, read-only may only GET, agent may only report heartbeats. */
export const API_ROLES = ['admin', 'read-only', 'agent'] as const;
export type ApiRole = (typeof API_ROLES)[number];

/** A REST token as configured: only the SHA-256 (hex) of the token is stored. */
export const apiTokenSchema = z.object({
  name: z.string().min(1).max(64),
  role: z.enum(API_ROLES),
  sha256: z.string().regex(/^[0-9a-fA-F]{64}$/, 'the SHA-256 of the token, 64 hex digits (ferry token create prints it)'),
});
export type ApiToken = z.infer<typeof apiTokenSchema>;

export const configSchema = z.object({
  temporal: z.object({
    address: z.string().min(1).default('127.0.0.1:7233'),
    namespace: z.string().min(1).default('default'),
    /** The Temporal Web UI, for links to operations (error reports); the dev server's by default. */
    uiUrl: z.string().url().default('http://localhost:8233'),
    /** Task queues are `<prefix>-controller` and `<prefix>-node-<node>`. */
    taskQueuePrefix: z.string().regex(/^[a-z][a-z0-9-]{0,40}$/, 'lower-case letters, digits and dashes').default('ferry'),
    tls: z
      .object({ serverName: z.string().optional(), caFile: z.string().optional(), certFile: z.string().optional(), keyFile: z.string().optional() })
      .optional(),
  }).prefault({}),
  /** `sqlite:<path>` or `postgres://...` */
  catalog: z.string().regex(/^(sqlite:|postgres(ql)?:\/\/)/, 'sqlite:<path> or postgres://...').default('sqlite:.data/catalog.sqlite'),
  api: z.object({
    host: z.string().default('127.0.0.1'),
    port: z.coerce.number().int().min(0).max(65535).default(3370),
    /** REST authentication (api/auth.ts): when set, every /v1 route needs `Authorization: Bearer <token>`. */
    tokens: z.array(apiTokenSchema).optional(),
    /** HTTPS for the REST API; with clientCa, clients must present a certificate signed by it (mTLS). */
    tls: z.object({ certFile: z.string().min(1), keyFile: z.string().min(1), clientCa: z.string().min(1).optional() }).optional(),
  }).prefault({}),
  /** REST endpoints of the controllers, for the CLI and the agents. */
  controllers: z.array(z.string().url()).default(['http://127.0.0.1:3370']),
  logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  agent: z.object({
    heartbeatIntervalMs: z.coerce.number().int().min(100).default(5000),
    /** How often the agent reads its host's LVM usage (`lvs`); a changed figure is reported at once. */
    usageIntervalMs: z.coerce.number().int().min(100).default(3000),
    /** An unchanged usage is reported again every this many periods anyway. */
    usageResendEvery: z.coerce.number().int().min(1).default(10),
  }).prefault({}),
  /** A node whose agent has not reported for this long is OFFLINE. */
  nodeOfflineAfterMs: z.coerce.number().int().min(500).default(15000),
});

export type FerryConfig = z.infer<typeof configSchema>;

type Env = Record<string, string | undefined>;

function controllersFromEnv(v: string): string[] {
  return v.split(',').map((s) => s.trim()).filter(Boolean).map((s) => (/^https?:\/\//.test(s) ? s : `http://${s.includes(':') ? s : `${s}:3370`}`));
}

/** Merges a parsed config file with FERRY_* variables and validates the result. */
export function resolveConfig(file: unknown, env: Env): FerryConfig {
  const base = (file && typeof file === 'object' ? file : {}) as Record<string, unknown>;
  const t = { ...((base.temporal as object | undefined) ?? {}) } as Record<string, unknown>;
  if (env.FERRY_TEMPORAL_ADDRESS) t.address = env.FERRY_TEMPORAL_ADDRESS;
  if (env.FERRY_TEMPORAL_NAMESPACE) t.namespace = env.FERRY_TEMPORAL_NAMESPACE;
  if (env.FERRY_TEMPORAL_UI_URL) t.uiUrl = env.FERRY_TEMPORAL_UI_URL;
  if (env.FERRY_TASK_QUEUE_PREFIX) t.taskQueuePrefix = env.FERRY_TASK_QUEUE_PREFIX;
  if (env.FERRY_TEMPORAL_TLS_CA_FILE || env.FERRY_TEMPORAL_TLS_CERT_FILE || env.FERRY_TEMPORAL_TLS_SERVER_NAME) {
    const tls = { ...((t.tls as object | undefined) ?? {}) } as Record<string, unknown>;
    if (env.FERRY_TEMPORAL_TLS_SERVER_NAME) tls.serverName = env.FERRY_TEMPORAL_TLS_SERVER_NAME;
    if (env.FERRY_TEMPORAL_TLS_CA_FILE) tls.caFile = env.FERRY_TEMPORAL_TLS_CA_FILE;
    if (env.FERRY_TEMPORAL_TLS_CERT_FILE) tls.certFile = env.FERRY_TEMPORAL_TLS_CERT_FILE;
    if (env.FERRY_TEMPORAL_TLS_KEY_FILE) tls.keyFile = env.FERRY_TEMPORAL_TLS_KEY_FILE;
    t.tls = tls;
  }
  const api = { ...((base.api as object | undefined) ?? {}) } as Record<string, unknown>;
  if (env.FERRY_API_HOST) api.host = env.FERRY_API_HOST;
  if (env.FERRY_API_PORT) api.port = env.FERRY_API_PORT;
  if (env.FERRY_API_TLS_CERT_FILE || env.FERRY_API_TLS_KEY_FILE) {
    api.tls = { certFile: env.FERRY_API_TLS_CERT_FILE, keyFile: env.FERRY_API_TLS_KEY_FILE, ...(env.FERRY_API_TLS_CLIENT_CA ? { clientCa: env.FERRY_API_TLS_CLIENT_CA } : {}) };
  }
  const agent = { ...((base.agent as object | undefined) ?? {}) } as Record<string, unknown>;
  if (env.FERRY_AGENT_HEARTBEAT_MS) agent.heartbeatIntervalMs = env.FERRY_AGENT_HEARTBEAT_MS;
  if (env.FERRY_AGENT_USAGE_MS) agent.usageIntervalMs = env.FERRY_AGENT_USAGE_MS;
  const merged: Record<string, unknown> = { ...base, temporal: t, api, agent };
  if (env.FERRY_CATALOG) merged.catalog = env.FERRY_CATALOG;
  if (env.FERRY_CONTROLLERS) merged.controllers = controllersFromEnv(env.FERRY_CONTROLLERS);
  if (env.FERRY_LOG_LEVEL) merged.logLevel = env.FERRY_LOG_LEVEL;
  if (env.FERRY_NODE_OFFLINE_AFTER_MS) merged.nodeOfflineAfterMs = env.FERRY_NODE_OFFLINE_AFTER_MS;
  const parsed = configSchema.safeParse(merged);
  if (!parsed.success) {
    const msg = parsed.error.issues.map((i) => `${i.path.join('.') || 'config'}: ${i.message}`).join('; ');
    throw new Error(`invalid ferry configuration: ${msg}`);
  }
  return parsed.data;
}

export function controllerTaskQueue(cfg: Pick<FerryConfig, 'temporal'>): string {
  return `${cfg.temporal.taskQueuePrefix}-controller`;
}

export function nodeTaskQueue(prefix: string, node: string): string {
  return `${prefix}-node-${node}`;
}
