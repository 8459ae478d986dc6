// Remotes and backups to S3 as workflows.
//
// backupCreate (`backup/<rsc>/<snapshot>`): under the resource's lock, plan (node, volumes, base),
// wait for a shipping slot of the node (MaxConcurrentBackupsPerNode; the progress query says whom
// it is queued behind), snapshot the volumes on that node, ship each one (`thin_send [base] snap |
// zstd | multipart upload`, resumable, from the node's queue), commit the .meta last, record the
// snapshot as the next incremental base and drop the previous base snapshot. Failure or
// cancellation (backup abort): the upload is aborted, whatever reached the bucket is removed, the
// new snapshot is deleted; nothing half-made is listed.
//
// backupRestore (`backup-restore/<target>`): the chain full → target from the bucket, a new
// resource definition with the backup's volume sizes on one node, LVs received in chain order
// (`S3 | zstd -d | thin_recv`, checksums verified), then DRBD up on that node, in the pool the API
// chose (--storpool-rename, checked before the workflow starts). With downloadOnly: only snapshots
// of the new definition, one per chain element, no resource. Any failure removes what was made
// (LVs, snapshots, .res, catalog rows).
import {
  ActivityCancellationType, CancellationScope, condition, defineSignal, getExternalWorkflowHandle, isCancellation, log, patched, proxyActivities, setHandler, sleep,
  upsertSearchAttributes, workflowInfo,
} from '@temporalio/workflow';
import type { ControllerActivities, ResourceLayout } from '../activities/controller/activities.js';
import type { BackupPlan, RestoreChain } from '../activities/controller/backups.js';
import type { BackupNodeActivities, ShipVolumeResult } from '../activities/node/backups.js';
import type { SnapshotNodeActivities } from '../activities/node/snapshots.js';
import type { ResourceNodeActivities } from '../activities/node/resources.js';
import type { RemoteChanges, RemoteRecord } from '../catalog/remotes.js';
import { buildBackupMeta } from '../core/backup-meta.js';
import type { BackupSelector } from '../core/backup-selection.js';
import { snapshotLvOf, type BackupCreateInput, type ScheduledBackupOutcome } from '../core/backup-operations.js';
import { parseBackupId } from '../core/backup-names.js';
import { nodeQueueFor } from '../core/operations.js';
import type { OperationProgress } from '../core/progress.js';
import { computedProgress, trackProgress } from './progress.js';

const NON_RETRYABLE = ['ValidationError', 'NotFoundError', 'ConflictError', 'PlacementError', 'BackupAborted'];

const catalog = proxyActivities<ControllerActivities>({
  startToCloseTimeout: '2 minutes',
  retry: { maximumAttempts: 10, maximumInterval: '10 seconds', nonRetryableErrorTypes: NON_RETRYABLE },
});

const locks = proxyActivities<ControllerActivities>({
  startToCloseTimeout: '30 seconds',
  scheduleToCloseTimeout: '6 hours',
  retry: { initialInterval: '500 milliseconds', backoffCoefficient: 1.5, maximumInterval: '5 seconds', nonRetryableErrorTypes: ['ValidationError'] },
});

const DEFAULT_SHIP_ATTEMPTS = 20;

function nodeOps(node: string, shipAttempts = DEFAULT_SHIP_ATTEMPTS) {
  const taskQueue = nodeQueueFor(workflowInfo().taskQueue, node);
  return {
    short: proxyActivities<SnapshotNodeActivities & ResourceNodeActivities & BackupNodeActivities>({
      taskQueue, scheduleToCloseTimeout: '15 minutes', startToCloseTimeout: '2 minutes', heartbeatTimeout: '30 seconds',
      retry: { initialInterval: '1 second', maximumInterval: '10 seconds', nonRetryableErrorTypes: NON_RETRYABLE },
    }),
    /** a replica that is not UpToDate (resyncing): asked again for up to 30 minutes */
    upToDate: proxyActivities<BackupNodeActivities>({
      taskQueue, scheduleToCloseTimeout: '30 minutes', startToCloseTimeout: '1 minute',
      retry: { initialInterval: '2 seconds', backoffCoefficient: 1.5, maximumInterval: '15 seconds', nonRetryableErrorTypes: NON_RETRYABLE },
    }),
    /** shipping and receiving: long, heartbeating every second; a dead agent is noticed in 15 s and the retry resumes */
    data: proxyActivities<BackupNodeActivities>({
      taskQueue, scheduleToCloseTimeout: '12 hours', startToCloseTimeout: '6 hours', heartbeatTimeout: '15 seconds',
      cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
      retry: { initialInterval: '1 second', maximumInterval: '15 seconds', maximumAttempts: shipAttempts, nonRetryableErrorTypes: NON_RETRYABLE },
    }),
  };
}

