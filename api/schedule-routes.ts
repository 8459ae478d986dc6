// REST routes of scheduled backup shipping, on LINSTOR's paths: /v1/schedules (list, create,
// modify, delete), /v1/remotes/{remote}/backups/schedule/{schedule}/enable|disable and DELETE
// (enablement at controller, resource-group or resource-definition level), plus ferry's
// /v1/schedules/list-by-resource. Every input is validated before a workflow starts.
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { Client } from '@temporalio/client';
import type { FerryConfig } from '../core/config.js';
import { ConflictError, NotFoundError } from '../core/errors.js';
import { parseInput } from '../core/validation.js';
import { parseCron, nextCronTime } from '../core/cron.js';
import {
  applySchedule, formatRetentionDuration, levelOf, resolveForResource, scheduleCreateSchema, scheduleEnablementSchema, scheduleModifySchema, scheduleWorkflowIds,
  type ScheduleRecord,
} from '../core/schedules.js';
import type { Catalog } from '../catalog/index.js';
import { refuse } from './linstor-shapes.js';
import type { Mutate } from './resource-routes.js';

interface Ctx {
  cfg: FerryConfig;
  catalog: Catalog;
  client: Client;
  now: () => number;
  mutate: Mutate;
}

type Wait = { Querystring: { wait?: string } };

export function scheduleJson(s: ScheduleRecord, now: number) {
  return {
    schedule_name: s.name, full_cron: s.fullCron, inc_cron: s.incrCron ?? undefined, keep_local: s.keepLocal ?? undefined, keep_remote: s.keepRemote ?? undefined,
    keep_within: s.keepWithinMs !== null ? formatRetentionDuration(s.keepWithinMs) : undefined, on_failure: s.onFailure, max_retries: s.maxRetries,
    next_run: nextRunOf(s, now),
  };
}

/** The next firing of either cron (UTC ISO), or null. */
function nextRunOf(s: ScheduleRecord, now: number): string | null {
  const times = [s.fullCron, ...(s.incrCron ? [s.incrCron] : [])].map((c) => nextCronTime(parseCron(c), now)).filter((t): t is number => t !== null);
  return times.length > 0 ? new Date(Math.min(...times)).toISOString() : null;
}


const num = (v: unknown) => (v === undefined ? undefined : v === null ? null : typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : v);
const str = (v: unknown) => (v === undefined || v === null ? v : v);

