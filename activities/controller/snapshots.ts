// Controller activities of snapshots: the catalog side of the snapshot workflows (create, delete,
// rollback, restore into a new resource definition). Each is idempotent for a retry of the same
// workflow (the workflow id is recorded as the holder / creator).
import { ApplicationFailure } from '@temporalio/activity';
import { randomBytes } from 'node:crypto';
import type { Catalog, SnapshotRecord } from '../../catalog/index.js';
import { DEFAULT_RESOURCE_GROUP } from '../../catalog/resources.js';

/** What a snapshot workflow needs on the nodes: per node, its VG and the volumes' LVs. */
export interface SnapshotPlan {
  resource: string;
  snapshot: string;
  createdAt: number;
  volumes: { volumeNumber: number; sizeBytes: number }[];
  /** Nodes holding (or to hold) the snapshot's LVs. */
  nodes: { node: string; storagePool: string; vg: string; thinPool: string }[];
  /** Every node of the resource now, diskless ones too (I/O is suspended on all of them). */
  resourceNodes: string[];
}

const fail = (type: string, message: string) => ApplicationFailure.create({ type, message, nonRetryable: true });

function planOf(s: SnapshotRecord, resourceNodes: string[]): SnapshotPlan {
  return { resource: s.resource, snapshot: s.name, createdAt: s.createdAt, volumes: s.volumes, nodes: s.nodes, resourceNodes };
}

