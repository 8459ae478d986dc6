// AutoSnapshot: `autoSnapshotRun` (`auto-snapshot-run/<rsc>`, started by the Temporal Schedule
// `auto-snapshot/<rsc>` every DrbdOptions/AutoSnapshot/RunEvery minutes) takes the next automatic
// snapshot `snap-auto-<n>` with the snapshot create workflow (consistent across the replicas, under
// the resource's lock), then deletes the oldest automatic snapshots beyond AutoSnapshot/Keep with
// the snapshot delete workflow. Manual snapshots are never deleted. When the resource definition
// is gone or RunEvery is no longer in effect, the run reconciles the Schedules (removing its own).
import { ParentClosePolicy, executeChild, log, proxyActivities, upsertSearchAttributes } from '@temporalio/workflow';
import { operationMetadata } from '../core/operations.js';
import type { ControllerActivities } from '../activities/controller/activities.js';
import { autoSnapshotIds, planAutoSnapshotPrune } from '../core/auto-snapshot.js';
import { trackProgress } from './progress.js';
import { createResourceSnapshot } from './snapshot-create.js';
import { deleteResourceSnapshot } from './snapshot-delete.js';

const catalog = proxyActivities<ControllerActivities>({
  startToCloseTimeout: '1 minute',
  scheduleToCloseTimeout: '10 minutes',
  retry: { initialInterval: '1 second', maximumInterval: '10 seconds', maximumAttempts: 10, nonRetryableErrorTypes: ['ValidationError', 'NotFoundError', 'ConflictError'] },
});

export interface AutoSnapshotReport {
  resource: string;
  /** the snapshot taken, or null when AutoSnapshot is no longer in effect */
  snapshot: string | null;
  keep: number;
  deleted: { snapshot: string; reason: string }[];
  kept: string[];
  note?: string;
}

export async function autoSnapshotRun(input: { resource: string }): Promise<AutoSnapshotReport> {
  upsertSearchAttributes({ FerryResource: [input.resource], FerryOperation: ['auto-snapshot'] });
  const progress = trackProgress({ phase: 'reading the AutoSnapshot settings', done: 0, total: 0, unit: 'snapshots' });
  const target = await catalog.autoSnapshotTarget(input);
  if (!target) {
    const reconcile = await catalog.autoSnapshotReconcile({});
    progress.update({ phase: 'done: AutoSnapshot is no longer in effect' });
    return { resource: input.resource, snapshot: null, keep: 0, deleted: [], kept: [], note: `AutoSnapshot is no longer in effect for '${input.resource}'; Schedules reconciled (deleted: ${reconcile.deleted.join(', ') || 'none'})` };
  }
  progress.update({ phase: `taking ${target.next}` });
  const createId = autoSnapshotIds.create(input.resource, target.next);
  await executeChild(createResourceSnapshot, {
    workflowId: createId,
    args: [{ resource: input.resource, snapshot: target.next }],
    parentClosePolicy: ParentClosePolicy.REQUEST_CANCEL,
    ...operationMetadata('createResourceSnapshot', createId, { RscDfn: input.resource, Snapshot: target.next }),
  });
  const after = await catalog.autoSnapshotTarget(input);
  const plan = planAutoSnapshotPrune(after?.auto ?? [], target.settings.keep);
  progress.update({ phase: 'deleting automatic snapshots beyond Keep', total: plan.remove.length });
  const deleted: AutoSnapshotReport['deleted'] = [];
  for (const d of plan.remove) {
    const deleteId = `snapshot-delete/${input.resource}/${d.snapshot}`;
    await executeChild(deleteResourceSnapshot, {
      workflowId: deleteId,
      args: [{ resource: input.resource, snapshot: d.snapshot }],
      parentClosePolicy: ParentClosePolicy.REQUEST_CANCEL,
      ...operationMetadata('deleteResourceSnapshot', deleteId, { RscDfn: input.resource, Snapshot: d.snapshot }),
    });
    deleted.push(d);
    progress.update({ done: deleted.length });
  }
  log.info('auto-snapshot done', { resource: input.resource, snapshot: target.next, deleted: deleted.map((d) => d.snapshot) });
  progress.update({ phase: 'done' });
  return { resource: input.resource, snapshot: target.next, keep: target.settings.keep, deleted, kept: plan.keep };
}
