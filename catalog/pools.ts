// Storage pools in the catalog: one row per (node, pool name). The diskless pool every node has
// (DfltDisklessStorPool) is not stored; the readers add it.
import type { Db, Row } from './db.js';

export const DISKLESS_POOL = 'DfltDisklessStorPool';

export type PoolProvider = 'LVM_THIN' | 'DISKLESS';

export interface StoragePoolRecord {
  node: string;
  name: string;
  provider: PoolProvider;
  /** `vg/thinpool` for LVM_THIN, '' for DISKLESS. */
  poolName: string;
  freeBytes: number | null;
  totalBytes: number | null;
  props: Record<string, string>;
  updatedAt: number | null;
}

function toPool(r: Row): StoragePoolRecord {
  const num = (v: unknown) => (v === null || v === undefined ? null : Number(v));
  return {
    node: String(r.node),
    name: String(r.name),
    provider: String(r.provider) as PoolProvider,
    poolName: String(r.pool_name),
    freeBytes: num(r.free_bytes),
    totalBytes: num(r.total_bytes),
    props: JSON.parse(String(r.props)) as Record<string, string>,
    updatedAt: num(r.updated_at),
  };
}

/** The diskless pool a node always has. */
export function disklessPool(node: string): StoragePoolRecord {
  return { node, name: DISKLESS_POOL, provider: 'DISKLESS', poolName: '', freeBytes: null, totalBytes: null, props: {}, updatedAt: null };
}

export class StoragePoolStore {
  constructor(private readonly db: Db) {}

  /** Stored pools, ordered by pool then node; `node` narrows to one node. */
  async list(node?: string): Promise<StoragePoolRecord[]> {
    const rows = node
      ? await this.db.all(`SELECT * FROM storage_pools WHERE node = ? ORDER BY name, node`, [node])
      : await this.db.all(`SELECT * FROM storage_pools ORDER BY name, node`);
    return rows.map(toPool);
  }

  async get(node: string, name: string): Promise<StoragePoolRecord | undefined> {
    if (name === DISKLESS_POOL) {
      const n = await this.db.get(`SELECT name FROM nodes WHERE name = ?`, [node]);
      return n ? disklessPool(node) : undefined;
    }
    const r = await this.db.get(`SELECT * FROM storage_pools WHERE node = ? AND name = ?`, [node, name]);
    return r ? toPool(r) : undefined;
  }

  /** Inserts the pool; false when the node has a pool of that name already. */
  async create(p: { node: string; name: string; provider: PoolProvider; poolName: string; freeBytes: number; totalBytes: number; props: Record<string, string>; now: number }): Promise<boolean> {
    return this.db.tx(async (tx) => {
      if (await tx.get(`SELECT name FROM storage_pools WHERE node = ? AND name = ?`, [p.node, p.name])) return false;
      await tx.run(
        `INSERT INTO storage_pools (node, name, provider, pool_name, free_bytes, total_bytes, props, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
        [p.node, p.name, p.provider, p.poolName, p.freeBytes, p.totalBytes, JSON.stringify(p.props), p.now],
      );
      return true;
    });
  }

  /**
   * Deletes a pool no resource and no snapshot uses (checked in the same transaction): 'in-use'
   * names what still holds it, 'missing' when there is no such pool.
   */
  async deleteUnused(node: string, name: string): Promise<{ deleted: true } | { deleted: false; reason: 'missing' } | { deleted: false; reason: 'in-use'; resources: string[]; snapshots: string[] }> {
    return this.db.tx(async (tx) => {
      if (!(await tx.get(`SELECT name FROM storage_pools WHERE node = ? AND name = ?`, [node, name]))) return { deleted: false, reason: 'missing' };
      const { resources, snapshots } = await usersOf(tx, node, name);
      if (resources.length || snapshots.length) return { deleted: false, reason: 'in-use', resources, snapshots };
      await tx.run(`DELETE FROM storage_pools WHERE node = ? AND name = ?`, [node, name]);
      return { deleted: true };
    });
  }

  /** The resources and snapshots (`rsc/snap`) that hold volumes in the pool. */
  async users(node: string, name: string): Promise<{ resources: string[]; snapshots: string[] }> {
    return usersOf(this.db, node, name);
  }

  async delete(node: string, name: string): Promise<boolean> {
    return (await this.db.run(`DELETE FROM storage_pools WHERE node = ? AND name = ?`, [node, name])) > 0;
  }
}

async function usersOf(db: Db, node: string, name: string): Promise<{ resources: string[]; snapshots: string[] }> {
  const resources = (await db.all<{ resource: string }>(`SELECT resource FROM resources WHERE node = ? AND storage_pool = ? ORDER BY resource`, [node, name])).map((r) => String(r.resource));
  const snapshots = (await db.all<{ resource: string; snapshot: string }>(`SELECT resource, snapshot FROM snapshots WHERE node = ? AND storage_pool = ? ORDER BY resource, snapshot`, [node, name]))
    .map((r) => `${String(r.resource)}/${String(r.snapshot)}`);
  return { resources, snapshots };
}
