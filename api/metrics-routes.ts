// GET /metrics on the controller's REST port: the process's Prometheus metrics (operations, pool
// capacity and node liveness from the catalog, the Temporal SDK runtime's own).
import type { FastifyInstance } from 'fastify';
import { connectionStatus } from '../core/node-state.js';
import { addCatalogGauges, processMetrics } from '../worker/metrics.js';
import type { ApiDeps } from './server.js';

export function registerMetricsRoutes(app: FastifyInstance, deps: ApiDeps): void {
  const metrics = processMetrics({ process: 'controller' });
  const now = deps.now ?? Date.now;
  addCatalogGauges(metrics, async () => {
    const nodes = await deps.catalog.nodes.list();
    const pools = [];
    for (const n of nodes) {
      for (const p of await deps.catalog.storagePools.list(n.name)) pools.push({ node: n.name, pool: p.name, freeBytes: p.freeBytes, totalBytes: p.totalBytes });
    }
    const backupQueues = await Promise.all(nodes.map(async (n) => ({ node: n.name, ...(await deps.catalog.remotes.slotUse(n.name)) })));
    return { pools, nodes: nodes.map((n) => ({ node: n.name, up: connectionStatus(n, now(), deps.cfg.nodeOfflineAfterMs) === 'ONLINE' })), backupQueues };
  });
  app.get('/metrics', async (_req, reply) => reply.header('content-type', metrics.contentType).send(await metrics.render()));
}
