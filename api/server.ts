// The controller's REST API, shaped like LINSTOR's /v1 API. Input is validated before any workflow
// starts; every mutation is a workflow, returned by id (`?wait=true` waits for its result).
import Fastify, { type FastifyBaseLogger, type FastifyInstance, type FastifyReply } from 'fastify';
import { WorkflowIdConflictPolicy, WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { IncomingMessage } from 'node:http';
import { z } from 'zod';
import type { FerryConfig } from '../core/config.js';
import { controllerTaskQueue } from '../core/config.js';
import { operationMetadata, workflowIds } from '../core/operations.js';
import type { Catalog } from '../catalog/index.js';
import type { Logger } from '../worker/logger.js';
import { apiError, apiErrorOf, apiSuccess, nodeJson, refuse } from './linstor-shapes.js';
import { ConflictError, NotFoundError, ValidationError } from '../core/errors.js';
import { nodeCreateBody } from './schemas.js';
import { describeOperation, failureMessage, operationResult } from './operations.js';
import { registerResourceRoutes } from './resource-routes.js';
import { registerVolumeDefinitionRoutes } from './volume-definition-routes.js';
import { registerKeyValueStoreRoutes } from './key-value-store-routes.js';
import { registerEvacuationRoutes } from './evacuation-routes.js';
import { registerResourceGroupRoutes } from './resource-group-routes.js';
import { registerSnapshotRoutes } from './snapshot-routes.js';
import { registerOperationRoutes } from './operations-routes.js';
import { registerErrorReportRoutes } from './error-report-routes.js';
import { registerMetricsRoutes } from './metrics-routes.js';
import { httpsOptions, registerAuth } from './auth.js';
import { registerBackupRoutes } from './backup-routes.js';
import { registerScheduleRoutes } from './schedule-routes.js';
import { registerLinstorCompatRoutes } from './linstor-compat-routes.js';
import { registerCodecRoutes } from './codec-routes.js';
import { registerDoctorRoutes } from './doctor-routes.js';
import { registerUsageRoutes } from './usage-routes.js';

export interface ApiDeps {
  cfg: FerryConfig;
  catalog: Catalog;
  client: Client;
  log: Logger;
  now?: () => number;
  /** Told of every route as it is added (the REST fuzz test lists them so). */
  onRoute?: (route: { method: string; url: string }) => void;
}

export async function buildApi(deps: ApiDeps): Promise<FastifyInstance> {
  const { cfg, catalog, client } = deps;
  const now = deps.now ?? Date.now;
  const taskQueue = controllerTaskQueue(cfg);
  const app: FastifyInstance = Fastify({ loggerInstance: deps.log.child({ component: 'api' }) as FastifyBaseLogger, disableRequestLogging: true, ...httpsOptions(cfg) }) as unknown as FastifyInstance;
  if (deps.onRoute) {
    const tell = deps.onRoute;
    app.addHook('onRoute', (r) => {
      for (const method of [r.method].flat()) tell({ method, url: r.url });
    });
  }
  // A request whose body nobody read (a 404, a refused body): read and discard it before
  // answering, so the connection is not reset under a client still sending.
  app.addHook('onSend', async (req) => {
    if (!req.raw.complete) await drainUnreadBody(req.raw);
  });
  registerAuth(app, cfg);

  const badRequest = (reply: FastifyReply, err: z.ZodError) => {
    const issues = err.issues.map((i) => ({ field: i.path.join('.') || 'body', message: i.message }));
    return refuse(reply, new ValidationError(issues[0]?.field ?? 'body', issues[0]?.message ?? 'invalid', issues));
  };

  /** Starts a workflow for a mutation; with ?wait=true answers once it has finished. */
  async function mutate(reply: FastifyReply, wait: boolean, workflow: string, workflowId: string, args: unknown[], done: string, refs: Record<string, string>) {
    const handle = await client.workflow.start(workflow, {
      taskQueue,
      workflowId,
      args,
      workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING,
      ...operationMetadata(workflow, workflowId, refs),
    });
    if (!wait) return reply.code(202).send(apiSuccess(`${done} (started)`, refs, handle.workflowId));
    try {
      await handle.result();
      return reply.code(201).send(apiSuccess(done, refs, handle.workflowId));
    } catch (e) {
      const { status, message, error } = failureMessage(e);
      const extra = { obj_refs: refs, workflow_id: handle.workflowId };
      return reply.code(status).send(error ? apiErrorOf(error, reply.request.method, { ...extra, message }) : apiError(message, extra));
    }
  }

  registerLinstorCompatRoutes(app);
  registerCodecRoutes(app);
  app.get('/health', async () => ({ ok: true }));

  app.get('/v1/nodes', async () => {
    const t = now();
    return (await catalog.nodes.list()).map((n) => nodeJson(n, t, cfg.nodeOfflineAfterMs));
  });

  app.get<{ Params: { node: string } }>('/v1/nodes/:node', async (req, reply) => {
    const n = await catalog.nodes.get(req.params.node);
    if (!n) return refuse(reply, new NotFoundError('node', req.params.node));
    return { ...nodeJson(n, now(), cfg.nodeOfflineAfterMs), inventory: (await catalog.nodes.inventory(n.name)) ?? null };
  });

  app.post<{ Querystring: { wait?: string } }>('/v1/nodes', async (req, reply) => {
    const parsed = nodeCreateBody.safeParse(req.body);
    if (!parsed.success) return badRequest(reply, parsed.error);
    const { name, net_interfaces } = parsed.data;
    const nic = net_interfaces[0];
    const existing = await catalog.nodes.get(name);
    if (existing) return refuse(reply, new ConflictError('node', name, 'exists'), { obj_refs: { Node: name } });
    return mutate(reply, req.query.wait === 'true', 'createNode', workflowIds.createNode(name),
      [{ name, address: nic.address, port: nic.satellite_port }], `New node '${name}' registered.`, { Node: name });
  });

  app.delete<{ Params: { node: string }; Querystring: { wait?: string } }>('/v1/nodes/:node', async (req, reply) => {
    const n = await catalog.nodes.get(req.params.node);
    if (!n) return refuse(reply, new NotFoundError('node', req.params.node));
    // the guide: an evicted satellite cannot be deleted; it is restored or declared lost
    if (n.flags.includes('EVICTED')) {
      return refuse(reply, new ConflictError('node', n.name, 'state', `node '${n.name}' is EVICTED and cannot be deleted: ferry node restore ${n.name} (once it is ONLINE) or ferry node lost ${n.name}`));
    }
    return mutate(reply, req.query.wait === 'true', 'deleteNode', workflowIds.deleteNode(n.name), [{ name: n.name }],
      `Node '${n.name}' deleted.`, { Node: n.name });
  });

  // The agent's report: first contact (or a restarted agent) starts its registration.
  const heartbeatBody = z.object({ agentStartedAt: z.number().int().positive(), pid: z.number().int().optional() });
  app.post<{ Params: { node: string } }>('/v1/internal/agents/:node/heartbeat', async (req, reply) => {
    const parsed = heartbeatBody.safeParse(req.body);
    if (!parsed.success) return badRequest(reply, parsed.error);
    const { agentStartedAt } = parsed.data;
    const node = await catalog.nodes.heartbeat(req.params.node, agentStartedAt, now());
    if (!node) {
      return reply.code(404).send(apiError(`node '${req.params.node}' is not in the catalog`, { correction: `create it: ferry node create ${req.params.node} <address>` }));
    }
    if (node.registeredAt === null || node.registeredAt < agentStartedAt) {
      await client.workflow.start('registerNode', {
        taskQueue,
        workflowId: workflowIds.registerNode(node.name, agentStartedAt),
        args: [{ node: node.name, agentStartedAt }],
        workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING,
        staticSummary: `Register node ${node.name}: inventory of its storage (vgs, lvs)`,
      });
    }
    return { ok: true };
  });

  registerUsageRoutes(app, { catalog });
  registerResourceRoutes(app, { cfg, catalog, now, mutate });
  registerVolumeDefinitionRoutes(app, { catalog, mutate });
  registerKeyValueStoreRoutes(app, { catalog, now, mutate });
  registerEvacuationRoutes(app, { cfg, catalog, client, taskQueue, now, mutate });
  registerResourceGroupRoutes(app, { cfg, catalog, now, mutate });
  registerSnapshotRoutes(app, { cfg, catalog, now, mutate });
  registerOperationRoutes(app, deps);
  registerErrorReportRoutes(app, deps);
  registerMetricsRoutes(app, deps);
  registerBackupRoutes(app, { cfg, catalog, client, now, mutate });
  registerScheduleRoutes(app, { cfg, catalog, client, now, mutate });
  registerDoctorRoutes(app, { client, taskQueue, now, mutate });

  app.get<{ Params: { '*': string } }>('/v1/ferry/operations/*', async (req, reply) => {
    const path = req.params['*'];
    const wantResult = path.endsWith('/result');
    const id = wantResult ? path.slice(0, -'/result'.length) : path;
    try {
      return wantResult ? await operationResult(client, id) : await describeOperation(client, id);
    } catch (e) {
      if (e instanceof WorkflowNotFoundError) return reply.code(404).send(apiError(`operation '${id}' not found`));
      const { status, message } = failureMessage(e);
      return reply.code(status).send(apiError(message, { workflow_id: id }));
    }
  });

  app.setErrorHandler((err: Error & { statusCode?: number }, _req, reply) => {
    const status = err.statusCode && err.statusCode < 500 ? err.statusCode : 500;
    if (status >= 500) deps.log.error({ err }, 'request failed');
    return reply.code(status).send(apiError(status >= 500 ? `internal error: ${err.message}` : err.message));
  });
  return app;
}

// A body that is never read (over the limit, or sent to a route that does not exist) stays in the
// socket; closing a socket with unread bytes resets it, and a client still sending then sees the
// reset instead of the 413 or 404 (it did, in CI). So read and discard an unread body of a sane
// size before answering (lingering close); a larger one, or a slower one, is cut off as before.
const DRAIN_MAX_BYTES = 16 * 1024 * 1024;
const DRAIN_MAX_MS = 5_000;
async function drainUnreadBody(raw: IncomingMessage): Promise<void> {
  const declared = Number(raw.headers['content-length']);
  if (raw.complete || raw.destroyed || declared > DRAIN_MAX_BYTES) return;
  await new Promise<void>((resolve) => {
    let seen = 0;
    const done = (): void => {
      clearTimeout(timer);
      raw.off('data', onData).off('end', done).off('close', done).off('error', done);
      resolve();
    };
    const onData = (chunk: Buffer): void => {
      seen += chunk.length;
      if (seen > DRAIN_MAX_BYTES) done();
    };
    const timer = setTimeout(done, DRAIN_MAX_MS);
    raw.on('data', onData).on('end', done).on('close', done).on('error', done);
    raw.resume();
  });
}
