// Controller activities of scheduled backup shipping: the catalog side of schedules and their
// enablement, the reconcile that makes Temporal's Schedules match the catalog (one Schedule per
// enabled (remote, schedule) pair), the resources a firing applies to, run records, and the
// bucket's view of a schedule's backup chains for retention.
import { ApplicationFailure, Context } from '@temporalio/activity';
import {
  ScheduleAlreadyRunning, ScheduleNotFoundError, ScheduleOverlapPolicy, WorkflowExecutionAlreadyStartedError, WorkflowIdReusePolicy, type Client,
} from '@temporalio/client';
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import type { Catalog } from '../../catalog/index.js';
import type { ScheduleRunRecord } from '../../catalog/schedules.js';
import { pairOfScheduleId, resolveForResource, SCHEDULE_ID_PREFIX, scheduleWorkflowIds, type EnableLevel, type LocalSnapshotEntry, type RemoteChain, type ScheduleRecord } from '../../core/schedules.js';
import { backupFailure } from '../node/backup/failures.js';
import { operationMetadata } from '../../core/operations.js';
import type { BackupCreateInput, ScheduledBackupOutcome } from '../../core/backup-operations.js';
import { listBackups, readBackupMeta } from '../../bucket/index.js';
import { baseBackupIdOf } from '../../core/backup-meta.js';
import { remoteAccess, s3ForRemote } from './backups.js';

const fail = (type: string, message: string) => ApplicationFailure.create({ type, message, nonRetryable: true });

/** How the Temporal Schedules of backups behave (docs/schedules.md says why). */
export const SCHEDULE_POLICIES = { overlap: ScheduleOverlapPolicy.BUFFER_ONE, catchupWindow: '1 day' } as const;

export interface ReconcileReport {
  created: string[];
  updated: string[];
  deleted: string[];
}

/** Controller property: seconds an on-failure RETRY waits before the next attempt (LINSTOR: 60). */
export const RETRY_DELAY_PROP = 'BackupShipping/ScheduleRetryDelay';
export const DEFAULT_RETRY_DELAY_SECONDS = 60;

/** A run's result for one resource; with `keptSnapshot`, the backup's local snapshot that keep-local counts. */
export type RunRecordInput = Omit<ScheduleRunRecord, 'lastFullAt'> & { full: boolean; keptSnapshot?: string | null };

/** Backup workflows one call of scheduleStartBackups starts at once */
const START_CONCURRENCY = 32;

const FERRY_OPERATION = defineSearchAttributeKey('FerryOperation', SearchAttributeType.KEYWORD);
const FERRY_RESOURCE = defineSearchAttributeKey('FerryResource', SearchAttributeType.KEYWORD);
const FERRY_REMOTE = defineSearchAttributeKey('FerryRemote', SearchAttributeType.KEYWORD);

export interface ScheduleTargets {
  schedule: ScheduleRecord | null;
  /** how long on-failure RETRY waits (controller property BackupShipping/ScheduleRetryDelay, default 60 s) */
  retryDelayMs: number;
  /** resources the pair applies to now (rd > rg > controller; disabled rows excluded) */
  resources: { name: string; from: EnableLevel; lastFullAt: number | null }[];
}

