// Scheduled backup shipping as workflows.
//
// scheduleCreate / scheduleModify / scheduleDelete / scheduleEnablement: change the catalog, then
// reconcile Temporal's Schedules with it (one Schedule `backup-schedule/<remote>/<schedule>` per
// enabled pair).
//
// scheduledBackupRun (started by that Schedule's action): finds which cron fired (full wins a tie,
// a missed full firing makes the run full), resolves the resources the pair applies to (rd > rg >
// controller, disabled rows excluded), starts one backupCreate workflow per resource (id
// `backup/<rsc>/<snapshot>`, started in batches by an activity, each reporting back by signal when
// it ends; a resource whose backup is still running is skipped; the backups queue on
// MaxConcurrentBackupsPerNode), retries failures after BackupShipping/ScheduleRetryDelay
// (default 60 s) with on-failure RETRY, records each resource's result, then runs the retention
// workflow `backupRetention/<remote>/<schedule>`.
//
// backupRetention: deletes the schedule's surplus chains from the remote (keep-remote, keep-within;
// never what a kept backup or the next incremental depends on) and its surplus local snapshot
// chains (keep-local, through the snapshot delete workflow), and returns what it deleted and why.
import {
  CancellationScope, ParentClosePolicy, WorkflowIdReusePolicy, condition, executeChild, isCancellation, log, patched, proxyActivities, setHandler, sleep,
  upsertSearchAttributes, workflowInfo,
} from '@temporalio/workflow';
import { operationMetadata } from '../core/operations.js';
import type { ControllerActivities } from '../activities/controller/activities.js';
import type { RunRecordInput } from '../activities/controller/schedules.js';
import {
  backupKindAt, planLocalRetention, planRemoteRetention, scheduleWorkflowIds, formatRetentionDuration, type EnableLevel, type LocalRetentionDecision, type RetentionDecision, type ScheduleRecord,
} from '../core/schedules.js';
import { backupWorkflowIds, type BackupCreateInput, type ScheduledBackupOutcome } from '../core/backup-operations.js';
import { formatBackupTimestamp } from '../core/backup-names.js';
import { trackProgress } from './progress.js';
import { backupCreate, backupFinishedSignal, rootMessage } from './backups.js';
import { deleteResourceSnapshot } from './snapshot-delete.js';

const NON_RETRYABLE = ['ValidationError', 'NotFoundError', 'ConflictError', 'PlacementError'];

const catalog = proxyActivities<ControllerActivities>({
  startToCloseTimeout: '1 minute',
  scheduleToCloseTimeout: '10 minutes',
  retry: { initialInterval: '1 second', maximumInterval: '10 seconds', maximumAttempts: 10, nonRetryableErrorTypes: NON_RETRYABLE },
});

/** S3 reads and deletes of retention: longer */
const bucket = proxyActivities<ControllerActivities>({
  startToCloseTimeout: '10 minutes',
  scheduleToCloseTimeout: '1 hour',
  retry: { initialInterval: '2 seconds', maximumInterval: '30 seconds', maximumAttempts: 10, nonRetryableErrorTypes: NON_RETRYABLE },
});

/** Starting backups: a few hundred workflow starts per call */
const starts = proxyActivities<ControllerActivities>({
  startToCloseTimeout: '10 minutes',
  heartbeatTimeout: '1 minute',
  retry: { initialInterval: '1 second', maximumInterval: '10 seconds', maximumAttempts: 10, nonRetryableErrorTypes: NON_RETRYABLE },
});

/**
 * Attempts of each volume's shipment in a scheduled backup before it fails (a manual backup makes
 * 20): an unreachable S3 fails the backup in about half a minute and on-failure decides what next.
 */
export const SCHEDULED_SHIP_ATTEMPTS = 5;

// ---- catalog changes --------------------------------------------------------------------------

export async function scheduleCreate(input: { schedule: ScheduleRecord }): Promise<{ schedule: string; reconcile: unknown }> {
  upsertSearchAttributes({ FerryOperation: ['schedule-create'] });
  const progress = trackProgress({ phase: 'recording the schedule', done: 0, total: 2, unit: 'steps' });
  await catalog.scheduleCatalogPut(input.schedule);
  progress.update({ phase: 'reconciling the Temporal Schedules', done: 1 });
  const reconcile = await catalog.scheduleReconcile({});
  progress.update({ phase: 'done', done: 2 });
  return { schedule: input.schedule.name, reconcile };
}

