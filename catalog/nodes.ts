// Nodes and their storage-pool inventory in the catalog.
import type { NodeFlag, NodeRecord } from '../core/node-state.js';
import type { Db, Row } from './db.js';

export interface HostThinPool {
  vg: string;
  pool: string;
  totalBytes: number;
  freeBytes: number;
}

export interface HostInventory {
  volumeGroups: { name: string; sizeBytes: number; freeBytes: number }[];
  thinPools: HostThinPool[];
  takenAt: number;
}

function toNode(r: Row): NodeRecord {
  const num = (v: unknown) => (v === null || v === undefined ? null : Number(v));
  return {
    name: String(r.name),
    nodeType: 'SATELLITE',
    address: String(r.address),
    port: Number(r.port),
    flags: JSON.parse(String(r.flags)) as NodeFlag[],
    props: JSON.parse(String(r.props)) as Record<string, string>,
    createdAt: Number(r.created_at),
    registeredAt: num(r.registered_at),
    agentStartedAt: num(r.agent_started_at),
    lastSeenAt: num(r.last_seen_at),
  };
}

export class NodeStore {
  constructor(private readonly db: Db) {}

  async list(): Promise<NodeRecord[]> {
    return (await this.db.all(`SELECT * FROM nodes ORDER BY name`)).map(toNode);
  }

  async get(name: string): Promise<NodeRecord | undefined> {
    const r = await this.db.get(`SELECT * FROM nodes WHERE name = ?`, [name]);
    return r ? toNode(r) : undefined;
  }

  /** Inserts the node; returns false when a node of that name exists already. */
  async create(n: { name: string; address: string; port: number; now: number }): Promise<boolean> {
    return this.db.tx(async (tx) => {
      if (await tx.get(`SELECT name FROM nodes WHERE name = ?`, [n.name])) return false;
      await tx.run(`INSERT INTO nodes (name, node_type, address, port, created_at) VALUES (?, 'SATELLITE', ?, ?, ?)`, [n.name, n.address, n.port, n.now]);
      return true;
    });
  }

  async delete(name: string): Promise<boolean> {
    return (await this.db.run(`DELETE FROM nodes WHERE name = ?`, [name])) > 0;
  }

  /** The agent's periodic report. Returns the node, or undefined when it does not exist. */
  async heartbeat(name: string, agentStartedAt: number, now: number): Promise<NodeRecord | undefined> {
    const changed = await this.db.run(`UPDATE nodes SET last_seen_at = ?, agent_started_at = ? WHERE name = ?`, [now, agentStartedAt, name]);
    return changed ? this.get(name) : undefined;
  }

  async recordInventory(name: string, inv: HostInventory, agentStartedAt: number): Promise<void> {
    await this.db.tx(async (tx) => {
      await tx.run(`UPDATE nodes SET inventory = ?, registered_at = ? WHERE name = ?`, [JSON.stringify(inv), Math.max(inv.takenAt, agentStartedAt), name]);
      for (const p of inv.thinPools) {
        await tx.run(
          `UPDATE storage_pools SET free_bytes = ?, total_bytes = ?, updated_at = ? WHERE node = ? AND provider = 'LVM_THIN' AND pool_name = ?`,
          [p.freeBytes, p.totalBytes, inv.takenAt, name, `${p.vg}/${p.pool}`],
        );
      }
    });
  }

  async inventory(name: string): Promise<HostInventory | undefined> {
    const r = await this.db.get<{ inventory: string | null }>(`SELECT inventory FROM nodes WHERE name = ?`, [name]);
    return r?.inventory ? (JSON.parse(r.inventory) as HostInventory) : undefined;
  }
}