/** core/progress's shape: volumes as units, compressed bytes; and the backup's own fields. */
export interface BackupProgress extends OperationProgress {
  node?: string;
  volumes?: { vlmNr: number; state: string }[];
  queuedBehind?: string[];
  mode?: 'full' | 'incremental';
  fullBecause?: string | null;
}

/** The `progress` answer of a backup workflow: set whole (`set`) or in part (`{ ...get(), x }`). */
function backupProgress(initial: Omit<BackupProgress, 'done' | 'total'>) {
  let current: BackupProgress = { done: 0, total: 0, unit: 'volumes', ...initial };
  const shown = computedProgress(() => current);
  shown.show();
  return {
    get: () => current,
    set(p: Omit<BackupProgress, 'done' | 'total'> & Partial<BackupProgress>) {
      current = { done: 0, total: 0, unit: 'volumes', ...p };
      shown.show();
    },
  };
}

/** Sent to a queued backup by the backup that handed it its node's shipping slot. */
export const slotGrantedSignal = defineSignal('backupSlotGranted');

/** Patch id: a backup ships only from an UpToDate replica (it waits while the replica resyncs). */
const UPTODATE_ONLY = 'backup-ships-uptodate-replica';

/** Patch id: queued backups wait in a first-come-first-served queue for a signal instead of polling. */
const SLOT_QUEUE = 'backup-slot-fifo-queue';

/**
 * Gives up this backup's slot or its place in the queue; the backups the freed slot was handed to
 * are woken. A woken backup that no longer exists (terminated) passes the slot on in turn.
 */
async function releaseSlot(holder: string, wake: boolean): Promise<void> {
  const pending = (await catalog.backupReleaseSlot(holder))?.granted ?? [];
  if (!wake) return;
  while (pending.length > 0) {
    const next = pending.shift()!;
    try {
      await getExternalWorkflowHandle(next).signal(slotGrantedSignal);
    } catch (e) {
      log.warn('a backup handed a shipping slot is gone; passing the slot on', { holder: next, error: String(e) });
      pending.push(...(await catalog.backupReleaseSlot(next)).granted);
    }
  }
}

/** The resource lock, with its release safe from cancellation. */
async function withLock<T>(resource: string, fn: () => Promise<T>): Promise<T> {
  const holder = workflowInfo().workflowId;
  await locks.catalogLockResource({ resource, holder });
  try {
    return await fn();
  } finally {
    await CancellationScope.nonCancellable(() => locks.catalogUnlockResource({ resource, holder }));
  }
}

function ordinal(n: number): string {
  const s = n % 100 >= 11 && n % 100 <= 13 ? 'th' : ['th', 'st', 'nd', 'rd'][n % 10] ?? 'th';
  return `${n}${s}`;
}

// ---- remotes --------------------------------------------------------------------------------------

export async function createRemote(input: Omit<RemoteRecord, 'type' | 'createdAt'>): Promise<{ remote: string }> {
  upsertSearchAttributes({ FerryRemote: [input.name], FerryOperation: ['remote-create'] });
  const progress = trackProgress({ phase: 'recording the remote (keys sealed)', done: 0, total: 1, unit: 'remotes' });
  await catalog.catalogCreateRemote(input);
  progress.update({ phase: 'done', done: 1 });
  return { remote: input.name };
}

