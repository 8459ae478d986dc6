// Scheduled backup shipping: the input schemas of schedules and their enablement, the ids of the
// Temporal Schedules and workflows, which kind of backup a firing makes, which schedule applies to
// a resource (rd > rg > controller), and the retention planner. Pure: imported by workflows.
import { z } from 'zod';
import { cronProblem, cronMatches, parseCron, previousCronTime } from './cron.js';
import { remoteNameSchema, resourceDefinitionNameSchema, resourceGroupNameSchema, scheduleNameSchema } from './validation.js';

export type OnFailure = 'SKIP' | 'RETRY';
export type EnableLevel = 'controller' | 'rg' | 'rd';

export interface ScheduleRecord {
  name: string;
  fullCron: string;
  incrCron: string | null;
  keepLocal: number | null;
  keepRemote: number | null;
  /** keep-within, in milliseconds */
  keepWithinMs: number | null;
  onFailure: OnFailure;
  maxRetries: number;
  createdAt: number;
  updatedAt: number;
}

export interface EnablementRecord {
  remote: string;
  schedule: string;
  level: EnableLevel;
  /** '' at controller level, else the rg or rd name */
  target: string;
  enabled: boolean;
}

const DURATION_UNITS: Record<string, number> = { m: 60_000, h: 3_600_000, d: 86_400_000, w: 7 * 86_400_000 };

/** `30d`, `12h`, `2w`, `90m` → milliseconds; undefined when not such a duration. */
export function parseRetentionDuration(s: string): number | undefined {
  const m = /^(\d{1,6})([mhdw])$/.exec(s.trim());
  if (!m) return undefined;
  const ms = Number(m[1]) * DURATION_UNITS[m[2]!]!;
  return ms > 0 ? ms : undefined;
}

export function formatRetentionDuration(ms: number): string {
  for (const u of ['w', 'd', 'h', 'm']) if (ms % DURATION_UNITS[u]! === 0) return `${ms / DURATION_UNITS[u]!}${u}`;
  return `${ms}ms`;
}

const cronSchema = (field: string) => z.string({ error: `${field}: a cron expression is required` }).superRefine((v, ctx) => {
  const p = cronProblem(v);
  if (p) ctx.addIssue({ code: 'custom', message: `invalid ${field === 'fullCron' ? 'full' : 'incremental'} cron expression '${v}': ${p}` });
});
const keepSchema = (what: string) => z.number({ error: `${what} must be a whole number` }).int(`${what} must be a whole number`).min(0, `${what} must be 0 or more`).max(10_000, `${what} must be at most 10000`);
const keepWithinSchema = z.string().superRefine((v, ctx) => {
  if (parseRetentionDuration(v) === undefined) ctx.addIssue({ code: 'custom', message: `'${v}' is not a duration like 30d, 12h, 2w or 90m` });
});

/** schedule create (also the shape of a full modify) */
export const scheduleCreateSchema = z.object({
  name: scheduleNameSchema,
  fullCron: cronSchema('fullCron'),
  incrCron: cronSchema('incrCron').optional(),
  keepLocal: keepSchema('keepLocal').optional(),
  keepRemote: keepSchema('keepRemote').optional(),
  keepWithin: keepWithinSchema.optional(),
  onFailure: z.enum(['SKIP', 'RETRY'], { error: 'onFailure must be SKIP or RETRY' }).optional(),
  maxRetries: keepSchema('maxRetries').optional(),
}).strict();
export type ScheduleCreate = z.infer<typeof scheduleCreateSchema>;

/** schedule modify: any of the fields; null clears an optional one */
export const scheduleModifySchema = z.object({
  name: scheduleNameSchema,
  fullCron: cronSchema('fullCron').optional(),
  incrCron: cronSchema('incrCron').nullable().optional(),
  keepLocal: keepSchema('keepLocal').nullable().optional(),
  keepRemote: keepSchema('keepRemote').nullable().optional(),
  keepWithin: keepWithinSchema.nullable().optional(),
  onFailure: z.enum(['SKIP', 'RETRY'], { error: 'onFailure must be SKIP or RETRY' }).optional(),
  maxRetries: keepSchema('maxRetries').optional(),
}).strict();
export type ScheduleModify = z.infer<typeof scheduleModifySchema>;

export const scheduleEnablementSchema = z.object({
  remote: remoteNameSchema,
  schedule: scheduleNameSchema,
  rg: resourceGroupNameSchema.optional(),
  rd: resourceDefinitionNameSchema.optional(),
}).strict().refine((v) => !(v.rg && v.rd), { message: 'give at most one of --rg and --rd', path: ['rg'] });
export type ScheduleEnablementInput = z.infer<typeof scheduleEnablementSchema>;

export function levelOf(e: { rg?: string | undefined; rd?: string | undefined }): { level: EnableLevel; target: string } {
  if (e.rd) return { level: 'rd', target: e.rd };
  if (e.rg) return { level: 'rg', target: e.rg };
  return { level: 'controller', target: '' };
}

