// Controller activities of remotes and backups: the catalog side (remotes, last backup per
// resource and remote, shipping slots per node) and the bucket's metadata side (base selection,
// commit of the .meta, the restore chain, delete). S3 keys leave the catalog sealed; the controller
// opens them only in memory for its own S3 calls, and hands the node activities the sealed form.
import { ApplicationFailure, Context } from '@temporalio/activity';
import { WorkflowNotFoundError } from '@temporalio/client';
import { randomUUID } from 'node:crypto';
import type { BackupSelector } from '../../core/backup-selection.js';
import { getProperty, parseIntegerProp, propertyDef, type PropLevels } from '../../core/properties.js';
import { backupId, backupIdOf, dataKey, metaKeyOf, parseBackupId } from '../../core/backup-names.js';
import { baseBackupIdOf, dataKeysOf, type BackupMeta } from '../../core/backup-meta.js';
import type { Catalog, RemoteRecord } from '../../catalog/index.js';
import type { RemoteChanges, SlotAnswer } from '../../catalog/remotes.js';
import { createS3Client } from '../../bucket/s3.js';
import { openSecret } from '../../bucket/secret-box.js';
import { backupFailure } from '../node/backup/failures.js';
import { abortUnfinishedUploads, deleteBackup, deleteObject, listBackups, readBackupMeta, writeBackupMeta, objectSize } from '../../bucket/index.js';

/** What a node needs to reach a remote: keys still sealed (the agent opens them with the master passphrase). */
export interface RemoteAccess {
  name: string;
  endpoint: string;
  bucket: string;
  region: string;
  usePathStyle: boolean;
  accessKeySealed: string;
  secretKeySealed: string;
}

export interface BackupVolumePlan {
  vlmNr: number;
  /** the resource's LV, e.g. db0_00000 */
  lv: string;
  vg: string;
  sizeBytes: number;
  dataKey: string;
  /** the storage pool shipped from (recorded in the .meta); absent in plans made before it was */
  storagePool?: string;
}

export interface BackupPlan {
  id: string;
  node: string;
  volumes: BackupVolumePlan[];
  remote: RemoteAccess;
  /** the incremental base, when the last backup to this remote can be one */
  base: { snapshot: string; backupId: string; chain: string[] } | null;
  /** why a full backup was chosen (when it was) */
  fullBecause: string | null;
  /**
   * the snapshot of the last backup to this remote: deleted once this backup is committed, unless
   * `kept` (it is a catalog snapshot: kept for a schedule's keep-local, whose retention deletes it)
   */
  previous: { node: string; snapshot: string; kept: boolean } | null;
}

export interface RestoreVolume {
  vlmNr: number;
  sizeBytes: number;
  dataKey: string;
  parts: { partNumber: number; size: number; sha256: string }[] | null;
  sha256: string | null;
  uncompressedSha256: string | null;
}

export interface RestoreChain {
  /** backup ids, full first */
  chain: string[];
  /** volumes of each chain element, same order */
  steps: { id: string; volumes: RestoreVolume[] }[];
  remote: RemoteAccess;
}

export const MAX_CONCURRENT_PROP = 'BackupShipping/MaxConcurrentBackupsPerNode';

const fail = (type: string, message: string) => ApplicationFailure.create({ type, message, nonRetryable: true });

export function remoteAccess(r: RemoteRecord): RemoteAccess {
  return { name: r.name, endpoint: r.endpoint, bucket: r.bucket, region: r.region, usePathStyle: r.usePathStyle, accessKeySealed: r.accessKeySealed, secretKeySealed: r.secretKeySealed };
}

/** An S3 client for a remote, keys opened in memory only. */
export function s3ForRemote(r: RemoteAccess) {
  return createS3Client({ endpoint: r.endpoint, region: r.region, forcePathStyle: r.usePathStyle, accessKey: openSecret(r.accessKeySealed), secretKey: openSecret(r.secretKeySealed) });
}

/** The controller property holding this cluster's id (LINSTOR: Cluster/LocalID), set once. */
export const CLUSTER_ID_PROP = 'Cluster/LocalID';

