// REST routes of error reports, at LINSTOR's path /v1/error-reports: list (filter by node, since),
// show one, delete; and the agents' internal POST of a report (already redacted by the agent,
// redacted again here).
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { knownSecretsFromEnv, redactReport } from '../core/error-report.js';
import { FerryError } from '../core/errors.js';
import { workflowUrl } from '../core/operations.js';
import { nodeNameSchema, parseInput } from '../core/validation.js';
import type { ApiDeps } from './server.js';
import { apiError, apiSuccess } from './linstor-shapes.js';

const reportBody = z.object({
  source: z.enum(['activity', 'workflow']),
  node: z.string().max(64).nullable(),
  workflowId: z.string().min(1).max(512),
  runId: z.string().max(128).nullable(),
  workflowType: z.string().max(128).nullable(),
  activityType: z.string().max(128).nullable(),
  attempt: z.number().int().nullable(),
  errorType: z.string().max(128),
  message: z.string().max(16_384),
  commandLine: z.string().max(16_384).nullable(),
  exitCode: z.number().int().nullable(),
  stderrTail: z.string().max(16_384).nullable(),
  at: z.number().int().positive(),
});

const listQuery = z.object({
  node: nodeNameSchema.optional(),
  since: z.coerce.number({ error: 'since must be a time in ms since the epoch' }).int().nonnegative().optional(),
  limit: z.coerce.number({ error: 'limit must be a number' }).int().min(1).max(1000).optional(),
});

export function registerErrorReportRoutes(app: FastifyInstance, deps: ApiDeps): void {
  const { catalog } = deps;
  const secrets = knownSecretsFromEnv(process.env);

  app.get<{ Querystring: Record<string, string | undefined> }>('/v1/error-reports', async (req, reply) => {
    try {
      const q = parseInput(listQuery, Object.fromEntries(Object.entries(req.query).filter(([, v]) => v !== undefined && v !== '')));
      return await catalog.errorReports.list(q);
    } catch (e) {
      if (e instanceof FerryError) return reply.code(e.httpStatus).send(apiError(e.message));
      throw e;
    }
  });

  app.get<{ Params: { id: string } }>('/v1/error-reports/:id', async (req, reply) => {
    const r = await catalog.errorReports.get(req.params.id);
    if (!r) return reply.code(404).send(apiError(`error report '${req.params.id}' not found`));
    return { ...r, workflowUrl: workflowUrl(deps.cfg, r.workflowId, r.runId) };
  });

  app.delete<{ Params: { id: string } }>('/v1/error-reports/:id', async (req, reply) => {
    const n = await catalog.errorReports.delete([req.params.id]);
    if (!n) return reply.code(404).send(apiError(`error report '${req.params.id}' not found`));
    return apiSuccess(`Error report '${req.params.id}' deleted.`);
  });

  app.post('/v1/internal/error-reports', async (req, reply) => {
    const parsed = reportBody.safeParse(req.body);
    if (!parsed.success) return reply.code(400).send(apiError(parsed.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; ')));
    const id = await catalog.errorReports.record(redactReport(parsed.data, secrets));
    return { id };
  });
}