/** `remote modify`: the changed fields (keys sealed by the API before they get here). */
export async function modifyRemote(input: { name: string; changes: RemoteChanges }): Promise<{ remote: string; changed: string[] }> {
  upsertSearchAttributes({ FerryRemote: [input.name], FerryOperation: ['remote-modify'] });
  const progress = trackProgress({ phase: 'changing the remote', done: 0, total: 1, unit: 'remotes' });
  await catalog.catalogModifyRemote(input);
  progress.update({ phase: 'done', done: 1 });
  return { remote: input.name, changed: Object.keys(input.changes).map((k) => k.replace(/Sealed$/, '')) };
}

export async function deleteRemote(input: { name: string }): Promise<{ remote: string; deleted: boolean }> {
  upsertSearchAttributes({ FerryRemote: [input.name], FerryOperation: ['remote-delete'] });
  const progress = trackProgress({ phase: 'removing the remote', done: 0, total: 1, unit: 'remotes' });
  const deleted = await catalog.catalogDeleteRemote(input.name);
  progress.update({ phase: 'done', done: 1 });
  return { remote: input.name, deleted };
}

// ---- backup create --------------------------------------------------------------------------------

export const backupFinishedSignal = defineSignal<[ScheduledBackupOutcome]>('backupFinished');

export interface BackupCreateResult {
  id: string;
  resource: string;
  remote: string;
  node: string;
  snapshot: string;
  mode: 'full' | 'incremental';
  base: string | null;
  fullBecause: string | null;
  volumes: { vlmNr: number; key: string; compressedBytes: number; uncompressedBytes: number; parts: number; reusedParts: number[]; resumed: boolean }[];
}

export async function backupCreate(input: BackupCreateInput): Promise<BackupCreateResult> {
  if (!input.notify) return createBackup(input);
  const run = getExternalWorkflowHandle(input.notify);
  const workflowId = workflowInfo().workflowId;
  const tell = (o: Omit<ScheduledBackupOutcome, 'workflowId'>) => CancellationScope.nonCancellable(() => run.signal(backupFinishedSignal, { workflowId, ...o }))
    .catch((e: unknown) => log.warn('could not tell the scheduled run how the backup ended', { run: input.notify, error: String(e) }));
  try {
    const r = await createBackup(input);
    await tell({ ok: true, id: r.id, mode: r.mode, fullBecause: r.fullBecause });
    return r;
  } catch (e) {
    await tell({ ok: false, error: rootMessage(e) });
    throw e;
  }
}

/** The innermost cause's message (an activity failure wraps the error that explains it). */
export function rootMessage(e: unknown): string {
  let cur: unknown = e;
  while (cur instanceof Error && (cur as Error & { cause?: unknown }).cause instanceof Error) cur = (cur as Error & { cause?: unknown }).cause;
  return cur instanceof Error ? cur.message : String(cur);
}