/** Applies a validated create/modify to a record (the stored form). */
export function applySchedule(prev: ScheduleRecord | undefined, c: ScheduleCreate | ScheduleModify, now: number): ScheduleRecord {
  const keepWithin = c.keepWithin === undefined ? prev?.keepWithinMs ?? null : c.keepWithin === null ? null : parseRetentionDuration(c.keepWithin)!;
  const pick = <T>(v: T | null | undefined, old: T | null): T | null => (v === undefined ? old : v);
  return {
    name: c.name,
    fullCron: c.fullCron !== undefined ? parseCron(c.fullCron).source : prev!.fullCron,
    incrCron: pick(c.incrCron === undefined || c.incrCron === null ? c.incrCron : parseCron(c.incrCron).source, prev?.incrCron ?? null),
    keepLocal: pick(c.keepLocal, prev?.keepLocal ?? null),
    keepRemote: pick(c.keepRemote, prev?.keepRemote ?? null),
    keepWithinMs: keepWithin,
    onFailure: c.onFailure ?? prev?.onFailure ?? 'SKIP',
    maxRetries: c.maxRetries ?? prev?.maxRetries ?? 3,
    createdAt: prev?.createdAt ?? now,
    updatedAt: now,
  };
}

export const scheduleWorkflowIds = {
  /** the Temporal Schedule of one enabled (remote, schedule) pair */
  temporalSchedule: (remote: string, schedule: string) => `backup-schedule/${remote}/${schedule}`,
  /** the workflow its action starts (Temporal appends the firing time) */
  run: (remote: string, schedule: string) => `scheduled-backup/${remote}/${schedule}`,
  retention: (remote: string, schedule: string) => `backupRetention/${remote}/${schedule}`,
  create: (name: string) => `schedule-create/${name}`,
  modify: (name: string, at: number) => `schedule-modify/${name}/${at}`,
  delete: (name: string) => `schedule-delete/${name}`,
  enablement: (remote: string, schedule: string, level: EnableLevel, target: string, at: number) => `backup-schedule-${level}/${remote}/${schedule}${target ? `/${target}` : ''}/${at}`,
};

export const SCHEDULE_ID_PREFIX = 'backup-schedule/';

/** remote and schedule of a Temporal Schedule id made by scheduleWorkflowIds.temporalSchedule */
export function pairOfScheduleId(id: string): { remote: string; schedule: string } | undefined {
  if (!id.startsWith(SCHEDULE_ID_PREFIX)) return undefined;
  const [remote, schedule, extra] = id.slice(SCHEDULE_ID_PREFIX.length).split('/');
  return remote && schedule && extra === undefined ? { remote, schedule } : undefined;
}

/**
 * Which backup a firing at `firedAt` makes: full when the full cron fires that minute (full wins a
 * tie with the incremental cron), or when a firing of the full cron was missed since the last full
 * backup of this schedule (`lastFullAt`); else incremental. Without an incremental cron every run is full.
 */
export function backupKindAt(s: Pick<ScheduleRecord, 'fullCron' | 'incrCron'>, firedAt: number, lastFullAt: number | null): { kind: 'full' | 'incremental'; why: string } {
  const full = parseCron(s.fullCron);
  if (s.incrCron === null) return { kind: 'full', why: 'the schedule has no incremental cron' };
  if (cronMatches(full, firedAt)) return { kind: 'full', why: `the full cron '${s.fullCron}' fires at this minute` };
  const prev = previousCronTime(full, firedAt);
  if (prev !== null && (lastFullAt === null || lastFullAt < prev)) {
    return { kind: 'full', why: `the full cron's firing at ${new Date(prev).toISOString()} was missed${lastFullAt === null ? ' (no full backup by this schedule yet)' : ''}` };
  }
  return { kind: 'incremental', why: `the incremental cron '${s.incrCron}' fired` };
}

/**
 * Which (remote, schedule) rows apply to a resource: for each pair, the rd-level row if there is
 * one, else the rg-level row of its resource group, else the controller-level row.
 */
export function resolveForResource(rows: readonly EnablementRecord[], rsc: { name: string; resourceGroup: string }): (EnablementRecord & { from: EnableLevel })[] {
  const byPair = new Map<string, EnablementRecord>();
  const rank = (r: EnablementRecord) => (r.level === 'rd' ? 3 : r.level === 'rg' ? 2 : 1);
  for (const r of rows) {
    if (r.level === 'rd' && r.target !== rsc.name) continue;
    if (r.level === 'rg' && r.target !== rsc.resourceGroup) continue;
    const key = `${r.remote}\u0000${r.schedule}`;
    const cur = byPair.get(key);
    if (!cur || rank(r) > rank(cur)) byPair.set(key, r);
  }
  return [...byPair.values()].map((r) => ({ ...r, from: r.level })).sort((a, b) => a.remote.localeCompare(b.remote) || a.schedule.localeCompare(b.schedule));
}

// ---- retention ---------------------------------------------------------------------------------

export interface RemoteChain {
  resource: string;
  /** the full backup */
  fullId: string;
  /** full first, then its incrementals (every backup that depends on the full) */
  ids: string[];
  fullAt: number;
  /** time of the newest backup of the chain */
  newestAt: number;
}

export interface RetentionDecision {
  resource: string;
  fullId: string;
  ids: string[];
  reason: string;
}