export async function scheduleModify(input: { schedule: ScheduleRecord }): Promise<{ schedule: string; reconcile: unknown }> {
  upsertSearchAttributes({ FerryOperation: ['schedule-modify'] });
  const progress = trackProgress({ phase: 'recording the schedule', done: 0, total: 2, unit: 'steps' });
  await catalog.scheduleCatalogPut(input.schedule);
  progress.update({ phase: 'reconciling the Temporal Schedules', done: 1 });
  const reconcile = await catalog.scheduleReconcile({});
  progress.update({ phase: 'done', done: 2 });
  return { schedule: input.schedule.name, reconcile };
}

export async function scheduleDelete(input: { name: string }): Promise<{ schedule: string; reconcile: unknown }> {
  upsertSearchAttributes({ FerryOperation: ['schedule-delete'] });
  const progress = trackProgress({ phase: 'removing the schedule', done: 0, total: 2, unit: 'steps' });
  const { pairs } = await catalog.scheduleCatalogDelete(input.name);
  progress.update({ phase: 'removing its Temporal Schedules', done: 1 });
  const reconcile = await catalog.scheduleReconcile({ pairs });
  progress.update({ phase: 'done', done: 2 });
  return { schedule: input.name, reconcile };
}

export async function scheduleEnablement(input: { remote: string; schedule: string; level: EnableLevel; target: string; enabled: boolean | null }): Promise<{ reconcile: unknown }> {
  upsertSearchAttributes({ FerryRemote: [input.remote], FerryOperation: [input.enabled === null ? 'backup-schedule-delete' : input.enabled ? 'backup-schedule-enable' : 'backup-schedule-disable'] });
  const progress = trackProgress({ phase: 'recording the enablement', done: 0, total: 2, unit: 'steps' });
  await catalog.scheduleSetEnablement(input);
  progress.update({ phase: `reconciling the Temporal Schedule of ${input.remote}/${input.schedule}`, done: 1 });
  const reconcile = await catalog.scheduleReconcile({ pairs: [{ remote: input.remote, schedule: input.schedule }] });
  progress.update({ phase: 'done', done: 2 });
  return { reconcile };
}

// ---- a scheduled run ----------------------------------------------------------------------------

export interface ScheduledResourceResult {
  resource: string;
  from: EnableLevel;
  kind: 'full' | 'incremental';
  why: string;
  result: string;
  backupId: string | null;
  attempts: number;
}

export interface ScheduledRunReport {
  remote: string;
  schedule: string;
  firedAt: string;
  resources: ScheduledResourceResult[];
  retention: RetentionReport | { error: string } | null;
}

/** The time the Schedule meant this run for (TemporalScheduledStartTime), else the start time. */
function firedAt(): number {
  const info = workflowInfo();
  const v = (info.searchAttributes as Record<string, unknown[] | undefined>)['TemporalScheduledStartTime']?.[0];
  if (v instanceof Date) return v.getTime();
  if (typeof v === 'string' && !Number.isNaN(Date.parse(v))) return Date.parse(v);
  return info.startTime.getTime();
}

function snapshotNameFor(schedule: string, ts: number): string {
  return `${schedule.slice(0, 30)}_${formatBackupTimestamp(ts)}`;
}

/** Patch id: the running-backup check of a scheduled run is one query for all its resources. */
const ONE_RUNNING_QUERY = 'scheduled-run-one-running-query';
/**
 * Patch id: a scheduled run starts its backups as workflows of their own, in batches, and hears how
 * each ended by signal (child workflows start one by one and grow the run's history by several
 * events each: 1,000 resources took minutes to start; bench/schedule-fanout.ts).
 */
const STARTS_BACKUPS_DIRECTLY = 'scheduled-run-starts-backups-directly';
/** How often a run looks after backups that have not reported (the report is lost only if a backup was terminated). */
const OUTCOME_CHECK_INTERVAL = '10 minutes';

