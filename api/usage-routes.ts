// POST /v1/internal/agents/:node/usage: the LVM usage an agent watches on its host (thin pools'
// free space, replica volumes' allocation), kept in the catalog with the time it was taken; the
// storage-pool and volume views and the autoplacer read it from there.
import type { FastifyInstance } from 'fastify';
import type { Catalog } from '../catalog/index.js';
import { hostUsageSchema } from '../core/host-usage.js';
import { apiError } from './linstor-shapes.js';

export function registerUsageRoutes(app: FastifyInstance, deps: { catalog: Catalog }): void {
  app.post<{ Params: { node: string } }>('/v1/internal/agents/:node/usage', async (req, reply) => {
    const parsed = hostUsageSchema.safeParse(req.body);
    if (!parsed.success) {
      return reply.code(400).send(apiError(parsed.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; ')));
    }
    const r = await deps.catalog.nodes.recordUsage(req.params.node, parsed.data);
    if (r === 'no-node') {
      return reply.code(404).send(apiError(`node '${req.params.node}' is not in the catalog`, { correction: `create it: ferry node create ${req.params.node} <address>` }));
    }
    if (r === 'stale-agent') {
      return reply.code(409).send(apiError(`node '${req.params.node}' has a newer agent than the one that started at ${parsed.data.agentStartedAt}; its report is dropped`));
    }
    return { ok: true, ...r };
  });
}