export function registerScheduleRoutes(app: FastifyInstance, ctx: Ctx): void {
  const { catalog, client, mutate, now } = ctx;

  const body = (b: Record<string, unknown>, name: unknown) => ({
    name, fullCron: str(b.full_cron), incrCron: str(b.inc_cron), keepLocal: num(b.keep_local), keepRemote: num(b.keep_remote),
    keepWithin: str(b.keep_within), onFailure: typeof b.on_failure === 'string' ? b.on_failure.toUpperCase() : b.on_failure, maxRetries: num(b.max_retries),
  });
  const defined = <T extends Record<string, unknown>>(o: T) => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));

  app.get('/v1/schedules', async () => ({ data: (await catalog.schedules.list()).map((s) => scheduleJson(s, now())) }));

  app.post<Wait>('/v1/schedules', async (req, reply) => {
    try {
      const b = (req.body ?? {}) as Record<string, unknown>;
      const input = parseInput(scheduleCreateSchema, defined(body(b, b.schedule_name)));
      if (await catalog.schedules.get(input.name)) throw new ConflictError('schedule', input.name, 'exists');
      const rec = applySchedule(undefined, input, now());
      return await mutate(reply, req.query.wait === 'true', 'scheduleCreate', scheduleWorkflowIds.create(rec.name), [{ schedule: rec }], `Schedule '${rec.name}' created.`, { Schedule: rec.name });
    } catch (e) {
      return refuse(reply, e);
    }
  });

  app.put<{ Params: { name: string } } & Wait>('/v1/schedules/:name', async (req, reply) => {
    try {
      const b = (req.body ?? {}) as Record<string, unknown>;
      const input = parseInput(scheduleModifySchema, defined(body(b, req.params.name)));
      const prev = await catalog.schedules.get(input.name);
      if (!prev) throw new NotFoundError('schedule', input.name);
      const rec = applySchedule(prev, input, now());
      return await mutate(reply, req.query.wait === 'true', 'scheduleModify', scheduleWorkflowIds.modify(rec.name, now()), [{ schedule: rec }], `Schedule '${rec.name}' modified.`, { Schedule: rec.name });
    } catch (e) {
      return refuse(reply, e);
    }
  });

  app.delete<{ Params: { name: string } } & Wait>('/v1/schedules/:name', async (req, reply) => {
    try {
      const input = parseInput(scheduleModifySchema, { name: req.params.name });
      if (!(await catalog.schedules.get(input.name))) throw new NotFoundError('schedule', input.name);
      return await mutate(reply, req.query.wait === 'true', 'scheduleDelete', scheduleWorkflowIds.delete(input.name), [{ name: input.name }], `Schedule '${input.name}' deleted.`, { Schedule: input.name });
    } catch (e) {
      return refuse(reply, e);
    }
  });

  /** Per resource: which (remote, schedule) applies, from which level, last/next run and last result. */
  app.get('/v1/schedules/list-by-resource', async () => {
    const rows = await catalog.schedules.enablement();
    const schedules = new Map((await catalog.schedules.list()).map((s) => [s.name, s]));
    const runs = await catalog.schedules.runs();
    const paused = new Map<string, boolean>();
    for (const pair of new Set(rows.map((r) => scheduleWorkflowIds.temporalSchedule(r.remote, r.schedule)))) {
      try {
        paused.set(pair, (await client.schedule.getHandle(pair).describe()).state.paused);
      } catch {
        // no Temporal Schedule (nothing enabled for this pair)
      }
    }
    const out = [];
    for (const rd of await catalog.resources.listDefinitions()) {
      const applied = resolveForResource(rows, { name: rd.name, resourceGroup: rd.resourceGroup });
      if (applied.length === 0) {
        out.push({ rsc_name: rd.name, remote_name: null, schedule_name: null, reason: 'no schedule enabled' });
        continue;
      }
      for (const a of applied) {
        const s = schedules.get(a.schedule);
        const run = runs.find((r) => r.remote === a.remote && r.schedule === a.schedule && r.resource === rd.name);
        const id = scheduleWorkflowIds.temporalSchedule(a.remote, a.schedule);
        out.push({
          rsc_name: rd.name, remote_name: a.remote, schedule_name: a.schedule, enabled: a.enabled,
          reason: `${a.enabled ? 'enabled' : 'disabled'} at ${a.from === 'controller' ? 'controller' : a.from === 'rg' ? `resource group ${a.target}` : `resource definition ${a.target}`} level`,
          level: a.from,
          last_run: run ? new Date(run.lastRunAt).toISOString() : null, last_result: run?.lastResult ?? null, last_backup: run?.lastBackupId ?? null,
          next_run: a.enabled && s && paused.get(id) !== true ? nextRunOf(s, now()) : null,
          paused: paused.get(id) ?? null,
        });
      }
    }
    return { data: out };
  });

  const enablement = (enabled: boolean | null) => async (req: { params: { remote: string; schedule: string }; body: unknown; query: { wait?: string; rg_name?: string; rsc_name?: string } }, reply: FastifyReply) => {
    try {
      const b = (req.body ?? {}) as Record<string, unknown>;
      const rg = (b.rg_name ?? req.query.rg_name) as string | undefined;
      const rd = (b.rsc_name ?? req.query.rsc_name) as string | undefined;
      const input = parseInput(scheduleEnablementSchema, defined({ remote: req.params.remote, schedule: req.params.schedule, rg, rd }));
      if (!(await catalog.remotes.get(input.remote))) throw new NotFoundError('remote', input.remote);
      if (!(await catalog.schedules.get(input.schedule))) throw new NotFoundError('schedule', input.schedule);
      if (input.rg && !(await catalog.resources.resourceGroupExists(input.rg))) throw new NotFoundError('resource group', input.rg);
      if (input.rd && !(await catalog.resources.getDefinition(input.rd))) throw new NotFoundError('resource definition', input.rd);
      const { level, target } = levelOf(input);
      const verb = enabled === null ? 'deleted' : enabled ? 'enabled' : 'disabled';
      return await mutate(reply, req.query.wait === 'true', 'scheduleEnablement', scheduleWorkflowIds.enablement(input.remote, input.schedule, level, target, now()),
        [{ remote: input.remote, schedule: input.schedule, level, target, enabled }],
        `Backup schedule '${input.schedule}' to remote '${input.remote}' ${verb} at ${level === 'controller' ? 'controller' : `${level} ${target}`} level.`, { Remote: input.remote, Schedule: input.schedule });
    } catch (e) {
      return refuse(reply, e);
    }
  };
  type EnableReq = { Params: { remote: string; schedule: string }; Querystring: { wait?: string; rg_name?: string; rsc_name?: string } };
  app.post<EnableReq>('/v1/remotes/:remote/backups/schedule/:schedule/enable', (req, reply) => enablement(true)(req, reply));
  app.post<EnableReq>('/v1/remotes/:remote/backups/schedule/:schedule/disable', (req, reply) => enablement(false)(req, reply));
  app.delete<EnableReq>('/v1/remotes/:remote/backups/schedule/:schedule', (req, reply) => enablement(null)(req, reply));
}