async function createBackup(input: BackupCreateInput): Promise<BackupCreateResult> {
  upsertSearchAttributes({ FerryResource: [input.resource], FerryRemote: [input.remote], FerryOperation: ['backup-create'] });
  const progress = backupProgress({ phase: 'waiting for the resource lock' });
  let slotGranted = false;
  setHandler(slotGrantedSignal, () => { slotGranted = true; });
  const holder = workflowInfo().workflowId;
  return withLock(input.resource, async () => {
    progress.set({ phase: 'planning' });
    const plan: BackupPlan = await catalog.backupPlan(input);
    const node = plan.node;
    upsertSearchAttributes({ FerryNode: [node] });
    const ops = nodeOps(node, input.shipAttempts);
    let slot = false;
    let queued = false;
    let snapshotTaken = false;
    const shipped: ShipVolumeResult[] = [];
    const fifo = patched(SLOT_QUEUE);
    try {
      if (fifo) {
        // queued: first come, first served; the backup that frees a slot hands it over and signals.
        // The signal is the normal wake-up; asking again now and then (30 s doubling to 5 min) only
        // covers a holder that vanished without releasing.
        for (let wait = 30_000; ; wait = Math.min(wait * 2, 300_000)) {
          const s = await catalog.backupAcquireSlot({ node, holder });
          if (s.acquired) break;
          queued = true;
          progress.set({
            phase: `queued for a shipping slot on ${node}: ${ordinal(s.position)} of ${s.waiting}, slots held by ${s.holders.join(', ')} (MaxConcurrentBackupsPerNode=${s.limit})`,
            node, queuedBehind: s.holders,
          });
          await condition(() => slotGranted, Math.round(wait * (0.75 + Math.random() / 2)));
          slotGranted = false;
        }
      } else {
        // before the queue: ask again after 2 s, then less and less often (up to 30 s, with jitter)
        for (let wait = 2000; ; wait = Math.min(wait * 1.5, 30_000)) {
          const s = await catalog.backupAcquireSlot({ node, holder });
          if (s.acquired) break;
          progress.set({ phase: `queued behind ${s.holders.join(', ')} (MaxConcurrentBackupsPerNode=${s.limit} on ${node})`, node, queuedBehind: s.holders });
          await sleep(Math.round(wait * (0.75 + Math.random() / 2)));
        }
      }
      slot = true;
      if (patched(UPTODATE_ONLY)) {
        progress.set({ phase: `checking that the replica on ${node} is UpToDate (a resyncing one is waited for)`, node });
        await ops.upToDate.backupReplicaUpToDate(input.resource);
      }
      progress.set({ phase: 'taking the snapshot', node });
      const refs = plan.volumes.map((v) => ({ vlmNr: v.vlmNr, vg: v.vg, lv: v.lv }));
      snapshotTaken = true;
      // I/O suspended on the shipping node while its LVs are snapshotted (consistent across volumes)
      const io = await ops.short.suspendResourceIo(input.resource);
      try {
        await ops.short.createSnapshot({ resource: input.resource, snapshot: input.snapshot, volumes: refs });
      } finally {
        if (io.suspended) await CancellationScope.nonCancellable(() => ops.short.resumeResourceIo(input.resource));
      }
      let base = plan.base;
      let fullBecause = plan.fullBecause;
      if (base) {
        const present = await ops.short.backupLvsPresent({ vg: plan.volumes[0]!.vg, lvs: plan.volumes.map((v) => snapshotLvOf(input.resource, v.vlmNr, base!.snapshot)) });
        if (!present) {
          fullBecause = `the base snapshot ${base.snapshot} is no longer on ${node}`;
          base = null;
        }
      }
      const mode = base ? 'incremental' : 'full';
      const states = plan.volumes.map((v) => ({ vlmNr: v.vlmNr, state: 'waiting' }));
      progress.set({ phase: `shipping (${mode})`, node, volumes: states, mode, fullBecause, total: plan.volumes.length, bytesDone: 0 });
      for (const [i, v] of plan.volumes.entries()) {
        states[i]!.state = 'shipping';
        const r = await ops.data.backupShipVolume({
          remote: plan.remote, key: v.dataKey, vg: v.vg,
          snapshotLv: snapshotLvOf(input.resource, v.vlmNr, input.snapshot),
          ...(base ? { baseLv: snapshotLvOf(input.resource, v.vlmNr, base.snapshot) } : {}),
        });
        shipped.push(r);
        states[i]!.state = `shipped ${r.compressedBytes} bytes`;
        const p = progress.get();
        progress.set({ ...p, done: i + 1, bytesDone: (p.bytesDone ?? 0) + r.compressedBytes, message: `${r.uncompressedBytes} bytes read, ${(p.bytesDone ?? 0) + r.compressedBytes} stored` });
      }
      progress.set({ ...progress.get(), phase: 'writing the metadata (commit)' });
      const meta = buildBackupMeta({
        rscName: input.resource, nodeName: node, startTimestamp: input.startTimestamp, finishTimestamp: Date.now(), id: plan.id,
        ...(base ? { base: { id: base.backupId, chain: base.chain } } : {}),
        snapDfnProps: { 'Ferry/SnapshotName': input.snapshot },
        volumes: plan.volumes.map((v, i) => {
          const r = shipped[i]!;
          return {
            vlmNr: v.vlmNr, sizeKiB: Math.ceil(v.sizeBytes / 1024), ...(v.storagePool !== undefined ? { storagePool: v.storagePool } : {}), dataKey: v.dataKey, uncompressedBytes: r.uncompressedBytes, compressedBytes: r.compressedBytes,
            partSize: r.partSize, parts: r.parts, sha256: r.sha256, ...(r.uncompressedSha256 !== undefined ? { uncompressedSha256: r.uncompressedSha256 } : {}),
          };
        }),
      });
      await catalog.backupCommit({ remote: input.remote, id: plan.id, meta });
      await catalog.backupRecordLast({
        resource: input.resource, remote: input.remote, snapshot: input.snapshot, backupId: plan.id, node,
        volumeSizes: Object.fromEntries(plan.volumes.map((v) => [String(v.vlmNr), v.sizeBytes])),
      });
      // committed: a failure to record the snapshot must not discard the backup (the snapshot then
      // stays the hidden next base, dropped like any other)
      if (input.keepSnapshot) {
        await catalog.backupKeepSnapshot({ resource: input.resource, snapshot: input.snapshot, node, holder })
          .catch((e: unknown) => log.warn('could not record the backup snapshot for keep-local', { resource: input.resource, snapshot: input.snapshot, error: String(e) }));
      }
      // the new snapshot is the next base; the old base is not needed any more (unless it is a
      // catalog snapshot: keep-local's retention or the operator deletes those)
      if (plan.previous && plan.previous.snapshot !== input.snapshot && !plan.previous.kept) {
        await nodeOps(plan.previous.node).short.deleteSnapshot({ resource: input.resource, snapshot: plan.previous.snapshot, volumes: plan.volumes.map((v) => ({ vlmNr: v.vlmNr, vg: v.vg })) })
          .catch(() => undefined);
      }
      progress.set({ ...progress.get(), phase: 'done' });
      return {
        id: plan.id, resource: input.resource, remote: input.remote, node, snapshot: input.snapshot, mode, base: base?.backupId ?? null, fullBecause: base ? null : fullBecause,
        volumes: plan.volumes.map((v, i) => ({
          vlmNr: v.vlmNr, key: v.dataKey, compressedBytes: shipped[i]!.compressedBytes, uncompressedBytes: shipped[i]!.uncompressedBytes,
          parts: shipped[i]!.parts.length, reusedParts: shipped[i]!.reusedParts, resumed: shipped[i]!.resumed,
        })),
      };
    } catch (e) {
      progress.set({ ...progress.get(), phase: isCancellation(e) ? 'aborted: cleaning up' : 'failed: cleaning up' });
      await CancellationScope.nonCancellable(async () => {
        await catalog.backupDiscard({ remote: input.remote, id: plan.id, dataKeys: plan.volumes.map((v) => v.dataKey) }).catch(() => undefined);
        if (snapshotTaken) {
          await ops.short.deleteSnapshot({ resource: input.resource, snapshot: input.snapshot, volumes: plan.volumes.map((v) => ({ vlmNr: v.vlmNr, vg: v.vg })) }).catch(() => undefined);
        }
      });
      progress.set({ ...progress.get(), phase: isCancellation(e) ? 'aborted' : 'failed' });
      throw e;
    } finally {
      if (slot || queued) await CancellationScope.nonCancellable(() => releaseSlot(holder, fifo));
    }
  });
}

