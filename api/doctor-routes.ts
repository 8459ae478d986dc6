// REST routes of `ferry doctor`: GET /v1/ferry/doctor runs the check (a `doctor/<ts>-<nonce>`
// workflow) and answers its report; POST /v1/ferry/doctor/repair starts `doctor-repair/<ts>-<nonce>`
// (with `dry_run: true` it waits and answers the plan, changing nothing).
import { randomBytes } from 'node:crypto';
import { operationMetadata, workflowIds } from '../core/operations.js';
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { Client } from '@temporalio/client';
import { parseGrace } from '../core/doctor.js';
import { ValidationError } from '../core/errors.js';
import { apiError } from './linstor-shapes.js';
import { failureMessage } from './operations.js';
import type { Mutate } from './resource-routes.js';

interface Ctx {
  client: Client;
  taskQueue: string;
  now: () => number;
  mutate: Mutate;
}

function graceOf(raw: unknown): number | undefined {
  if (raw === undefined || raw === null || raw === '') return undefined;
  const ms = typeof raw === 'string' || typeof raw === 'number' ? parseGrace(String(raw)) : null;
  if (ms === null) throw new ValidationError('grace', `'${String(raw)}' is not a duration (e.g. 0s, 30m, 2h, 1d)`);
  return ms;
}

/** A short random part of a doctor run's id, so that two runs in one millisecond do not collide. */
const nonce = () => randomBytes(4).toString('hex');

export function registerDoctorRoutes(app: FastifyInstance, ctx: Ctx): void {
  const { client, taskQueue, mutate } = ctx;

  async function run(reply: FastifyReply, workflow: 'doctorCheck' | 'doctorRepair', workflowId: string, input: object) {
    try {
      const result = await client.workflow.execute(workflow, { taskQueue, workflowId, args: [input], ...operationMetadata(workflow, workflowId, {}) });
      return reply.code(200).send({ workflow_id: workflowId, ...(result as object) });
    } catch (e) {
      const { status, message } = failureMessage(e);
      return reply.code(status).send(apiError(message, { workflow_id: workflowId }));
    }
  }

  app.get<{ Querystring: { grace?: string } }>('/v1/ferry/doctor', async (req, reply) => {
    let graceMs: number | undefined;
    try {
      graceMs = graceOf(req.query.grace);
    } catch (e) {
      return reply.code(400).send(apiError((e as Error).message));
    }
    return run(reply, 'doctorCheck', workflowIds.doctorCheck(ctx.now(), nonce()), graceMs === undefined ? {} : { graceMs });
  });

  app.post<{ Body: { dry_run?: unknown; grace?: unknown } | undefined; Querystring: { wait?: string } }>('/v1/ferry/doctor/repair', async (req, reply) => {
    const body = req.body ?? {};
    let graceMs: number | undefined;
    try {
      if (typeof body !== 'object' || Array.isArray(body)) throw new ValidationError('body', 'must be an object { dry_run?, grace? }');
      const extra = Object.keys(body).filter((k) => k !== 'dry_run' && k !== 'grace');
      if (extra.length) throw new ValidationError(extra[0]!, 'unknown field (allowed: dry_run, grace)');
      if (body.dry_run !== undefined && typeof body.dry_run !== 'boolean') throw new ValidationError('dry_run', 'must be true or false');
      graceMs = graceOf(body.grace);
    } catch (e) {
      return reply.code(400).send(apiError((e as Error).message));
    }
    const input = { dryRun: body.dry_run === true, ...(graceMs === undefined ? {} : { graceMs }) };
    if (input.dryRun) return run(reply, 'doctorRepair', workflowIds.doctorRepair(ctx.now(), nonce(), true), input);
    return mutate(reply, req.query.wait === 'true', 'doctorRepair', workflowIds.doctorRepair(ctx.now(), nonce(), false), [input], 'Doctor repair', {});
  });
}