export async function scheduledBackupRun(input: { remote: string; schedule: string }): Promise<ScheduledRunReport> {
  upsertSearchAttributes({ FerryRemote: [input.remote], FerryOperation: ['scheduled-backup'] });
  // the backups this run starts report here when they end (set before any is started)
  const finished = new Map<string, ScheduledBackupOutcome>();
  setHandler(backupFinishedSignal, (o) => void finished.set(o.workflowId, o));
  const fired = firedAt();
  const progress = trackProgress({ phase: 'resolving the resources', done: 0, total: 0, unit: 'resources' });
  const targets = await catalog.scheduleTargets(input);
  const report: ScheduledRunReport = { remote: input.remote, schedule: input.schedule, firedAt: new Date(fired).toISOString(), resources: [], retention: null };
  const s = targets.schedule;
  const retryDelayMs = targets.retryDelayMs;
  if (!s) {
    progress.update({ phase: `schedule '${input.schedule}' or remote '${input.remote}' no longer exists: nothing to do` });
    return report;
  }
  if (targets.resources.length > 0) upsertSearchAttributes({ FerryResource: [targets.resources[0]!.name] });
  progress.update({ phase: 'backing up', total: targets.resources.length });
  // one visibility query for the whole run instead of one per resource (1,000 resources: bench/schedule-fanout.ts)
  const runningAtStart = patched(ONE_RUNNING_QUERY) ? await catalog.scheduleRunningBackups(targets.resources.map((r) => r.name)) : null;
  const direct = patched(STARTS_BACKUPS_DIRECTLY);
  const ctx: RunContext = { input, s, fired, retryDelayMs, runningAtStart, progress, finished };
  report.resources = direct ? await backUpDirectly(ctx, targets.resources) : await backUpAsChildren(ctx, targets.resources);
  if (s.keepLocal !== null || s.keepRemote !== null || s.keepWithinMs !== null) {
    progress.update({ phase: 'retention' });
    try {
      const workflowId = scheduleWorkflowIds.retention(input.remote, input.schedule);
      report.retention = await executeChild(backupRetention, {
        workflowId,
        args: [{ remote: input.remote, schedule: input.schedule }],
        parentClosePolicy: ParentClosePolicy.REQUEST_CANCEL,
        ...operationMetadata('backupRetention', workflowId, { Schedule: input.schedule, Remote: input.remote }),
      });
    } catch (e) {
      report.retention = { error: rootMessage(e) };
    }
  }
  progress.update({ phase: 'done' });
  return report;
}


type Target = ScheduleTargetsOf['resources'][number];
type ScheduleTargetsOf = Awaited<ReturnType<ControllerActivities['scheduleTargets']>>;

interface RunContext {
  input: { remote: string; schedule: string };
  s: ScheduleRecord;
  fired: number;
  retryDelayMs: number;
  runningAtStart: Record<string, string> | null;
  progress: ReturnType<typeof trackProgress>;
  finished: Map<string, ScheduledBackupOutcome>;
}

/**
 * Collects the requests made in one workflow activation and sends them as a few activity calls of
 * up to `max` each, side by side: a thousand resources' starts or records become four activities,
 * not a thousand.
 */
function batched<Req, Res>(send: (reqs: Req[]) => Promise<Res[]>, max: number): (req: Req) => Promise<Res> {
  let waiting: { req: Req; resolve: (r: Res) => void; reject: (e: unknown) => void }[] = [];
  const sendChunk = async (chunk: typeof waiting): Promise<void> => {
    try {
      const res = await send(chunk.map((w) => w.req));
      chunk.forEach((w, i) => w.resolve(res[i]!));
    } catch (e) {
      chunk.forEach((w) => w.reject(e));
    }
  };
  // what the activation's coroutines asked for, sent in chunks side by side
  const flush = (): void => {
    const all = waiting;
    waiting = [];
    for (let i = 0; i < all.length; i += max) void sendChunk(all.slice(i, i + max));
  };
  return (req) => new Promise<Res>((resolve, reject) => {
    waiting.push({ req, resolve, reject });
    if (waiting.length === 1) void Promise.resolve().then(flush);
  });
}

/**
 * Starts one backup workflow per resource (in batches, from an activity), waits for each one's
 * report, retries failures with on-failure RETRY, and records each resource's result (in batches).
 * Cancelling the run cancels its backups.
 */