// ---- restore --------------------------------------------------------------------------------------

export interface BackupRestoreInput {
  remote: string;
  id?: string;
  resource?: string;
  targetNode: string;
  targetResource: string;
  /** the pool every volume is received into (the API resolved --storpool-rename / --storage-pool) */
  storagePool: string;
  /** receive the chain as snapshots of the target resource definition; deploy no resource */
  downloadOnly?: boolean;
}

export interface BackupRestoreResult {
  resource: string;
  node: string;
  chain: string[];
  volumes: { vlmNr: number; sizeBytes: number }[];
  storagePool?: string;
  /** download-only: the snapshots made, one per chain element, full first */
  snapshots?: string[];
}

export async function backupRestore(input: BackupRestoreInput): Promise<BackupRestoreResult> {
  upsertSearchAttributes({ FerryResource: [input.targetResource], FerryRemote: [input.remote], FerryNode: [input.targetNode], FerryOperation: ['backup-restore'] });
  const progress = backupProgress({ phase: 'waiting for the resource lock', node: input.targetNode });
  return withLock(input.targetResource, async () => {
    progress.set({ phase: 'reading the backup chain', node: input.targetNode });
    const chain: RestoreChain = await catalog.backupRestoreChain({ remote: input.remote, ...(input.id !== undefined ? { id: input.id } : {}), ...(input.resource !== undefined ? { resource: input.resource } : {}) });
    const rsc = input.targetResource;
    const node = input.targetNode;
    const ops = nodeOps(node);
    const volumes = chain.steps.at(-1)!.volumes.map((v) => ({ vlmNr: v.vlmNr, sizeBytes: v.sizeBytes }));
    if (input.downloadOnly) return downloadOnly(input, chain, volumes, progress.set);
    let layout: ResourceLayout | undefined;
    let madeRd = false;
    try {
      progress.set({ phase: 'defining the resource', node });
      await catalog.catalogCreateResourceDefinition({ name: rsc, requestId: `${workflowInfo().workflowId}/${workflowInfo().runId}` });
      madeRd = true;
      for (const v of volumes) await catalog.catalogCreateVolumeDefinition({ resource: rsc, volumeNumber: v.vlmNr, sizeBytes: v.sizeBytes });
      layout = (await catalog.catalogPlaceResource({ resource: rsc, nodes: [node], storagePool: input.storagePool })).layout;
      const me = layout.nodes.find((n) => n.node === node)!;
      await ops.short.ensureResourceVolumes(layout);
      const total = chain.steps.reduce((a, st) => a + st.volumes.length, 0);
      const bytesTotal = chain.steps.reduce((a, st) => a + st.volumes.reduce((b, v) => b + (v.parts ?? []).reduce((c, p) => c + p.size, 0), 0), 0);
      let done = 0;
      let bytesDone = 0;
      for (const [i, step] of chain.steps.entries()) {
        for (const v of step.volumes) {
          progress.set({ phase: `receiving ${step.id} (${i + 1} of ${chain.steps.length}), volume ${v.vlmNr}`, node, done, total, bytesDone, ...(bytesTotal ? { bytesTotal } : {}) });
          const got = await ops.data.backupReceiveVolume({
            remote: chain.remote, key: v.dataKey, parts: v.parts, sha256: v.sha256, uncompressedSha256: v.uncompressedSha256,
            vg: me.vg!, lv: `${rsc}_${String(v.vlmNr).padStart(5, '0')}`,
          });
          done += 1;
          bytesDone += got.bytes;
        }
      }
      progress.set({ phase: 'bringing up DRBD', node, done, total, bytesDone, ...(bytesTotal ? { bytesTotal } : {}) });
      await ops.short.writeDrbdResourceFile(layout);
      await ops.short.createDrbdMetadata(layout);
      await ops.short.adjustDrbd(rsc);
      await ops.short.skipInitialSync({ resource: rsc, diskfulPeers: 0 });
      await ops.short.waitUpToDate(rsc);
      const reported = await ops.short.reportResourceVolumes(layout);
      await catalog.catalogRecordVolumes({ resource: rsc, node, volumes: reported });
      progress.set({ ...progress.get(), phase: 'done' });
      return { resource: rsc, node, chain: chain.chain, volumes, storagePool: input.storagePool };
    } catch (e) {
      progress.set({ ...progress.get(), phase: 'failed: removing what was made' });
      await CancellationScope.nonCancellable(async () => {
        if (layout) {
          await ops.short.removeResourceFromHost({ resource: rsc, vg: layout.nodes.find((n) => n.node === node)?.vg ?? null, volumeNumbers: layout.volumes.map((v) => v.volumeNumber) }).catch(() => undefined);
        }
        if (madeRd) await catalog.catalogDeleteResourceDefinition(rsc).catch(() => undefined);
      });
      progress.set({ ...progress.get(), phase: 'failed' });
      throw e;
    }
  });
}