export function createBackupActivities(deps: { catalog: Catalog; now?: () => number }) {
  const now = deps.now ?? Date.now;
  const { catalog } = deps;

  /**
   * MaxConcurrentBackupsPerNode of a node: its own property, else the controller's, else the
   * default of core/properties.ts's table (LINSTOR's: -1, no limit).
   */
  async function slotLimit(node: string): Promise<number> {
    const n = await catalog.nodes.get(node);
    const ctrl = await catalog.remotes.controllerProp(MAX_CONCURRENT_PROP);
    const levels: PropLevels = { node: n?.props ?? {}, controller: ctrl === undefined ? {} : { [MAX_CONCURRENT_PROP]: ctrl } };
    return parseIntegerProp(getProperty(MAX_CONCURRENT_PROP, levels)) ?? parseIntegerProp(propertyDef(MAX_CONCURRENT_PROP)!.default)!;
  }

  async function remote(name: string): Promise<RemoteAccess> {
    const r = await catalog.remotes.get(name);
    if (!r) throw fail('NotFoundError', `remote '${name}' not found`);
    return remoteAccess(r);
  }

  async function thinPoolOf(input: { node: string; storagePool: string }): Promise<{ vg: string; thinPool: string }> {
    const sp = await catalog.storagePools.get(input.node, input.storagePool);
    const vg = sp?.props['StorDriver/LvmVg'];
    const thinPool = sp?.props['StorDriver/ThinPool'];
    if (!sp || sp.provider !== 'LVM_THIN' || !vg || !thinPool) throw fail('NotFoundError', `no LVM_THIN storage pool '${input.storagePool}' on node '${input.node}'`);
    return { vg, thinPool };
  }

  async function withS3<T>(r: RemoteAccess, fn: (s3: ReturnType<typeof s3ForRemote>) => Promise<T>): Promise<T> {
    try {
      const s3 = s3ForRemote(r);
      try {
        return await fn(s3);
      } finally {
        s3.destroy();
      }
    } catch (e) {
      throw backupFailure(e, r.name);
    }
  }

  return {
    /** Idempotent: the same remote again is success; another one of that name is a ConflictError. */
    async catalogCreateRemote(input: Omit<RemoteRecord, 'type' | 'createdAt'>): Promise<void> {
      if (await catalog.remotes.create({ ...input, createdAt: now() })) return;
      const cur = await catalog.remotes.get(input.name);
      if (cur && cur.endpoint === input.endpoint && cur.bucket === input.bucket && cur.accessKeySealed === input.accessKeySealed) return;
      throw fail('ConflictError', `remote '${input.name}' already exists`);
    },

    async catalogModifyRemote(input: { name: string; changes: RemoteChanges }): Promise<void> {
      if (!(await catalog.remotes.update(input.name, input.changes))) throw fail('NotFoundError', `remote '${input.name}' not found`);
    },

    async catalogDeleteRemote(name: string): Promise<boolean> {
      return catalog.remotes.delete(name);
    },

    /**
     * What to ship and how: the node (asked for, else the node of the last backup, else the first
     * diskful one), the volumes, and the incremental base if the last backup to this remote is
     * still in the bucket and its volume sizes did not change (the workflow then checks that the
     * base snapshot is still on the node).
     */
    async backupPlan(input: { resource: string; remote: string; node?: string; full: boolean; snapshot: string; startTimestamp: number }): Promise<BackupPlan> {
      const r = await remote(input.remote);
      const rd = await catalog.resources.getDefinition(input.resource);
      if (!rd) throw fail('NotFoundError', `resource definition '${input.resource}' not found`);
      const vds = await catalog.resources.listVolumeDefinitions(input.resource);
      const diskful = (await catalog.resources.list({ resource: input.resource })).filter((x) => !x.flags.includes('DISKLESS'));
      if (diskful.length === 0) throw fail('NotFoundError', `resource '${input.resource}' has no diskful replica to back up`);
      const last = await catalog.remotes.lastBackup(input.resource, input.remote);
      const chosen = input.node !== undefined ? diskful.find((x) => x.node === input.node) : (last && diskful.find((x) => x.node === last.node)) ?? diskful[0];
      if (!chosen) throw fail('NotFoundError', `resource '${input.resource}' has no diskful replica on node '${input.node}'`);
      const sp = await catalog.storagePools.get(chosen.node, chosen.storagePool);
      const vg = sp?.props['StorDriver/LvmVg'];
      if (!vg) throw fail('NotFoundError', `storage pool '${chosen.storagePool}' of '${input.resource}' on '${chosen.node}' has no volume group`);
      const names = { rsc: input.resource, startTimestamp: input.startTimestamp, snapName: input.snapshot };
      const id = backupId(names);
      const volumes = vds.map((v) => ({ vlmNr: v.volumeNumber, lv: `${input.resource}_${String(v.volumeNumber).padStart(5, '0')}`, vg, sizeBytes: v.sizeBytes, dataKey: dataKey({ ...names, vlmNr: v.volumeNumber }), storagePool: chosen.storagePool }));
      let base: BackupPlan['base'] = null;
      let fullBecause: string | null = null;
      if (input.full) fullBecause = '--full was given';
      else if (!last) fullBecause = `no earlier backup of '${input.resource}' to remote '${input.remote}'`;
      else if (last.node !== chosen.node) fullBecause = `the last backup's snapshot ${last.snapshot} is on ${last.node}, not ${chosen.node}`;
      else if (volumes.some((v) => last.volumeSizes[String(v.vlmNr)] !== v.sizeBytes)) fullBecause = 'volume sizes changed since the last backup';
      else {
        const meta = await withS3(r, async (s3) => readBackupMeta(s3, r.bucket, last.backupId).catch((e: unknown) => {
          if (e instanceof Error && e.name === 'BackupNotFoundError') return null;
          throw e;
        }));
        if (!meta) fullBecause = `the last backup ${last.backupId} is no longer in bucket '${r.bucket}'`;
        else base = { snapshot: last.snapshot, backupId: last.backupId, chain: meta.meta.ferry?.chain ?? [last.backupId] };
      }
      if (base === null && fullBecause === null) fullBecause = 'no base';
      const kept = last ? (await catalog.snapshots.get(input.resource, last.snapshot)) !== undefined : false;
      return { id, node: chosen.node, volumes, remote: r, base, fullBecause, previous: last ? { node: last.node, snapshot: last.snapshot, kept } : null };
    },

    /**
     * One of the node's MaxConcurrentBackupsPerNode shipping slots (node property, else controller
     * property, else the table's default -1; negative = unlimited), first come first served. Not acquired: the backup is
     * queued; the answer has the holders and its place, for "queued: 3rd behind ...".
     */
    async backupAcquireSlot(input: { node: string; holder: string }): Promise<SlotAnswer & { limit: number }> {
      const limit = await slotLimit(input.node);
      let answer = await catalog.remotes.acquireSlot(input.node, input.holder, limit, now());
      if (!answer.acquired) {
        // a holder whose workflow has ended without giving its slot back (terminated) loses it
        const client = Context.current().client;
        const ended = [];
        for (const h of answer.holders) {
          const d = await client.workflow.getHandle(h).describe().catch((e: unknown) => (e instanceof WorkflowNotFoundError ? null : undefined));
          if (d === null || (d !== undefined && d.status.name !== 'RUNNING')) ended.push(h);
        }
        for (const h of ended) await catalog.remotes.releaseSlot(h, limit, now());
        if (ended.length > 0) answer = await catalog.remotes.acquireSlot(input.node, input.holder, limit, now());
      }
      return { ...answer, limit };
    },

    /**
     * Gives up a backup's slot (or its place in the queue) and hands the freed slot to the next
     * backup queued on that node; returns whom, so that the caller wakes them.
     */
    async backupReleaseSlot(holder: string): Promise<{ granted: string[] }> {
      const node = await catalog.remotes.slotNodeOf(holder);
      if (node === undefined) return { granted: [] };
      return catalog.remotes.releaseSlot(holder, await slotLimit(node), now());
    },

    /** Writes the .meta: the commit marker, after every data object is in the bucket. */
    async backupCommit(input: { remote: string; id: string; meta: BackupMeta }): Promise<{ key: string }> {
      const r = await remote(input.remote);
      return withS3(r, async (s3) => {
        try {
          // which cluster made it (`backup delete all --cluster`), as LINSTOR records its cluster id
          const clusterId = input.meta.clusterId ?? await catalog.remotes.setControllerPropOnce(CLUSTER_ID_PROP, randomUUID());
          // the shipment stored every data object: an upload still open on one of their keys is an
          // attempt whose upload id was lost (agent killed before its heartbeat reached Temporal)
          for (const { key } of dataKeysOf(input.meta)) await abortUnfinishedUploads({ s3, bucket: r.bucket, key });
          return await writeBackupMeta({ s3, bucket: r.bucket, id: input.id, meta: { ...input.meta, clusterId } });
        } catch (e) {
          if (e instanceof Error && e.name === 'BackupCommitError') throw fail('ConflictError', e.message);
          throw e;
        }
      });
    },

    /**
     * Records a committed backup's snapshot in the catalog (Successful, on the shipping node only),
     * so that `snapshot list` shows it and keep-local's retention deletes it with the snapshot
     * delete workflow. Idempotent for the same backup workflow (`holder`).
     */
    async backupKeepSnapshot(input: { resource: string; snapshot: string; node: string; holder: string }): Promise<void> {
      const r = (await catalog.resources.list({ resource: input.resource })).find((x) => x.node === input.node);
      if (!r) throw fail('NotFoundError', `resource '${input.resource}' is no longer on node '${input.node}'`);
      const sp = await catalog.storagePools.get(r.node, r.storagePool);
      const vg = sp?.props['StorDriver/LvmVg'];
      const thinPool = sp?.props['StorDriver/ThinPool'];
      if (!vg || !thinPool) throw fail('NotFoundError', `storage pool '${r.storagePool}' on '${r.node}' is not LVM_THIN`);
      const vds = await catalog.resources.listVolumeDefinitions(input.resource);
      const out = await catalog.snapshots.begin({
        resource: input.resource, name: input.snapshot, holder: input.holder,
        volumes: vds.map((v) => ({ volumeNumber: v.volumeNumber, sizeBytes: v.sizeBytes })),
        nodes: [{ node: r.node, storagePool: r.storagePool, vg, thinPool }], now: now(),
      });
      if (!out.created && out.record.holder !== input.holder) throw fail('ConflictError', `snapshot '${input.snapshot}' of resource '${input.resource}' already exists`);
      await catalog.snapshots.setState(input.resource, input.snapshot, 'Successful');
    },

    /** The volume group and thin pool of an LVM_THIN storage pool (the target of a download-only restore). */
    backupTargetPool: thinPoolOf,

    /**
     * `backup restore --download-only`: records the received snapshots (Successful, on the one
     * node) so that `snapshot list` shows them and `snapshot resource restore` can use them.
     * Idempotent for the same restore workflow (`holder`).
     */
    async backupRecordDownloadedSnapshots(input: { resource: string; node: string; storagePool: string; snapshots: string[]; holder: string }): Promise<void> {
      const { vg, thinPool } = await thinPoolOf({ node: input.node, storagePool: input.storagePool });
      const vds = await catalog.resources.listVolumeDefinitions(input.resource);
      for (const name of input.snapshots) {
        const out = await catalog.snapshots.begin({
          resource: input.resource, name, holder: input.holder,
          volumes: vds.map((v) => ({ volumeNumber: v.volumeNumber, sizeBytes: v.sizeBytes })),
          nodes: [{ node: input.node, storagePool: input.storagePool, vg, thinPool }], now: now(),
        });
        if (!out.created && out.record.holder !== input.holder) throw fail('ConflictError', `snapshot '${name}' of resource '${input.resource}' already exists`);
        await catalog.snapshots.setState(input.resource, name, 'Successful');
      }
    },

    /** Clean-up of a failed download-only restore: forgets its snapshots. */
    async backupForgetSnapshots(input: { resource: string; snapshots: string[] }): Promise<void> {
      for (const name of input.snapshots) await catalog.snapshots.delete(input.resource, name);
    },

    async backupRecordLast(input: { resource: string; remote: string; snapshot: string; backupId: string; node: string; volumeSizes: Record<string, number> }): Promise<void> {
      await catalog.remotes.recordLastBackup({ ...input, updatedAt: now() });
    },

    /**
     * The chain to restore, full first: from `id`, or the newest committed backup of `resource`;
     * every .meta read, every data object checked to exist with its recorded size.
     */
    async backupRestoreChain(input: { remote: string; id?: string; resource?: string }): Promise<RestoreChain> {
      const r = await remote(input.remote);
      return withS3(r, async (s3) => {
        let target = input.id !== undefined ? backupIdOf(input.id) : undefined;
        if (target === undefined) {
          const { backups } = await listBackups({ s3, bucket: r.bucket, rsc: input.resource! });
          const newest = backups.filter((b) => b.committed).at(-1);
          if (!newest) throw fail('NotFoundError', `no backup of resource '${input.resource}' in remote '${r.name}'`);
          target = newest.id;
        }
        const steps: RestoreChain['steps'] = [];
        const seen = new Set<string>();
        for (let id: string | undefined = target; id !== undefined;) {
          if (seen.has(id)) throw fail('ConflictError', `backup chain of ${target} loops at ${id}`);
          seen.add(id);
          const { meta } = await readBackupMeta(s3, r.bucket, id).catch((e: unknown) => {
            if (e instanceof Error && e.name === 'BackupNotFoundError') throw fail('NotFoundError', `${e.message}${id === target ? '' : ` (needed by ${target})`}`);
            throw e;
          });
          const volumes: RestoreVolume[] = [];
          for (const [vlm, shipments] of Object.entries(meta.backups)) {
            const key = shipments[0]?.name;
            if (!key) continue;
            const fv = meta.ferry?.volumes[vlm];
            const size = await objectSize(s3, r.bucket, key);
            if (size === undefined) throw fail('NotFoundError', `data object ${key} of backup ${id} is missing from bucket '${r.bucket}'`);
            if (fv && size !== fv.compressedBytes) throw fail('ConflictError', `backup data is damaged: ${key} has ${size} bytes, the metadata says ${fv.compressedBytes}`);
            const kib = meta.rscDfn?.vlmDfns?.[vlm]?.size ?? 0;
            volumes.push({
              vlmNr: Number(vlm), sizeBytes: kib * 1024, dataKey: key,
              parts: fv ? fv.parts.map((p) => ({ partNumber: p.partNumber, size: p.size, sha256: p.sha256 })) : null,
              sha256: fv?.sha256 ?? null, uncompressedSha256: fv?.uncompressedSha256 ?? null,
            });
          }
          volumes.sort((a, b) => a.vlmNr - b.vlmNr);
          steps.unshift({ id, volumes });
          id = baseBackupIdOf(meta);
        }
        return { chain: steps.map((s) => s.id), steps, remote: r };
      });
    },

    /**
     * Removes what an unfinished backup left in the bucket (a failed or cancelled shipment): its
     * .meta if any, its data objects and their unfinished multipart uploads. Idempotent.
     */
    async backupDiscard(input: { remote: string; id: string; dataKeys: string[] }): Promise<{ removed: string[] }> {
      const r = await remote(input.remote);
      return withS3(r, async (s3) => {
        const removed: string[] = [];
        for (const key of [metaKeyOf(input.id), ...input.dataKeys]) {
          if ((await objectSize(s3, r.bucket, key)) === undefined) continue;
          await deleteObject(s3, r.bucket, key);
          removed.push(key);
        }
        for (const key of input.dataKeys) {
          const { aborted } = await abortUnfinishedUploads({ s3, bucket: r.bucket, key });
          for (const u of aborted) removed.push(`${key} (upload ${u.uploadId})`);
        }
        return { removed };
      });
    },

    /** `backup delete s3key`: deletes one object of the bucket, whatever it is (not found: NotFoundError). */
    async backupDeleteKey(input: { remote: string; key: string }): Promise<{ backups: string[]; keys: string[] }> {
      const r = await remote(input.remote);
      return withS3(r, async (s3) => {
        const size = await objectSize(s3, r.bucket, input.key);
        if (size === undefined) throw fail('NotFoundError', `object '${input.key}' not found in bucket '${r.bucket}'`);
        await deleteObject(s3, r.bucket, input.key);
        return { backups: [], keys: [input.key] };
      });
    },

    /**
     * Deletes the selected backups (with cascade their descendants); forgets a deleted one as the
     * base of the next incremental. `id` alone is the form of workflows started before selectors.
     */
    async backupDelete(input: { remote: string; id?: string; selector?: BackupSelector; cascade: boolean }): Promise<{ backups: string[]; keys: string[] }> {
      const r = await remote(input.remote);
      const plan = await withS3(r, async (s3) => {
        try {
          return await deleteBackup({ s3, bucket: r.bucket, ...(input.selector ? { selector: input.selector } : { id: input.id ?? '' }), cascade: input.cascade });
        } catch (e) {
          if (e instanceof Error && e.name === 'BackupHasDependentsError') throw fail('ConflictError', e.message);
          if (e instanceof Error && e.name === 'BackupNotFoundError') throw fail('NotFoundError', e.message);
          throw e;
        }
      });
      for (const rsc of new Set(plan.backups.map((id) => parseBackupId(id).rsc))) {
        const last = await catalog.remotes.lastBackup(rsc, r.name);
        if (last && plan.backups.includes(last.backupId)) await catalog.remotes.forgetLastBackup(rsc, r.name);
      }
      return { backups: plan.backups, keys: plan.keys };
    },
  };
}

export type BackupControllerActivities = ReturnType<typeof createBackupActivities>;
