// `ferry doctor` (doctorCheck, `doctor/<ts>-<nonce>`) and `ferry doctor --repair` (doctorRepair,
// `doctor-repair/<ts>-<nonce>`). The check reads the catalog, asks every online node's agent what its host
// has (on the node's own task queue: an offline node is reported as not inspected) and lists
// every remote's bucket; core/doctor.ts names the drift. The repair fixes only the safe items —
// what the catalog does not reference and no workflow holds — each under the resource's lock and
// after asking the catalog again, so an operation that started meanwhile is never undone.
import { ActivityFailure, proxyActivities, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import type { ControllerActivities } from '../activities/controller/activities.js';
import type { DoctorNodeActivities } from '../activities/node/doctor.js';
import { DEFAULT_DOCTOR_GRACE_MS, describeRepair, findDrift, repairPlan, type DoctorReport, type HostReport, type RepairAction, type RemoteReport } from '../core/doctor.js';
import { nodeQueueFor } from '../core/operations.js';
import { withResourceLock } from './resource-lock.js';
import { trackProgress, type ProgressTracker } from './progress.js';

const catalog = proxyActivities<ControllerActivities>({
  startToCloseTimeout: '2 minutes',
  retry: { maximumAttempts: 5, nonRetryableErrorTypes: ['ValidationError', 'NotFoundError'] },
});

/** A dead agent must not hold the doctor up: a bounded wait in the queue, then "not inspected". */
function hostOf(node: string) {
  return proxyActivities<DoctorNodeActivities>({
    taskQueue: nodeQueueFor(workflowInfo().taskQueue, node),
    scheduleToCloseTimeout: '1 minute',
    startToCloseTimeout: '30 seconds',
    retry: { initialInterval: '1 second', maximumAttempts: 3, nonRetryableErrorTypes: ['ValidationError', 'ConflictError'] },
  });
}

export interface DoctorInput {
  /** Uncommitted backups and uploads younger than this are taken for running shipments. */
  graceMs?: number;
}

const why = (e: unknown) => (e instanceof ActivityFailure && e.cause ? e.cause.message : (e as Error).message);

async function inspect(input: DoctorInput, progress: ProgressTracker): Promise<DoctorReport> {
  const graceMs = input.graceMs ?? DEFAULT_DOCTOR_GRACE_MS;
  const before = await catalog.doctorCatalogView();
  progress.update({ phase: 'inspecting the nodes and the buckets', done: 0, total: before.nodes.length + before.remotes.length, unit: 'nodes and remotes' });
  let inspected = 0;
  const counted = () => progress.update({ done: ++inspected });
  const nodes: DoctorReport['nodes'] = [];
  const hosts: HostReport[] = [];
  await Promise.all(before.nodes.map(async (n) => {
    if (!n.online) {
      nodes.push({ node: n.name, inspected: false, reason: 'offline' });
      counted();
      return;
    }
    try {
      hosts.push(await hostOf(n.name).inspectHost({ pools: before.pools.filter((p) => p.node === n.name) }));
      nodes.push({ node: n.name, inspected: true });
    } catch (e) {
      nodes.push({ node: n.name, inspected: false, reason: why(e) });
    }
    counted();
  }));
  const remotes: DoctorReport['remotes'] = [];
  const buckets: RemoteReport[] = [];
  for (const r of before.remotes) {
    try {
      buckets.push(await catalog.doctorInspectRemote({ remote: r }));
      remotes.push({ remote: r, inspected: true });
    } catch (e) {
      remotes.push({ remote: r, inspected: false, reason: why(e) });
    }
    counted();
  }
  const after = await catalog.doctorCatalogView();
  const checkedAt = Date.now();
  const all = findDrift([before, after], hosts, buckets, { graceMs, now: checkedAt });
  nodes.sort((a, b) => a.node.localeCompare(b.node));
  return { checkedAt, nodes, remotes, drift: all.filter((d) => !d.inFlight), inFlight: all.filter((d) => d.inFlight) };
}

export async function doctorCheck(input: DoctorInput = {}): Promise<DoctorReport> {
  upsertSearchAttributes({ FerryOperation: ['doctor'] });
  const progress = trackProgress({ phase: 'reading the catalog', done: 0, total: 0 });
  const report = await inspect(input, progress);
  progress.update({ phase: `done: ${report.drift.length} drift item(s), ${report.inFlight.length} in flight` });
  return report;
}

export interface DoctorRepairInput extends DoctorInput {
  dryRun?: boolean;
}

export interface DoctorRepairResult {
  dryRun: boolean;
  report: DoctorReport;
  /** What was (or, in a dry run, would be) done, one line each. */
  plan: string[];
  done: string[];
  /** Skipped at the last check: the catalog references it now, or the .meta appeared. */
  skipped: string[];
  failed: { action: string; error: string }[];
}

async function apply(a: RepairAction): Promise<'done' | 'skipped'> {
  switch (a.kind) {
    case 'down-drbd':
    case 'remove-res-file':
    case 'remove-lv':
      return withResourceLock(a.resource, async () => {
        const check = a.kind === 'remove-lv' ? { resource: a.resource, node: a.node, vg: a.vg, lv: a.lv } : { resource: a.resource, node: a.node };
        if (!(await catalog.doctorIsOrphan(check))) return 'skipped';
        const host = hostOf(a.node);
        if (a.kind === 'down-drbd') await host.doctorDownResource({ resource: a.resource });
        else if (a.kind === 'remove-res-file') await host.doctorRemoveResourceFile({ resource: a.resource });
        else await host.doctorRemoveLv({ vg: a.vg, lv: a.lv });
        return 'done';
      });
    case 'abort-upload':
      await catalog.doctorAbortUpload(a);
      return 'done';
    case 'discard-uncommitted':
      return (await catalog.doctorDiscardUncommitted(a)) === 'deleted' ? 'done' : 'skipped';
  }
}

export async function doctorRepair(input: DoctorRepairInput = {}): Promise<DoctorRepairResult> {
  upsertSearchAttributes({ FerryOperation: ['doctor-repair'] });
  const progress = trackProgress({ phase: 'reading the catalog', done: 0, total: 0 });
  const report = await inspect(input, progress);
  const actions = repairPlan(report);
  const result: DoctorRepairResult = { dryRun: Boolean(input.dryRun), report, plan: actions.map(describeRepair), done: [], skipped: [], failed: [] };
  if (input.dryRun) {
    progress.update({ phase: `done (dry run): ${actions.length} repair(s) planned, none made`, done: 0, total: actions.length, unit: 'repairs' });
    return result;
  }
  progress.update({ phase: 'repairing', done: 0, total: actions.length, unit: 'repairs' });
  for (const a of actions) {
    try {
      const outcome = await apply(a);
      (outcome === 'done' ? result.done : result.skipped).push(describeRepair(a));
    } catch (e) {
      result.failed.push({ action: describeRepair(a), error: why(e) });
    }
    progress.update({ done: result.done.length + result.skipped.length + result.failed.length });
  }
  progress.update({ phase: `done: ${result.done.length} repaired, ${result.skipped.length} skipped, ${result.failed.length} failed` });
  return result;
}