async function backUpDirectly(ctx: RunContext, resources: Target[]): Promise<ScheduledResourceResult[]> {
  const { input, s, fired, retryDelayMs, runningAtStart, progress, finished } = ctx;
  const run = workflowInfo();
  const start = batched((backups: { workflowId: string; args: BackupCreateInput }[]) => starts.scheduleStartBackups({ taskQueue: run.taskQueue, backups }), 250);
  const record = batched((records: RunRecordInput[]) => catalog.scheduleRecordRuns(records).then(() => records.map(() => undefined)), 250);
  const waitingFor = new Set<string>();
  const outcomeOf = async (workflowId: string): Promise<ScheduledBackupOutcome> => {
    waitingFor.add(workflowId);
    await condition(() => finished.has(workflowId));
    waitingFor.delete(workflowId);
    return finished.get(workflowId)!;
  };
  let done = 0;
  const one = async (r: Target): Promise<ScheduledResourceResult> => {
    const { kind, why } = backupKindAt(s, fired, r.lastFullAt);
    const maxAttempts = s.onFailure === 'RETRY' ? 1 + s.maxRetries : 1;
    const base = { remote: input.remote, schedule: input.schedule, resource: r.name, lastRunAt: fired };
    let last = '';
    for (let attempt = 1; attempt <= maxAttempts; attempt++) {
      const running = attempt === 1 && runningAtStart ? runningAtStart[r.name] ?? null : await catalog.scheduleRunningBackup(r.name);
      if (running) {
        last = `skipped: backup ${running} of '${r.name}' is still running`;
        await record({ ...base, lastResult: last, lastKind: null, lastBackupId: null, full: false });
        progress.update({ done: ++done });
        return { resource: r.name, from: r.from, kind, why, result: last, backupId: null, attempts: attempt };
      }
      const ts = Date.now();
      const snapshot = snapshotNameFor(input.schedule, ts);
      const workflowId = backupWorkflowIds.createBackup(r.name, snapshot);
      const args: BackupCreateInput = {
        resource: r.name, remote: input.remote, snapshot, startTimestamp: ts, full: kind === 'full', keepSnapshot: s.keepLocal !== null,
        shipAttempts: SCHEDULED_SHIP_ATTEMPTS, notify: run.workflowId,
      };
      const notStarted = await start({ workflowId, args }).catch((e: unknown) => rootMessage(e));
      const o = notStarted === null ? await outcomeOf(workflowId) : { workflowId, ok: false, error: `could not start the backup: ${notStarted}` };
      if (o.ok) {
        await record({ ...base, lastResult: 'ok', lastKind: o.mode!, lastBackupId: o.id!, full: o.mode === 'full', keptSnapshot: s.keepLocal !== null ? snapshot : null });
        progress.update({ done: ++done });
        return { resource: r.name, from: r.from, kind: o.mode!, why: o.mode === kind ? why : `${why}; made full: ${o.fullBecause ?? ''}`, result: 'ok', backupId: o.id!, attempts: attempt };
      }
      last = `failed: ${o.error ?? 'unknown error'}`;
      log.warn('scheduled backup failed', { resource: r.name, remote: input.remote, schedule: input.schedule, attempt, error: last });
      if (attempt < maxAttempts) {
        progress.update({ message: `${r.name}: attempt ${attempt} failed, retrying in ${Math.round(retryDelayMs / 1000)} s (on-failure RETRY)` });
        await sleep(retryDelayMs);
      }
    }
    await record({ ...base, lastResult: last, lastKind: null, lastBackupId: null, full: false });
    progress.update({ done: ++done });
    return { resource: r.name, from: r.from, kind, why, result: last, backupId: null, attempts: maxAttempts };
  };
  // a backup that ends without reporting (terminated) is found by asking Temporal now and then
  let allDone = false;
  const lookAfterSilentOnes = async (): Promise<void> => {
    while (!(await condition(() => allDone, OUTCOME_CHECK_INTERVAL))) {
      const silent = [...waitingFor].filter((id) => !finished.has(id));
      if (silent.length === 0) continue;
      for (const o of await catalog.scheduleBackupOutcomes(silent)) if (!finished.has(o.workflowId)) finished.set(o.workflowId, o);
    }
  };
  const watching = lookAfterSilentOnes().catch(() => undefined); // ends with the run (or its cancellation)
  try {
    return await Promise.all(resources.map(one));
  } catch (e) {
    if (isCancellation(e)) await CancellationScope.nonCancellable(() => catalog.scheduleCancelBackups([...waitingFor]));
    throw e;
  } finally {
    allDone = true;
    await watching;
  }
}