export function createScheduleActivities(deps: { catalog: Catalog; now?: () => number; temporal?: () => Client }) {
  const now = deps.now ?? Date.now;
  const { catalog } = deps;
  const temporal = deps.temporal ?? (() => Context.current().client);

  /** Records a run's result for one resource (and the kept snapshot and the backup the schedule made). */
  async function recordRun(r: RunRecordInput): Promise<void> {
    const prev = (await catalog.schedules.runs({ remote: r.remote, schedule: r.schedule })).find((x) => x.resource === r.resource);
    const { full, keptSnapshot, ...rest } = r;
    if (keptSnapshot && r.lastBackupId !== null && r.lastKind !== null && (await catalog.snapshots.get(r.resource, keptSnapshot))) {
      await catalog.schedules.recordSnapshot({ remote: r.remote, schedule: r.schedule, resource: r.resource, snapshot: keptSnapshot, backupId: r.lastBackupId, kind: r.lastKind, createdAt: r.lastRunAt });
    }
    await catalog.schedules.recordRun({ ...rest, lastFullAt: full ? r.lastRunAt : prev?.lastFullAt ?? null });
    if (r.lastBackupId !== null && r.lastKind !== null) {
      await catalog.schedules.recordBackup({ remote: r.remote, schedule: r.schedule, resource: r.resource, backupId: r.lastBackupId, kind: r.lastKind, createdAt: r.lastRunAt });
    }
  }

  return {
    async scheduleCatalogPut(s: ScheduleRecord): Promise<void> {
      await catalog.schedules.put(s);
    },

    async scheduleCatalogDelete(name: string): Promise<{ pairs: { remote: string; schedule: string }[] }> {
      const pairs = (await catalog.schedules.enablement({ schedule: name })).map((r) => ({ remote: r.remote, schedule: r.schedule }));
      await catalog.schedules.delete(name);
      return { pairs };
    },

    async scheduleSetEnablement(input: { remote: string; schedule: string; level: EnableLevel; target: string; enabled: boolean | null }): Promise<void> {
      if (input.enabled !== null) {
        if (!(await catalog.remotes.get(input.remote))) throw fail('NotFoundError', `remote '${input.remote}' not found`);
        if (!(await catalog.schedules.get(input.schedule))) throw fail('NotFoundError', `schedule '${input.schedule}' not found`);
      }
      await catalog.schedules.setEnablement({ ...input, now: now() });
    },

    /**
     * Makes Temporal's Schedules match the catalog: a Schedule `backup-schedule/<remote>/<schedule>`
     * for every pair with an enabled row (created, or updated in place keeping its paused state),
     * none for any other pair. Idempotent; `pairs` names pairs that may have lost their rows.
     */
    async scheduleReconcile(input: { pairs?: { remote: string; schedule: string }[] } = {}): Promise<ReconcileReport> {
      const client = temporal();
      const taskQueue = Context.current().info.taskQueue;
      const rows = await catalog.schedules.enablement();
      const schedules = new Map((await catalog.schedules.list()).map((s) => [s.name, s]));
      const remotes = new Set((await catalog.remotes.list()).map((r) => r.name));
      const desired = new Map<string, ScheduleRecord>();
      const candidates = new Set<string>();
      for (const r of rows) {
        const id = scheduleWorkflowIds.temporalSchedule(r.remote, r.schedule);
        candidates.add(id);
        const s = schedules.get(r.schedule);
        if (r.enabled && s && remotes.has(r.remote)) desired.set(id, s);
      }
      for (const p of input.pairs ?? []) candidates.add(scheduleWorkflowIds.temporalSchedule(p.remote, p.schedule));
      for await (const s of client.schedule.list()) if (s.scheduleId.startsWith(SCHEDULE_ID_PREFIX)) candidates.add(s.scheduleId);
      const report: ReconcileReport = { created: [], updated: [], deleted: [] };
      for (const id of [...candidates].sort()) {
        const pair = pairOfScheduleId(id);
        if (!pair) continue;
        const handle = client.schedule.getHandle(id);
        let exists = true;
        try {
          await handle.describe();
        } catch (e) {
          if (!(e instanceof ScheduleNotFoundError)) throw e;
          exists = false;
        }
        const s = desired.get(id);
        if (!s) {
          if (exists) {
            await handle.delete().catch((e: unknown) => { if (!(e instanceof ScheduleNotFoundError)) throw e; });
            report.deleted.push(id);
          }
          continue;
        }
        const spec = { cronExpressions: [s.fullCron, ...(s.incrCron ? [s.incrCron] : [])] };
        const action = {
          type: 'startWorkflow' as const, workflowType: 'scheduledBackupRun', taskQueue,
          workflowId: scheduleWorkflowIds.run(pair.remote, pair.schedule), args: [{ remote: pair.remote, schedule: pair.schedule }],
          ...operationMetadata('scheduledBackupRun', scheduleWorkflowIds.run(pair.remote, pair.schedule), { Schedule: pair.schedule, Remote: pair.remote }),
        };
        if (!exists) {
          try {
            await client.schedule.create({
              scheduleId: id, spec, action, policies: { ...SCHEDULE_POLICIES },
              state: { note: `ferry: scheduled backups of schedule '${pair.schedule}' to remote '${pair.remote}' (full: ${s.fullCron}${s.incrCron ? `, incremental: ${s.incrCron}` : ''})` },
            });
            report.created.push(id);
            continue;
          } catch (e) {
            if (!(e instanceof ScheduleAlreadyRunning)) throw e;
          }
        }
        await handle.update((prev) => ({ ...prev, spec, action, policies: { ...prev.policies, ...SCHEDULE_POLICIES } }));
        report.updated.push(id);
      }
      return report;
    },

    /** The schedule and the resources a (remote, schedule) pair applies to right now. */
    async scheduleTargets(input: { remote: string; schedule: string }): Promise<ScheduleTargets> {
      const schedule = (await catalog.schedules.get(input.schedule)) ?? null;
      const rawDelay = Number(await catalog.remotes.controllerProp(RETRY_DELAY_PROP));
      const retryDelayMs = (Number.isInteger(rawDelay) && rawDelay > 0 ? rawDelay : DEFAULT_RETRY_DELAY_SECONDS) * 1000;
      if (!schedule || !(await catalog.remotes.get(input.remote))) return { schedule, retryDelayMs, resources: [] };
      const rows = await catalog.schedules.enablement();
      const runs = new Map((await catalog.schedules.runs(input)).map((r) => [r.resource, r]));
      const out: ScheduleTargets['resources'] = [];
      for (const rd of await catalog.resources.listDefinitions()) {
        const applied = resolveForResource(rows, { name: rd.name, resourceGroup: rd.resourceGroup })
          .find((r) => r.remote === input.remote && r.schedule === input.schedule);
        if (!applied?.enabled) continue;
        const diskful = (await catalog.resources.list({ resource: rd.name })).some((x) => !x.flags.includes('DISKLESS'));
        if (!diskful) continue;
        out.push({ name: rd.name, from: applied.from, lastFullAt: runs.get(rd.name)?.lastFullAt ?? null });
      }
      return { schedule, retryDelayMs, resources: out };
    },

    /** Which of `resources` have a backup running: one visibility query for a whole scheduled run. */
    async scheduleRunningBackups(resources: string[]): Promise<Record<string, string>> {
      const wanted = new Set(resources);
      const running: Record<string, string> = {};
      const client = temporal();
      for await (const wf of client.workflow.list({ query: 'FerryOperation = "backup-create" AND ExecutionStatus = "Running"' })) {
        const rsc = (wf.searchAttributes as Record<string, unknown[] | undefined>)['FerryResource']?.[0];
        if (typeof rsc === 'string' && wanted.has(rsc) && running[rsc] === undefined) running[rsc] = wf.workflowId;
      }
      return running;
    },

    /** A backup of the resource that is running now (any remote), if any: a scheduled run does not start another. */
    async scheduleRunningBackup(resource: string): Promise<string | null> {
      const client = temporal();
      const q = `FerryResource = "${resource.replace(/"/g, '')}" AND FerryOperation = "backup-create" AND ExecutionStatus = "Running"`;
      for await (const wf of client.workflow.list({ query: q })) return wf.workflowId;
      return null;
    },

    /**
     * Starts a scheduled run's backups as workflows of their own (not children: a run of thousands of
     * resources would make the run's history huge and start them one by one), a few at a time.
     * Idempotent: a backup already started under its id (an earlier try of this activity) counts as
     * started. Each answer is null (started) or why it could not be started.
     */
    async scheduleStartBackups(input: { taskQueue: string; backups: { workflowId: string; args: BackupCreateInput }[] }): Promise<(string | null)[]> {
      const client = temporal();
      const out: (string | null)[] = new Array<string | null>(input.backups.length).fill(null);
      let next = 0;
      const startOne = async (): Promise<void> => {
        for (let i = next++; i < input.backups.length; i = next++) {
          const b = input.backups[i]!;
          try {
            await client.workflow.start('backupCreate', {
              taskQueue: input.taskQueue, workflowId: b.workflowId, args: [b.args], workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
              ...operationMetadata('backupCreate', b.workflowId, { RscDfn: b.args.resource, Remote: b.args.remote, Snapshot: b.args.snapshot }),
              // findable from the moment it exists (the workflow sets the same ones itself)
              typedSearchAttributes: [
                { key: FERRY_OPERATION, value: 'backup-create' }, { key: FERRY_RESOURCE, value: b.args.resource }, { key: FERRY_REMOTE, value: b.args.remote },
              ],
            });
          } catch (e) {
            if (!(e instanceof WorkflowExecutionAlreadyStartedError)) out[i] = e instanceof Error ? e.message : String(e);
          }
          Context.current().heartbeat(i);
        }
      };
      await Promise.all(Array.from({ length: Math.min(START_CONCURRENCY, input.backups.length) }, startOne));
      return out;
    },

    /**
     * The outcome of those of a run's backups that have ended (their own report to the run was
     * lost: terminated, timed out); still running ones are left out.
     */
    async scheduleBackupOutcomes(workflowIds: string[]): Promise<ScheduledBackupOutcome[]> {
      const client = temporal();
      const out: ScheduledBackupOutcome[] = [];
      for (const workflowId of workflowIds) {
        const h = client.workflow.getHandle(workflowId);
        const d = await h.describe().catch(() => null);
        if (d === null) out.push({ workflowId, ok: false, error: 'the backup workflow does not exist' });
        else if (d.status.name === 'COMPLETED') {
          const r = (await h.result()) as { id: string; mode: 'full' | 'incremental'; fullBecause: string | null };
          out.push({ workflowId, ok: true, id: r.id, mode: r.mode, fullBecause: r.fullBecause });
        } else if (d.status.name !== 'RUNNING') out.push({ workflowId, ok: false, error: `the backup workflow ended ${d.status.name.toLowerCase()}` });
        Context.current().heartbeat(out.length);
      }
      return out;
    },

    /** Asks a cancelled run's backups to stop (as a child would be cancelled with its parent). */
    async scheduleCancelBackups(workflowIds: string[]): Promise<void> {
      const client = temporal();
      for (const id of workflowIds) await client.workflow.getHandle(id).cancel().catch(() => undefined);
    },

    async scheduleRecordRun(r: RunRecordInput): Promise<void> {
      await recordRun(r);
    },

    /** The same for many resources at once (a scheduled run records its backups as they end, in batches). */
    async scheduleRecordRuns(records: RunRecordInput[]): Promise<void> {
      for (const r of records) await recordRun(r);
    },

    /**
     * This schedule's chains in the remote, from the bucket: every committed backup of the
     * resources the schedule made backups of, grouped under its full backup; only chains whose full
     * backup this schedule made. Protected: the base of each resource's next incremental.
     */
    async retentionChains(input: { remote: string; schedule: string }): Promise<{ chains: RemoteChain[]; protectedIds: string[] }> {
      const rec = await catalog.remotes.get(input.remote);
      if (!rec) throw fail('NotFoundError', `remote '${input.remote}' not found`);
      const mine = await catalog.schedules.backups(input.remote, input.schedule);
      const mineIds = new Set(mine.map((b) => b.backupId));
      const resources = [...new Set(mine.map((b) => b.resource))].sort();
      const r = remoteAccess(rec);
      const chains: RemoteChain[] = [];
      const protectedIds: string[] = [];
      try {
        const s3 = s3ForRemote(r);
        try {
          for (const rsc of resources) {
            const last = await catalog.remotes.lastBackup(rsc, input.remote);
            if (last) protectedIds.push(last.backupId);
            const { backups } = await listBackups({ s3, bucket: r.bucket, rsc });
            const baseOf = new Map<string, string | undefined>();
            const at = new Map<string, number>();
            for (const b of backups.filter((x) => x.committed)) {
              const meta = (await readBackupMeta(s3, r.bucket, b.id)).meta;
              baseOf.set(b.id, baseBackupIdOf(meta));
              at.set(b.id, b.timestampMs);
            }
            const rootOf = (id: string): string => {
              const seen = new Set<string>();
              let cur = id;
              for (let base = baseOf.get(cur); base !== undefined && baseOf.has(base) && !seen.has(base); base = baseOf.get(cur)) {
                seen.add(cur);
                cur = base;
              }
              return cur;
            };
            const groups = new Map<string, string[]>();
            for (const id of baseOf.keys()) groups.set(rootOf(id), [...(groups.get(rootOf(id)) ?? []), id]);
            for (const [fullId, ids] of groups) {
              if (!mineIds.has(fullId) || baseOf.get(fullId) !== undefined) continue; // not this schedule's full backup
              ids.sort((a, b) => at.get(a)! - at.get(b)!);
              chains.push({ resource: rsc, fullId, ids, fullAt: at.get(fullId)!, newestAt: Math.max(...ids.map((i) => at.get(i)!)) });
            }
          }
        } finally {
          s3.destroy();
        }
      } catch (e) {
        throw backupFailure(e, r.name);
      }
      return { chains, protectedIds };
    },

    /**
     * The local snapshots this schedule kept for keep-local (rows whose snapshot is gone from the
     * catalog, deleted by hand, are forgotten and returned as `gone`), and the protected ones: each
     * resource's base of the next incremental backup to this remote (`<rsc>/<snapshot>`).
     */
    async localRetentionSnapshots(input: { remote: string; schedule: string }): Promise<{ snapshots: LocalSnapshotEntry[]; gone: string[]; protectedSnapshots: string[] }> {
      const rows = await catalog.schedules.snapshots(input.remote, input.schedule);
      const snapshots: LocalSnapshotEntry[] = [];
      const gone: string[] = [];
      const protectedSnapshots = new Set<string>();
      for (const r of rows) {
        if (!(await catalog.snapshots.get(r.resource, r.snapshot))) {
          await catalog.schedules.forgetSnapshot(r.resource, r.snapshot);
          gone.push(`${r.resource}/${r.snapshot}`);
          continue;
        }
        snapshots.push({ resource: r.resource, snapshot: r.snapshot, kind: r.kind, createdAt: r.createdAt });
        const last = await catalog.remotes.lastBackup(r.resource, input.remote);
        if (last) protectedSnapshots.add(`${r.resource}/${last.snapshot}`);
      }
      return { snapshots, gone, protectedSnapshots: [...protectedSnapshots].sort() };
    },

    async retentionForgetSnapshot(input: { resource: string; snapshot: string }): Promise<void> {
      await catalog.schedules.forgetSnapshot(input.resource, input.snapshot);
    },

    async retentionForget(input: { remote: string; ids: string[] }): Promise<void> {
      await catalog.schedules.forgetBackups(input.remote, input.ids);
    },
  };
}

export type ScheduleControllerActivities = ReturnType<typeof createScheduleActivities>;