export function createSnapshotActivities(deps: { catalog: Catalog; now?: () => number }) {
  const now = deps.now ?? Date.now;
  const { catalog } = deps;

  async function requireSnapshot(resource: string, snapshot: string): Promise<SnapshotRecord> {
    if (!(await catalog.resources.getDefinition(resource))) throw fail('NotFoundError', `resource definition '${resource}' not found`);
    const s = await catalog.snapshots.get(resource, snapshot);
    if (!s) throw fail('NotFoundError', `snapshot '${snapshot}' of resource '${resource}' not found`);
    return s;
  }

  return {
    /**
     * Records the snapshot (Incomplete) on every diskful node of the resource. A snapshot of that
     * name taken by another workflow: ConflictError; by this one (a retry): its record.
     */
    async catalogBeginSnapshot(input: { resource: string; snapshot: string; holder: string }): Promise<SnapshotPlan> {
      const rd = await catalog.resources.getDefinition(input.resource);
      if (!rd) throw fail('NotFoundError', `resource definition '${input.resource}' not found`);
      const vds = await catalog.resources.listVolumeDefinitions(input.resource);
      const rs = await catalog.resources.list({ resource: input.resource });
      const diskful = rs.filter((r) => !r.flags.includes('DISKLESS'));
      if (diskful.length === 0) throw fail('ConflictError', `resource '${input.resource}' has no diskful replica to snapshot; deploy it first (ferry r c ${input.resource} --auto-place N)`);
      const nodes: SnapshotPlan['nodes'] = [];
      for (const r of diskful) {
        const sp = await catalog.storagePools.get(r.node, r.storagePool);
        const vg = sp?.props['StorDriver/LvmVg'];
        const thinPool = sp?.props['StorDriver/ThinPool'];
        if (!sp || sp.provider !== 'LVM_THIN' || !vg || !thinPool) throw fail('ConflictError', `storage pool '${r.storagePool}' on node '${r.node}' cannot take snapshots (LVM_THIN only)`);
        nodes.push({ node: r.node, storagePool: r.storagePool, vg, thinPool });
      }
      const out = await catalog.snapshots.begin({
        resource: input.resource,
        name: input.snapshot,
        holder: input.holder,
        volumes: vds.map((v) => ({ volumeNumber: v.volumeNumber, sizeBytes: v.sizeBytes })),
        nodes,
        now: now(),
      });
      if (!out.created && out.record.holder !== input.holder) throw fail('ConflictError', `snapshot '${input.snapshot}' of resource '${input.resource}' already exists`);
      return planOf(out.record, rs.map((r) => r.node));
    },

    async catalogFinishSnapshot(input: { resource: string; snapshot: string }): Promise<void> {
      await catalog.snapshots.setState(input.resource, input.snapshot, 'Successful');
    },

    /** Forgets a snapshot (after its LVs are gone). Absent = done. */
    async catalogForgetSnapshot(input: { resource: string; snapshot: string }): Promise<boolean> {
      return catalog.snapshots.delete(input.resource, input.snapshot);
    },

    /** The snapshot's nodes and volumes; marks it Deleting when asked. */
    async catalogSnapshotPlan(input: { resource: string; snapshot: string; markDeleting?: boolean }): Promise<SnapshotPlan> {
      const s = await requireSnapshot(input.resource, input.snapshot);
      if (input.markDeleting) await catalog.snapshots.setState(input.resource, input.snapshot, 'Deleting');
      return planOf(s, (await catalog.resources.list({ resource: input.resource })).map((r) => r.node));
    },

    /**
     * Checks a rollback as LINSTOR does: the snapshot is complete, it is the most recent one of
     * the resource (newer ones must be deleted first), and every diskful replica has it.
     */
    async catalogCheckRollback(input: { resource: string; snapshot: string }): Promise<SnapshotPlan> {
      const s = await requireSnapshot(input.resource, input.snapshot);
      if (s.state !== 'Successful') throw fail('ConflictError', `snapshot '${s.name}' of '${s.resource}' is ${s.state}, not Successful`);
      const newer = (await catalog.snapshots.list({ resource: input.resource })).filter((o) => o.name !== s.name && (o.createdAt > s.createdAt || (o.createdAt === s.createdAt && o.name > s.name)));
      if (newer.length) {
        throw fail('ConflictError', `resource '${s.resource}' can only be rolled back to its most recent snapshot; delete the newer snapshot${newer.length > 1 ? 's' : ''} first: ${newer.map((o) => o.name).join(', ')}`);
      }
      const rs = await catalog.resources.list({ resource: input.resource });
      const missing = rs.filter((r) => !r.flags.includes('DISKLESS') && !s.nodes.some((n) => n.node === r.node)).map((r) => r.node);
      if (missing.length) throw fail('ConflictError', `the diskful replica${missing.length > 1 ? 's' : ''} on ${missing.join(', ')} of '${s.resource}' ${missing.length > 1 ? 'have' : 'has'} no snapshot '${s.name}' (added after it); remove ${missing.length > 1 ? 'them' : 'it'} or restore the snapshot into a new resource instead`);
      return planOf(s, rs.map((r) => r.node));
    },

    /**
     * The new resource definition of a restore: same volume sizes, resources on the snapshot's
     * nodes and pools. Idempotent for the same workflow (`holder`); an existing definition made by
     * anything else is a ConflictError.
     */
    async catalogCreateRestoreTarget(input: { resource: string; snapshot: string; target: string; holder: string }): Promise<SnapshotPlan> {
      const s = await requireSnapshot(input.resource, input.snapshot);
      if (s.state !== 'Successful') throw fail('ConflictError', `snapshot '${s.name}' of '${s.resource}' is ${s.state}, not Successful`);
      const out = await catalog.resources.createDefinition({
        name: input.target,
        resourceGroup: DEFAULT_RESOURCE_GROUP,
        secret: randomBytes(15).toString('base64url'),
        props: { 'Ferry/CreatedBy': input.holder, 'Ferry/RestoredFrom': `${s.resource}/${s.name}` },
        now: now(),
      });
      if (!out.created) {
        if (out.reason === 'exists' && out.record?.props['Ferry/CreatedBy'] !== input.holder) throw fail('ConflictError', `resource definition '${input.target}' already exists`);
        if (out.reason !== 'exists') throw fail('ConflictError', 'no free DRBD TCP port left (7000-7999)');
      }
      for (const v of s.volumes) {
        const vd = await catalog.resources.createVolumeDefinition({ resource: input.target, volumeNumber: v.volumeNumber, sizeBytes: v.sizeBytes });
        if (!vd.created && vd.reason !== 'exists') throw fail('ConflictError', 'no free DRBD minor left');
      }
      const have = new Set((await catalog.resources.list({ resource: input.target })).map((r) => r.node));
      await catalog.resources.createMany(input.target, s.nodes.filter((n) => !have.has(n.node)).map((n) => ({ node: n.node, storagePool: n.storagePool, flags: [] })), now());
      return planOf(s, s.nodes.map((n) => n.node));
    },
  };
}

export type SnapshotControllerActivities = ReturnType<typeof createSnapshotActivities>;