/** Runs started before STARTS_BACKUPS_DIRECTLY: one child workflow per resource. */
async function backUpAsChildren(ctx: RunContext, resources: Target[]): Promise<ScheduledResourceResult[]> {
  const { input, s, fired, retryDelayMs, runningAtStart, progress } = ctx;
  let done = 0;
  const one = async (r: Target): Promise<ScheduledResourceResult> => {
    const { kind, why } = backupKindAt(s, fired, r.lastFullAt);
    const maxAttempts = s.onFailure === 'RETRY' ? 1 + s.maxRetries : 1;
    let last = '';
    for (let attempt = 1; attempt <= maxAttempts; attempt++) {
      const running = attempt === 1 && runningAtStart ? runningAtStart[r.name] ?? null : await catalog.scheduleRunningBackup(r.name);
      if (running) {
        last = `skipped: backup ${running} of '${r.name}' is still running`;
        await catalog.scheduleRecordRun({ remote: input.remote, schedule: input.schedule, resource: r.name, lastRunAt: fired, lastResult: last, lastKind: null, lastBackupId: null, full: false });
        return { resource: r.name, from: r.from, kind, why, result: last, backupId: null, attempts: attempt };
      }
      const ts = Date.now();
      const snapshot = snapshotNameFor(input.schedule, ts);
      try {
        const res = await executeChild(backupCreate, {
          workflowId: backupWorkflowIds.createBackup(r.name, snapshot),
          args: [{ resource: r.name, remote: input.remote, snapshot, startTimestamp: ts, full: kind === 'full', keepSnapshot: s.keepLocal !== null, shipAttempts: SCHEDULED_SHIP_ATTEMPTS }],
          parentClosePolicy: ParentClosePolicy.REQUEST_CANCEL,
          workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
        });
        await catalog.scheduleRecordRun({
          remote: input.remote, schedule: input.schedule, resource: r.name, lastRunAt: fired, lastResult: 'ok', lastKind: res.mode, lastBackupId: res.id, full: res.mode === 'full',
          keptSnapshot: s.keepLocal !== null ? snapshot : null,
        });
        done++;
        progress.update({ done });
        return { resource: r.name, from: r.from, kind: res.mode, why: res.mode === kind ? why : `${why}; made full: ${res.fullBecause ?? ''}`, result: 'ok', backupId: res.id, attempts: attempt };
      } catch (e) {
        last = `failed: ${rootMessage(e)}`;
        log.warn('scheduled backup failed', { resource: r.name, remote: input.remote, schedule: input.schedule, attempt, error: last });
        if (attempt < maxAttempts) {
          progress.update({ message: `${r.name}: attempt ${attempt} failed, retrying in ${Math.round(retryDelayMs / 1000)} s (on-failure RETRY)` });
          await sleep(retryDelayMs);
        }
      }
    }
    await catalog.scheduleRecordRun({ remote: input.remote, schedule: input.schedule, resource: r.name, lastRunAt: fired, lastResult: last, lastKind: null, lastBackupId: null, full: false });
    done++;
    progress.update({ done });
    return { resource: r.name, from: r.from, kind, why, result: last, backupId: null, attempts: maxAttempts };
  };
  return Promise.all(resources.map(one));
}

// ---- retention ----------------------------------------------------------------------------------

export interface RetentionReport {
  remote: string;
  schedule: string;
  policy: { keepLocal: number | null; keepRemote: number | null; keepWithin: string | null };
  deleted: (RetentionDecision & { objects: number })[];
  kept: RetentionDecision[];
  /** a one-line summary of keep-local */
  local: string;
  /** keep-local: the chains of local snapshots deleted (each through the snapshot delete workflow) and kept, with the reason */
  localDeleted: LocalRetentionDecision[];
  localKept: LocalRetentionDecision[];
  /** snapshots the schedule had kept that were already deleted by hand (forgotten) */
  localGone: string[];
}

