// REST routes of operations (workflows) over Temporal visibility: list them by node, resource,
// kind or status (ferry's search attributes), and cancel one. Describe/result stay in server.ts.
import type { FastifyInstance } from 'fastify';
import { WorkflowNotFoundError } from '@temporalio/client';
import { FerryError } from '../core/errors.js';
import { operationListSchema, visibilityQuery } from '../core/operation-query.js';
import { parseInput } from '../core/validation.js';
import type { ApiDeps } from './server.js';
import { apiError, apiSuccess } from './linstor-shapes.js';
import { ferryAttributes } from './operations.js';

export function registerOperationRoutes(app: FastifyInstance, deps: ApiDeps): void {
  const { client } = deps;

  app.get<{ Querystring: Record<string, string | undefined> }>('/v1/ferry/operations', async (req, reply) => {
    try {
      const q = req.query;
      const f = parseInput(operationListSchema, {
        ...(q.node ? { node: q.node } : {}),
        ...(q.resource ? { resource: q.resource } : {}),
        ...(q.operation ? { operation: q.operation } : {}),
        running: q.running === 'true',
        failed: q.failed === 'true',
        ...(q.limit ? { limit: q.limit } : {}),
      });
      const limit = f.limit ?? 100;
      const out = [];
      for await (const w of client.workflow.list({ query: visibilityQuery(f) || undefined, pageSize: Math.min(limit, 100) })) {
        // the untyped record: the Ferry* keyword lists as plain arrays
        const attrs = ferryAttributes(w.searchAttributes as Record<string, unknown>);
        out.push({
          workflow_id: w.workflowId,
          run_id: w.runId,
          type: w.type,
          status: w.status.name,
          start_time: w.startTime.toISOString(),
          close_time: w.closeTime?.toISOString() ?? null,
          nodes: attrs.node,
          resources: attrs.resource,
          operation: attrs.operation,
        });
        if (out.length >= limit) break;
      }
      return out;
    } catch (e) {
      if (e instanceof FerryError) return reply.code(e.httpStatus).send(apiError(e.message));
      throw e;
    }
  });

  // ids contain slashes (`resource-create/db0`): the id is the path up to `/cancel`
  app.post<{ Params: { '*': string } }>('/v1/ferry/operations/*', async (req, reply) => {
    const path = req.params['*'];
    if (!path.endsWith('/cancel')) return reply.code(404).send(apiError(`no such action: POST /v1/ferry/operations/${path}`));
    const id = path.slice(0, -'/cancel'.length);
    try {
      const handle = client.workflow.getHandle(id);
      const d = await handle.describe();
      if (d.status.name !== 'RUNNING') {
        return reply.code(409).send(apiError(`operation '${id}' is not running (${d.status.name}); nothing to cancel`, { workflow_id: id }));
      }
      await handle.cancel();
      return reply.code(202).send(apiSuccess(`Cancellation of operation '${id}' requested.`, {}, id));
    } catch (e) {
      if (e instanceof WorkflowNotFoundError) return reply.code(404).send(apiError(`operation '${id}' not found`));
      throw e;
    }
  });
}
