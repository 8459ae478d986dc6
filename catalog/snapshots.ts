// Snapshots in the catalog: one snapshot definition per (resource, snapshot) with its volumes'
// sizes and state, and one row per node holding its thin snapshot LVs (vg / thin pool recorded,
// so delete, rollback and restore find them even after the resource left a node).
import type { Db, Row } from './db.js';

/** Incomplete while being taken; Successful once every node has its LVs; Deleting while removed. */
export type SnapshotState = 'Incomplete' | 'Successful' | 'Deleting';

export interface SnapshotNodeRecord {
  node: string;
  storagePool: string;
  vg: string;
  thinPool: string;
}

export interface SnapshotRecord {
  resource: string;
  name: string;
  state: SnapshotState;
  /** The workflow that took it (a retry of the same workflow finds its own record). */
  holder: string;
  volumes: { volumeNumber: number; sizeBytes: number }[];
  nodes: SnapshotNodeRecord[];
  createdAt: number;
}

export class SnapshotStore {
  constructor(private readonly db: Db) {}

  private async nodesOf(d: Db, resource: string, name: string): Promise<SnapshotNodeRecord[]> {
    const rows = await d.all(`SELECT * FROM snapshots WHERE resource = ? AND snapshot = ? ORDER BY node`, [resource, name]);
    return rows.map((r: Row) => ({ node: String(r.node), storagePool: String(r.storage_pool), vg: String(r.vg), thinPool: String(r.thin_pool) }));
  }

  private async toRecord(d: Db, r: Row): Promise<SnapshotRecord> {
    return {
      resource: String(r.resource),
      name: String(r.name),
      state: String(r.state) as SnapshotState,
      holder: String(r.holder),
      volumes: JSON.parse(String(r.volumes)) as SnapshotRecord['volumes'],
      nodes: await this.nodesOf(d, String(r.resource), String(r.name)),
      createdAt: Number(r.created_at),
    };
  }

  async get(resource: string, name: string): Promise<SnapshotRecord | undefined> {
    const r = await this.db.get(`SELECT * FROM snapshot_definitions WHERE resource = ? AND name = ?`, [resource, name]);
    return r ? this.toRecord(this.db, r) : undefined;
  }

  /** Oldest first. */
  async list(filter: { resource?: string } = {}): Promise<SnapshotRecord[]> {
    const rows = filter.resource
      ? await this.db.all(`SELECT * FROM snapshot_definitions WHERE resource = ? ORDER BY created_at, name`, [filter.resource])
      : await this.db.all(`SELECT * FROM snapshot_definitions ORDER BY resource, created_at, name`);
    const out: SnapshotRecord[] = [];
    for (const r of rows) out.push(await this.toRecord(this.db, r));
    return out;
  }

  /**
   * Records a snapshot being taken (Incomplete). Returns the existing record instead when one of
   * that name exists (the caller compares its holder: same workflow = a retry).
   */
  async begin(s: { resource: string; name: string; holder: string; volumes: SnapshotRecord['volumes']; nodes: SnapshotNodeRecord[]; now: number }): Promise<{ created: boolean; record: SnapshotRecord }> {
    return this.db.tx(async (tx) => {
      const cur = await tx.get(`SELECT * FROM snapshot_definitions WHERE resource = ? AND name = ?`, [s.resource, s.name]);
      if (cur) return { created: false, record: await this.toRecord(tx, cur) };
      await tx.run(`INSERT INTO snapshot_definitions (resource, name, state, holder, volumes, created_at) VALUES (?, ?, 'Incomplete', ?, ?, ?)`,
        [s.resource, s.name, s.holder, JSON.stringify(s.volumes), s.now]);
      for (const n of s.nodes) {
        await tx.run(`INSERT INTO snapshots (resource, snapshot, node, storage_pool, vg, thin_pool) VALUES (?, ?, ?, ?, ?, ?)`,
          [s.resource, s.name, n.node, n.storagePool, n.vg, n.thinPool]);
      }
      const r = await tx.get(`SELECT * FROM snapshot_definitions WHERE resource = ? AND name = ?`, [s.resource, s.name]);
      return { created: true, record: await this.toRecord(tx, r!) };
    });
  }

  async setState(resource: string, name: string, state: SnapshotState): Promise<boolean> {
    return (await this.db.run(`UPDATE snapshot_definitions SET state = ? WHERE resource = ? AND name = ?`, [state, resource, name])) > 0;
  }

  /** Forgets a snapshot (its node rows go with it). */
  async delete(resource: string, name: string): Promise<boolean> {
    return this.db.tx(async (tx) => {
      await tx.run(`DELETE FROM snapshots WHERE resource = ? AND snapshot = ?`, [resource, name]);
      return (await tx.run(`DELETE FROM snapshot_definitions WHERE resource = ? AND name = ?`, [resource, name])) > 0;
    });
  }
}
