// `ferry snapshot create RSC SNAP`: a consistent thin snapshot of every diskful replica. Under the
// resource's lock: record the snapshot (Incomplete), `drbdadm suspend-io` on every node of the
// resource, `lvcreate -s` of each volume's LV on every diskful node, `resume-io`, Successful. When
// a node fails, the snapshot LVs already made are removed on every node, I/O is resumed everywhere
// and the catalog forgets the snapshot: nothing is left behind.
import { ApplicationFailure, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import type { SnapshotPlan } from '../activities/controller/activities.js';
import { failureText, failureType, snapshotCatalog, snapshotCleanupHost, snapshotHost, type SnapshotProgress } from './snapshot-common.js';
import { computedProgress } from './progress.js';
import { withResourceLock } from './resource-lock.js';

export interface CreateSnapshotWorkflowInput {
  resource: string;
  snapshot: string;
}

export interface CreateSnapshotWorkflowResult {
  resource: string;
  snapshot: string;
  nodes: string[];
  /** false when a node's drbdadm has no suspend-io: the snapshots are then crash-consistent per replica only. */
  ioSuspended: boolean;
  notes: string[];
}

/** The LVs of a snapshot plan on one node, as the node activities take them. */
export function volumesOn(plan: SnapshotPlan, node: string): { vlmNr: number; vg: string; lv: string }[] {
  const n = plan.nodes.find((x) => x.node === node)!;
  return plan.volumes.map((v) => ({ vlmNr: v.volumeNumber, vg: n.vg, lv: `${plan.resource}_${String(v.volumeNumber).padStart(5, '0')}` }));
}

export async function createResourceSnapshot(input: CreateSnapshotWorkflowInput): Promise<CreateSnapshotWorkflowResult> {
  upsertSearchAttributes({ FerryResource: [input.resource], FerryOperation: ['snapshot-create'] });
  let progress: SnapshotProgress = { phase: 'waiting for the resource lock', done: 0, total: 0, unit: 'nodes', nodes: [] };
  const shown = computedProgress(() => progress);
  shown.show();
  return withResourceLock(input.resource, async () => {
    const plan = await snapshotCatalog.catalogBeginSnapshot({ resource: input.resource, snapshot: input.snapshot, holder: workflowInfo().workflowId });
    const diskful = plan.nodes.map((n) => n.node);
    const all = plan.resourceNodes;
    const notes: string[] = [];
    upsertSearchAttributes({ FerryNode: diskful });

    progress = { phase: 'suspending I/O', done: 0, total: all.length, unit: 'nodes', nodes: all };

    shown.show();
    let ioSuspended = true;
    let failure: { node: string; message: string; type?: string } | undefined;
    try {
      const suspended = await Promise.allSettled(all.map((n) => snapshotHost(n).suspendResourceIo(input.resource)));
      suspended.forEach((r, i) => {
        if (r.status === 'rejected') failure ??= { node: all[i]!, message: failureText(r.reason), type: failureType(r.reason) };
        else if (!r.value.suspended && r.value.reason && !/not up/.test(r.value.reason)) {
          ioSuspended = false;
          notes.push(r.value.reason);
        }
      });
      if (!failure) {
        progress = { phase: 'taking thin snapshots', done: 0, total: diskful.length, unit: 'nodes', nodes: diskful };
        shown.show();
        const made = await Promise.allSettled(diskful.map(async (n) => {
          await snapshotHost(n).createSnapshot({ resource: input.resource, snapshot: input.snapshot, volumes: volumesOn(plan, n) });
          progress = { ...progress, done: progress.done + 1 };
          shown.show();
        }));
        made.forEach((r, i) => {
          if (r.status === 'rejected') failure ??= { node: diskful[i]!, message: failureText(r.reason), type: failureType(r.reason) };
        });
      }
      if (failure) {
        // undo: the LVs made on the other nodes (and any half-made one) go; absent ones are fine
        progress = { phase: 'removing the snapshots already made', done: 0, total: diskful.length, unit: 'nodes', nodes: diskful };
        shown.show();
        await Promise.all(diskful.map((n) => snapshotCleanupHost(n).deleteSnapshot({ resource: input.resource, snapshot: input.snapshot, volumes: volumesOn(plan, n) })));
      }
    } finally {
      progress = { ...progress, phase: 'resuming I/O' };
      shown.show();
      await Promise.all(all.map((n) => snapshotCleanupHost(n).resumeResourceIo(input.resource)));
    }
    if (failure) {
      await snapshotCatalog.catalogForgetSnapshot({ resource: input.resource, snapshot: input.snapshot });
      progress = { ...progress, phase: 'failed' };
      shown.show();
      throw ApplicationFailure.create({
        type: failure.type === 'NotFoundError' || failure.type === 'ConflictError' ? failure.type : 'HostCommandError',
        nonRetryable: true,
        message: `snapshot '${input.snapshot}' of '${input.resource}' failed on ${failure.node}: ${failure.message}; the snapshots already made were removed and I/O resumed on ${all.join(', ')}`,
      });
    }
    await snapshotCatalog.catalogFinishSnapshot({ resource: input.resource, snapshot: input.snapshot });
    progress = { ...progress, phase: 'done', done: diskful.length };
    shown.show();
    return { resource: input.resource, snapshot: input.snapshot, nodes: diskful, ioSuspended, notes };
  });
}