/**
 * The chains of one schedule's backups to delete from a remote: per resource, a chain goes when
 * every rule that is set lets it go (keep-remote: it is not among the newest N full backups;
 * keep-within: its newest backup is older than the window). The newest chain of a resource and any
 * chain holding a protected backup (the base of the next incremental) always stay. All surplus
 * chains go in one run.
 */
export function planRemoteRetention(chains: readonly RemoteChain[], policy: { keepRemote: number | null; keepWithinMs: number | null }, now: number, protectedIds: ReadonlySet<string>): { remove: RetentionDecision[]; keep: RetentionDecision[] } {
  const remove: RetentionDecision[] = [];
  const keep: RetentionDecision[] = [];
  const byRsc = new Map<string, RemoteChain[]>();
  for (const c of chains) byRsc.set(c.resource, [...(byRsc.get(c.resource) ?? []), c]);
  for (const [, list] of [...byRsc.entries()].sort(([a], [b]) => a.localeCompare(b))) {
    list.sort((a, b) => b.fullAt - a.fullAt || b.fullId.localeCompare(a.fullId));
    for (const [i, c] of list.entries()) {
      const d = { resource: c.resource, fullId: c.fullId, ids: c.ids };
      if (policy.keepRemote === null && policy.keepWithinMs === null) { keep.push({ ...d, reason: 'no keep-remote or keep-within set' }); continue; }
      if (i === 0) { keep.push({ ...d, reason: 'the newest chain of the resource' }); continue; }
      const guarded = c.ids.find((id) => protectedIds.has(id));
      if (guarded) { keep.push({ ...d, reason: `${guarded} is the base of the next incremental backup` }); continue; }
      const reasons: string[] = [];
      let keepIt = false;
      if (policy.keepRemote !== null) {
        if (i < policy.keepRemote) { keepIt = true; reasons.push(`among the newest ${policy.keepRemote} full backup(s) (keep-remote)`); } else reasons.push(`beyond the newest ${policy.keepRemote} full backup(s) (keep-remote=${policy.keepRemote})`);
      }
      if (policy.keepWithinMs !== null) {
        const age = now - c.newestAt;
        if (age <= policy.keepWithinMs) { keepIt = true; reasons.push(`newer than ${formatRetentionDuration(policy.keepWithinMs)} (keep-within)`); } else reasons.push(`older than ${formatRetentionDuration(policy.keepWithinMs)} (keep-within)`);
      }
      (keepIt ? keep : remove).push({ ...d, reason: reasons.join(' and ') });
    }
  }
  return { remove, keep };
}

// ---- keep-local -------------------------------------------------------------------------------

/** A local snapshot a scheduled backup kept. */
export interface LocalSnapshotEntry {
  resource: string;
  snapshot: string;
  kind: 'full' | 'incremental';
  createdAt: number;
}

export interface LocalRetentionDecision {
  resource: string;
  /** the snapshot of the chain's full backup (or its oldest snapshot when that one is gone) */
  base: string;
  /** the chain's snapshots, oldest first */
  snapshots: string[];
  reason: string;
}

/**
 * keep-local as LINSTOR counts it: per resource, the schedule's local snapshots form chains (a full
 * backup's snapshot and the snapshots of the incrementals made after it); the newest N chains stay,
 * every older chain goes with all its snapshots, all in one run. A chain holding a protected
 * snapshot (the base of the next incremental backup) always stays.
 */
export function planLocalRetention(entries: readonly LocalSnapshotEntry[], keepLocal: number, protectedSnapshots: ReadonlySet<string>): { remove: LocalRetentionDecision[]; keep: LocalRetentionDecision[] } {
  const remove: LocalRetentionDecision[] = [];
  const keep: LocalRetentionDecision[] = [];
  const byRsc = new Map<string, LocalSnapshotEntry[]>();
  for (const e of entries) byRsc.set(e.resource, [...(byRsc.get(e.resource) ?? []), e]);
  for (const [rsc, list] of [...byRsc.entries()].sort(([a], [b]) => a.localeCompare(b))) {
    list.sort((a, b) => a.createdAt - b.createdAt || a.snapshot.localeCompare(b.snapshot));
    const chains: LocalSnapshotEntry[][] = [];
    for (const e of list) {
      if (e.kind === 'full' || chains.length === 0) chains.push([e]);
      else chains.at(-1)!.push(e);
    }
    chains.reverse(); // newest first
    for (const [i, c] of chains.entries()) {
      const d = { resource: rsc, base: c[0]!.snapshot, snapshots: c.map((e) => e.snapshot) };
      const guarded = c.find((e) => protectedSnapshots.has(`${rsc}/${e.snapshot}`));
      if (i < keepLocal) keep.push({ ...d, reason: `among the newest ${keepLocal} full backup snapshot(s) (keep-local)` });
      else if (guarded) keep.push({ ...d, reason: `${guarded.snapshot} is the base of the next incremental backup` });
      else remove.push({ ...d, reason: `beyond the newest ${keepLocal} full backup snapshot(s) (keep-local=${keepLocal})` });
    }
  }
  return { remove, keep };
}
