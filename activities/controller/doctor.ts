// Controller activities of `ferry doctor`: the catalog's side (what it references, what is locked)
// and each remote's bucket (uncommitted backups, unfinished uploads, .meta without data), plus
// the S3 removals and the catalog re-check `doctor --repair` makes.
import { ApplicationFailure } from '@temporalio/activity';
import { metaKeyOf } from '../../core/backup-names.js';
import { dataKeysOf } from '../../core/backup-meta.js';
import type { DoctorCatalogView, RemoteReport } from '../../core/doctor.js';
import { connectionStatus } from '../../core/node-state.js';
import type { Catalog } from '../../catalog/index.js';
import { remoteAccess, s3ForRemote } from './backups.js';
import { deleteObject, listBackups, listUnfinishedUploads, objectSize, readBackupMeta } from '../../bucket/index.js';
import { abortUpload } from '../../bucket/upload.js';
import { backupFailure } from '../node/backup/failures.js';

const fail = (type: string, message: string) => ApplicationFailure.create({ type, message, nonRetryable: true });

export function createDoctorActivities(deps: { catalog: Catalog; now?: () => number; offlineAfterMs?: number }) {
  const now = deps.now ?? Date.now;
  const offlineAfterMs = deps.offlineAfterMs ?? 15_000;
  const { catalog } = deps;

  async function withRemote<T>(name: string, fn: (s3: ReturnType<typeof s3ForRemote>, bucket: string) => Promise<T>): Promise<T> {
    const rec = await catalog.remotes.get(name);
    if (!rec) throw fail('NotFoundError', `remote '${name}' not found`);
    const r = remoteAccess(rec);
    try {
      const s3 = s3ForRemote(r);
      try {
        return await fn(s3, r.bucket);
      } finally {
        s3.destroy();
      }
    } catch (e) {
      throw backupFailure(e, r.name);
    }
  }

  /** Is `resource` on `node` (or the LV `vg/lv` of it) referenced by the catalog right now? */
  async function referenced(input: { resource: string; node: string; vg?: string; lv?: string }): Promise<boolean> {
    if (await catalog.resources.get(input.resource, input.node)) return true;
    if (input.lv === undefined) return false;
    for (const b of await catalog.remotes.listLastBackups()) {
      if (b.resource === input.resource && b.node === input.node && input.lv.startsWith(`${b.resource}_`) && input.lv.endsWith(`_${b.snapshot}`)) return true;
    }
    for (const s of await catalog.snapshots.list({ resource: input.resource })) {
      if (s.nodes.some((n) => n.node === input.node && n.vg === input.vg) && s.volumes.some((v) => input.lv === `${input.resource}_${String(v.volumeNumber).padStart(5, '0')}_${s.name}`)) return true;
    }
    return false;
  }

  return {
    async doctorCatalogView(): Promise<DoctorCatalogView> {
      const t = now();
      const nodes = await catalog.nodes.list();
      const pools = (await catalog.storagePools.list()).filter((p) => p.provider === 'LVM_THIN').map((p) => {
        const [vg, thinPool] = p.poolName.split('/');
        return { node: p.node, name: p.name, vg: vg!, thinPool: thinPool! };
      });
      const vds = await catalog.resources.listVolumeDefinitions();
      const volumesOf = (rsc: string) => vds.filter((v) => v.resource === rsc);
      const replicas = (await catalog.resources.list()).map((r) => {
        const pool = pools.find((p) => p.node === r.node && p.name === r.storagePool);
        const diskless = r.flags.includes('DISKLESS') || !pool;
        return { resource: r.resource, node: r.node, diskless, vg: diskless ? null : pool!.vg, volumeNumbers: volumesOf(r.resource).map((v) => v.volumeNumber) };
      });
      const definitions = (await catalog.resources.listDefinitions()).map((d) => ({ name: d.name, port: d.port, minors: volumesOf(d.name).map((v) => v.minor) }));
      const snapshots = (await catalog.snapshots.list()).map((s) => ({
        resource: s.resource, snapshot: s.name, state: s.state, nodes: s.nodes.map((n) => ({ node: n.node, vg: n.vg })), volumeNumbers: s.volumes.map((v) => v.volumeNumber),
      }));
      return {
        nodes: nodes.map((n) => ({ name: n.name, online: connectionStatus(n, t, offlineAfterMs) === 'ONLINE' })),
        pools: pools.map(({ node, vg, thinPool }) => ({ node, vg, thinPool })),
        replicas,
        definitions,
        snapshots,
        locks: (await catalog.resources.listLocks()).map(({ resource, holder }) => ({ resource, holder })),
        backupBases: (await catalog.remotes.listLastBackups()).map(({ resource, snapshot, node }) => ({ resource, snapshot, node })),
        backupHolders: (await catalog.remotes.slots()).map((s) => s.holder),
        remotes: (await catalog.remotes.list()).map((r) => r.name),
      };
    },

    /** Uncommitted backups, unfinished uploads and committed backups with missing data in one remote's bucket. */
    async doctorInspectRemote(input: { remote: string }): Promise<RemoteReport> {
      return withRemote(input.remote, async (s3, bucket) => {
        const { backups } = await listBackups({ s3, bucket });
        const present = new Set(backups.flatMap((b) => b.dataObjects.map((d) => d.key)));
        const uncommitted: RemoteReport['uncommitted'] = [];
        const broken: RemoteReport['broken'] = [];
        for (const b of backups) {
          if (!b.committed) {
            const newestMs = Math.max(0, ...b.dataObjects.map((d) => d.lastModified?.getTime() ?? 0));
            uncommitted.push({ id: b.id, rsc: b.rsc, keys: b.dataObjects.map((d) => d.key), newestMs });
            continue;
          }
          const { meta } = await readBackupMeta(s3, bucket, b.id);
          const missingKeys = dataKeysOf(meta).map((d) => d.key).filter((k) => !present.has(k));
          if (missingKeys.length) broken.push({ id: b.id, missingKeys });
        }
        const uploads = (await listUnfinishedUploads({ s3, bucket })).map((u) => ({ key: u.key, uploadId: u.uploadId, initiatedMs: u.initiated?.getTime() ?? null }));
        return { remote: input.remote, uncommitted, uploads, broken };
      });
    },

    /** True when the catalog does not reference it (asked under the resource's lock, so no operation is changing it). */
    async doctorIsOrphan(input: { resource: string; node: string; vg?: string; lv?: string }): Promise<boolean> {
      return !(await referenced(input));
    },

    async doctorAbortUpload(input: { remote: string; key: string; uploadId: string }): Promise<void> {
      await withRemote(input.remote, (s3, bucket) => abortUpload(s3, bucket, input.key, input.uploadId));
    },

    /**
     * Deletes the data objects of a backup that has no .meta. If the .meta appeared meanwhile (a
     * slow shipment committed after all), nothing is deleted: 'committed'.
     */
    async doctorDiscardUncommitted(input: { remote: string; id: string; keys: string[] }): Promise<'deleted' | 'committed'> {
      return withRemote(input.remote, async (s3, bucket) => {
        if ((await objectSize(s3, bucket, metaKeyOf(input.id))) !== undefined) return 'committed';
        for (const key of input.keys) {
          await deleteObject(s3, bucket, key);
        }
        return 'deleted';
      });
    },
  };
}
