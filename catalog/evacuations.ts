// Evacuation and eviction in the catalog: node flags and properties they change, one row per node
// being evacuated or evicted, one row per resource move (the replacement chosen for a replica on
// that node, so a retried or re-issued evacuation reuses it instead of placing another), and the
// controller's properties.
import type { NodeFlag } from '../core/node-state.js';
import type { Db, Row } from './db.js';

export type EvacuationKind = 'evacuate' | 'evict';

export interface EvacuationRecord {
  node: string;
  kind: EvacuationKind;
  /** AutoplaceTarget was set to false by the evacuation (restore removes it again). */
  setAutoplaceTarget: boolean;
  startedAt: number;
  finishedAt: number | null;
}

export interface MoveRecord {
  node: string;
  resource: string;
  /** The replacement replica's node; null when the replica is dropped without one. */
  target: string | null;
  state: 'placed' | 'done';
  updatedAt: number;
}

const toEvacuation = (r: Row): EvacuationRecord => ({
  node: String(r.node),
  kind: String(r.kind) as EvacuationKind,
  setAutoplaceTarget: Number(r.set_autoplace_target) === 1,
  startedAt: Number(r.started_at),
  finishedAt: r.finished_at === null || r.finished_at === undefined ? null : Number(r.finished_at),
});

const toMove = (r: Row): MoveRecord => ({
  node: String(r.node),
  resource: String(r.resource),
  target: r.target === null || r.target === undefined ? null : String(r.target),
  state: String(r.state) as MoveRecord['state'],
  updatedAt: Number(r.updated_at),
});

export class EvacuationStore {
  constructor(private readonly db: Db) {}

  // ---- node flags and properties ------------------------------------------------------------

  /** Adds and removes flags of a node in one transaction; false when the node does not exist. */
  async changeNodeFlags(node: string, add: NodeFlag[], remove: NodeFlag[]): Promise<boolean> {
    return this.db.tx(async (tx) => {
      const r = await tx.get<{ flags: string }>(`SELECT flags FROM nodes WHERE name = ?`, [node]);
      if (!r) return false;
      const flags = new Set(JSON.parse(String(r.flags)) as NodeFlag[]);
      for (const f of remove) flags.delete(f);
      for (const f of add) flags.add(f);
      await tx.run(`UPDATE nodes SET flags = ? WHERE name = ?`, [JSON.stringify([...flags].sort()), node]);
      return true;
    });
  }

  /** Sets (value string) or removes (value null) node properties; false when the node does not exist. */
  async setNodeProps(node: string, changes: Record<string, string | null>): Promise<boolean> {
    return this.db.tx(async (tx) => {
      const r = await tx.get<{ props: string }>(`SELECT props FROM nodes WHERE name = ?`, [node]);
      if (!r) return false;
      const props = JSON.parse(String(r.props)) as Record<string, string>;
      for (const [k, v] of Object.entries(changes)) {
        if (v === null) delete props[k];
        else props[k] = v;
      }
      await tx.run(`UPDATE nodes SET props = ? WHERE name = ?`, [JSON.stringify(props), node]);
      return true;
    });
  }

  // ---- controller properties ----------------------------------------------------------------

  async controllerProps(): Promise<Record<string, string>> {
    const rows = await this.db.all<{ key: string; value: string }>(`SELECT key, value FROM controller_props ORDER BY key`);
    return Object.fromEntries(rows.map((r) => [String(r.key), String(r.value)]));
  }

  async setControllerProps(changes: Record<string, string | null>): Promise<void> {
    await this.db.tx(async (tx) => {
      for (const [k, v] of Object.entries(changes)) {
        await tx.run(`DELETE FROM controller_props WHERE key = ?`, [k]);
        if (v !== null) await tx.run(`INSERT INTO controller_props (key, value) VALUES (?, ?)`, [k, v]);
      }
    });
  }

  // ---- evacuations --------------------------------------------------------------------------

  async get(node: string): Promise<EvacuationRecord | undefined> {
    const r = await this.db.get(`SELECT * FROM evacuations WHERE node = ?`, [node]);
    return r ? toEvacuation(r) : undefined;
  }

  async list(): Promise<EvacuationRecord[]> {
    return (await this.db.all(`SELECT * FROM evacuations ORDER BY node`)).map(toEvacuation);
  }

  /** Starts (or keeps) the evacuation row of a node. */
  async begin(node: string, kind: EvacuationKind, setAutoplaceTarget: boolean, now: number): Promise<EvacuationRecord> {
    return this.db.tx(async (tx) => {
      const cur = await tx.get(`SELECT * FROM evacuations WHERE node = ?`, [node]);
      if (cur && cur.finished_at === null) return toEvacuation(cur);
      await tx.run(`DELETE FROM evacuation_moves WHERE node = ?`, [node]);
      await tx.run(`DELETE FROM evacuations WHERE node = ?`, [node]);
      await tx.run(`INSERT INTO evacuations (node, kind, set_autoplace_target, started_at) VALUES (?, ?, ?, ?)`, [node, kind, setAutoplaceTarget ? 1 : 0, now]);
      return toEvacuation((await tx.get(`SELECT * FROM evacuations WHERE node = ?`, [node]))!);
    });
  }

  async finish(node: string, now: number): Promise<void> {
    await this.db.run(`UPDATE evacuations SET finished_at = ? WHERE node = ? AND finished_at IS NULL`, [now, node]);
  }

  async forget(node: string): Promise<EvacuationRecord | undefined> {
    return this.db.tx(async (tx) => {
      const cur = await tx.get(`SELECT * FROM evacuations WHERE node = ?`, [node]);
      await tx.run(`DELETE FROM evacuation_moves WHERE node = ?`, [node]);
      await tx.run(`DELETE FROM evacuations WHERE node = ?`, [node]);
      return cur ? toEvacuation(cur) : undefined;
    });
  }

  // ---- moves --------------------------------------------------------------------------------

  async getMove(node: string, resource: string): Promise<MoveRecord | undefined> {
    const r = await this.db.get(`SELECT * FROM evacuation_moves WHERE node = ? AND resource = ?`, [node, resource]);
    return r ? toMove(r) : undefined;
  }

  /** The replacements recorded for the replicas of `node`. */
  async listMoves(node: string): Promise<MoveRecord[]> {
    return (await this.db.all(`SELECT * FROM evacuation_moves WHERE node = ? ORDER BY resource`, [node])).map(toMove);
  }

  async putMove(m: Omit<MoveRecord, 'updatedAt'>, now: number): Promise<void> {
    await this.db.tx(async (tx) => {
      await tx.run(`DELETE FROM evacuation_moves WHERE node = ? AND resource = ?`, [m.node, m.resource]);
      await tx.run(`INSERT INTO evacuation_moves (node, resource, target, state, updated_at) VALUES (?, ?, ?, ?, ?)`, [m.node, m.resource, m.target, m.state, now]);
    });
  }

  // ---- replicas -----------------------------------------------------------------------------

  /** toggle-disk: a replica's storage pool and flags. */
  async setReplicaDisk(resource: string, node: string, storagePool: string, flags: string[]): Promise<void> {
    await this.db.run(`UPDATE resources SET storage_pool = ?, flags = ? WHERE resource = ? AND node = ?`, [storagePool, JSON.stringify(flags), resource, node]);
  }
}