/**
 * `backup restore --download-only`, as LINSTOR does it: the target resource definition with the
 * backup's volumes, and one snapshot per chain element on the node (`<rsc>_<vlmNr>_<snap>`, named
 * as the backups' snapshots), received in order into a working LV that is snapshotted after each
 * element and removed at the end. No resource: `snapshot resource restore` (or a new resource plus
 * rollback) makes one from any of the snapshots. Any failure removes what was made.
 */
async function downloadOnly(
  input: BackupRestoreInput, chain: RestoreChain, volumes: { vlmNr: number; sizeBytes: number }[], report: ReturnType<typeof backupProgress>['set'],
): Promise<BackupRestoreResult> {
  const rsc = input.targetResource;
  const node = input.targetNode;
  const ops = nodeOps(node);
  const holder = workflowInfo().workflowId;
  const snapshots = chain.steps.map((s) => parseBackupId(s.id).snapName);
  const working = volumes.map((v) => ({ vlmNr: v.vlmNr, lv: `${rsc}_${String(v.vlmNr).padStart(5, '0')}`, sizeBytes: v.sizeBytes }));
  let pool: { vg: string; thinPool: string } | undefined;
  let madeRd = false;
  try {
    report({ phase: 'defining the resource (no deployment: download only)', node });
    pool = await catalog.backupTargetPool({ node, storagePool: input.storagePool });
    await catalog.catalogCreateResourceDefinition({ name: rsc, requestId: `${holder}/${workflowInfo().runId}` });
    madeRd = true;
    for (const v of volumes) await catalog.catalogCreateVolumeDefinition({ resource: rsc, volumeNumber: v.vlmNr, sizeBytes: v.sizeBytes });
    await ops.data.backupCreateReceiveLvs({ vg: pool.vg, thinPool: pool.thinPool, volumes: working.map((w) => ({ lv: w.lv, sizeBytes: w.sizeBytes })) });
    for (const [i, step] of chain.steps.entries()) {
      for (const v of step.volumes) {
        report({ phase: `receiving ${step.id} (${i + 1} of ${chain.steps.length}), volume ${v.vlmNr}`, node });
        await ops.data.backupReceiveVolume({
          remote: chain.remote, key: v.dataKey, parts: v.parts, sha256: v.sha256, uncompressedSha256: v.uncompressedSha256,
          vg: pool.vg, lv: `${rsc}_${String(v.vlmNr).padStart(5, '0')}`,
        });
      }
      await ops.short.createSnapshot({ resource: rsc, snapshot: snapshots[i]!, volumes: working.map((w) => ({ vlmNr: w.vlmNr, vg: pool!.vg, lv: w.lv })) });
    }
    await ops.data.backupRemoveLvs({ vg: pool.vg, lvs: working.map((w) => w.lv) });
    await catalog.backupRecordDownloadedSnapshots({ resource: rsc, node, storagePool: input.storagePool, snapshots, holder });
    report({ phase: 'done', node });
    return { resource: rsc, node, chain: chain.chain, volumes, storagePool: input.storagePool, snapshots };
  } catch (e) {
    report({ phase: 'failed: removing what was made', node });
    await CancellationScope.nonCancellable(async () => {
      if (pool) {
        const vg = pool.vg;
        for (const snapshot of snapshots) await ops.short.deleteSnapshot({ resource: rsc, snapshot, volumes: working.map((w) => ({ vlmNr: w.vlmNr, vg })) }).catch(() => undefined);
        await ops.data.backupRemoveLvs({ vg, lvs: working.map((w) => w.lv) }).catch(() => undefined);
      }
      await catalog.backupForgetSnapshots({ resource: rsc, snapshots }).catch(() => undefined);
      if (madeRd) await catalog.catalogDeleteResourceDefinition(rsc).catch(() => undefined);
    });
    report({ phase: 'failed', node });
    throw e;
  }
}

// ---- delete ---------------------------------------------------------------------------------------

/**
 * `backup delete id|filter|all` (`selector`; `id` alone from before selectors existed) or
 * `backup delete s3key` (`s3key`: that one object, whatever it is).
 */
export async function backupDelete(input: { remote: string; id?: string; selector?: BackupSelector; s3key?: string; cascade: boolean }): Promise<{ backups: string[]; keys: string[] }> {
  upsertSearchAttributes({ FerryRemote: [input.remote], FerryOperation: ['backup-delete'] });
  const progress = trackProgress({ phase: 'deleting the objects and their metadata', done: 0, total: 0, unit: 'backups' });
  const r = input.s3key !== undefined ? await catalog.backupDeleteKey({ remote: input.remote, key: input.s3key }) : await catalog.backupDelete(input);
  progress.update({ phase: 'done', done: r.backups.length, total: r.backups.length, message: `${r.keys.length} object(s) deleted` });
  return r;
}