export async function backupRetention(input: { remote: string; schedule: string }): Promise<RetentionReport> {
  upsertSearchAttributes({ FerryRemote: [input.remote], FerryOperation: ['backup-retention'] });
  const progress = trackProgress({ phase: 'reading the chains', done: 0, total: 0, unit: 'chains' });
  const { schedule: s } = await catalog.scheduleTargets(input);
  const report: RetentionReport = {
    remote: input.remote, schedule: input.schedule,
    policy: { keepLocal: s?.keepLocal ?? null, keepRemote: s?.keepRemote ?? null, keepWithin: s?.keepWithinMs ? formatRetentionDuration(s.keepWithinMs) : null },
    deleted: [], kept: [],
    local: 'keep-local not set: each resource keeps only the snapshot of its last backup to this remote (the next incremental\'s base)',
    localDeleted: [], localKept: [], localGone: [],
  };
  if (!s) return report;
  if (s.keepLocal !== null) await localRetention(input, s.keepLocal, report, progress);
  const { chains, protectedIds } = await bucket.retentionChains(input);
  const plan = planRemoteRetention(chains, { keepRemote: s.keepRemote, keepWithinMs: s.keepWithinMs }, Date.now(), new Set(protectedIds));
  report.kept = plan.keep;
  progress.update({ phase: 'deleting surplus chains', total: plan.remove.length });
  for (const c of plan.remove) {
    const r = await bucket.backupDelete({ remote: input.remote, id: c.fullId, cascade: true }).catch((e: unknown) => {
      if (rootMessage(e).includes('not found')) return { backups: [] as string[], keys: [] as string[] };
      throw e;
    });
    await catalog.retentionForget({ remote: input.remote, ids: c.ids });
    report.deleted.push({ ...c, ids: r.backups.length > 0 ? r.backups : c.ids, objects: r.keys.length });
    progress.update({ done: report.deleted.length });
    log.info('retention deleted a chain', { remote: input.remote, schedule: input.schedule, full: c.fullId, backups: c.ids, reason: c.reason });
  }
  log.info('retention done', { remote: input.remote, schedule: input.schedule, deleted: report.deleted.map((d) => d.fullId), kept: report.kept.map((k) => k.fullId) });
  progress.update({ phase: 'done' });
  return report;
}

/**
 * keep-local: the schedule's local snapshots beyond the newest keepLocal full-backup chains of each
 * resource are deleted, each by the snapshot delete workflow (under the resource's lock, LVs removed
 * on the node, then the catalog row), all surplus chains in one run.
 */
async function localRetention(input: { remote: string; schedule: string }, keepLocal: number, report: RetentionReport, progress: ReturnType<typeof trackProgress>): Promise<void> {
  const { snapshots, gone, protectedSnapshots } = await catalog.localRetentionSnapshots(input);
  report.localGone = gone;
  const plan = planLocalRetention(snapshots, keepLocal, new Set(protectedSnapshots));
  report.localKept = plan.keep;
  progress.update({ phase: 'deleting surplus local snapshots', done: 0, total: plan.remove.reduce((n, c) => n + c.snapshots.length, 0), unit: 'snapshots' });
  let done = 0;
  for (const c of plan.remove) {
    // newest first: a chain's full snapshot goes last
    for (const snapshot of [...c.snapshots].reverse()) {
      try {
        const workflowId = `snapshot-delete/${c.resource}/${snapshot}`;
        await executeChild(deleteResourceSnapshot, {
          workflowId,
          args: [{ resource: c.resource, snapshot }],
          parentClosePolicy: ParentClosePolicy.REQUEST_CANCEL,
          ...operationMetadata('deleteResourceSnapshot', workflowId, { RscDfn: c.resource, Snapshot: snapshot }),
        });
      } catch (e) {
        if (!rootMessage(e).includes('not found')) throw e;
      }
      await catalog.retentionForgetSnapshot({ resource: c.resource, snapshot });
      progress.update({ done: ++done });
    }
    report.localDeleted.push(c);
    log.info('retention deleted local snapshots', { remote: input.remote, schedule: input.schedule, resource: c.resource, snapshots: c.snapshots, reason: c.reason });
  }
  report.local = `keep-local=${keepLocal}: deleted ${report.localDeleted.reduce((n, c) => n + c.snapshots.length, 0)} local snapshot(s) in ${report.localDeleted.length} chain(s), kept ${report.localKept.length} chain(s)`;
}
