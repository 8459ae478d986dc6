// Scheduled backup shipping as workflows.
//
// scheduleCreate / scheduleModify / scheduleDelete / scheduleEnablement: change the catalog, then
// reconcile Temporal's Schedules with it (one Schedule `backup-schedule/<remote>/<schedule>` per
// enabled pair).
//
// scheduledBackupRun (started by that Schedule's action): finds which cron fired (full wins a tie,
// a missed full firing makes the run full), resolves the resources the pair applies to (rd > rg >
// controller, disabled rows excluded), starts one backupCreate child per resource (id
// `backup/<rsc>/<snapshot>`; a resource whose backup is still running is skipped; the backups
// queue on MaxConcurrentBackupsPerNode), retries failures after BackupShipping/ScheduleRetryDelay
// (default 60 s) with on-failure RETRY, records each resource's result, then runs the retention
// workflow `backupRetention/<remote>/<schedule>`.
//
// backupRetention: deletes the schedule's surplus chains from the remote (keep-remote, keep-within;
// never what a kept backup or the next incremental depends on) and its surplus local snapshot
// chains (keep-local, through the snapshot delete workflow), and returns what it deleted and why.
import {
  ParentClosePolicy, WorkflowIdReusePolicy, executeChild, log, patched, proxyActivities, sleep, upsertSearchAttributes, workflowInfo,
} from '@temporalio/workflow';
import type { ControllerActivities } from '../activities/controller/activities.js';
import {
  backupKindAt, planLocalRetention, planRemoteRetention, scheduleWorkflowIds, formatRetentionDuration, type EnableLevel, type LocalRetentionDecision, type RetentionDecision, type ScheduleRecord,
} from '../core/schedules.js';
import { backupWorkflowIds } from '../core/backup-operations.js';
import { formatBackupTimestamp } from '../core/backup-names.js';
import { trackProgress } from './progress.js';
import { backupCreate } from './backups.js';
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

const message = (e: unknown): string => {
  let cur: unknown = e;
  while (cur instanceof Error && (cur as Error & { cause?: unknown }).cause instanceof Error) cur = (cur as Error & { cause?: unknown }).cause;
  return cur instanceof Error ? cur.message : String(cur);
};

/** Patch id: the running-backup check of a scheduled run is one query for all its resources. */
const ONE_RUNNING_QUERY = 'scheduled-run-one-running-query';

export async function scheduledBackupRun(input: { remote: string; schedule: string }): Promise<ScheduledRunReport> {
  upsertSearchAttributes({ FerryRemote: [input.remote], FerryOperation: ['scheduled-backup'] });
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
  let done = 0;
  const one = async (r: (typeof targets.resources)[number]): Promise<ScheduledResourceResult> => {
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
        last = `failed: ${message(e)}`;
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
  report.resources = await Promise.all(targets.resources.map(one));
  if (s.keepLocal !== null || s.keepRemote !== null || s.keepWithinMs !== null) {
    progress.update({ phase: 'retention' });
    try {
      report.retention = await executeChild(backupRetention, {
        workflowId: scheduleWorkflowIds.retention(input.remote, input.schedule),
        args: [{ remote: input.remote, schedule: input.schedule }],
        parentClosePolicy: ParentClosePolicy.REQUEST_CANCEL,
      });
    } catch (e) {
      report.retention = { error: message(e) };
    }
  }
  progress.update({ phase: 'done' });
  return report;
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
      if (message(e).includes('not found')) return { backups: [] as string[], keys: [] as string[] };
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
        await executeChild(deleteResourceSnapshot, {
          workflowId: `snapshot-delete/${c.resource}/${snapshot}`,
          args: [{ resource: c.resource, snapshot }],
          parentClosePolicy: ParentClosePolicy.REQUEST_CANCEL,
        });
      } catch (e) {
        if (!message(e).includes('not found')) throw e;
      }
      await catalog.retentionForgetSnapshot({ resource: c.resource, snapshot });
      progress.update({ done: ++done });
    }
    report.localDeleted.push(c);
    log.info('retention deleted local snapshots', { remote: input.remote, schedule: input.schedule, resource: c.resource, snapshots: c.snapshots, reason: c.reason });
  }
  report.local = `keep-local=${keepLocal}: deleted ${report.localDeleted.reduce((n, c) => n + c.snapshots.length, 0)} local snapshot(s) in ${report.localDeleted.length} chain(s), kept ${report.localKept.length} chain(s)`;
}
