// Nodes and their storage-pool inventory in the catalog.
import type { NodeFlag, NodeRecord } from '../core/node-state.js';
import type { HostUsage } from '../core/host-usage.js';
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

  /**
   * The LVM usage an agent watched on its host: each thin pool's free and total bytes, each
   * replica volume's allocation (matched by its backing LV), stamped with the time it was taken.
   * 'stale-agent' when a newer agent of the node has reported already (nothing changes then).
   */
  async recordUsage(name: string, u: HostUsage): Promise<{ pools: number; volumes: number } | 'no-node' | 'stale-agent'> {
    return this.db.tx(async (tx) => {
      const n = await tx.get<{ agent_started_at: unknown }>(`SELECT agent_started_at FROM nodes WHERE name = ?`, [name]);
      if (!n) return 'no-node';
      if (n.agent_started_at !== null && n.agent_started_at !== undefined && Number(n.agent_started_at) > u.agentStartedAt) return 'stale-agent';
      let pools = 0;
      for (const p of u.thinPools) {
        pools += await tx.run(
          `UPDATE storage_pools SET free_bytes = ?, total_bytes = ?, updated_at = ? WHERE node = ? AND provider = 'LVM_THIN' AND pool_name = ?`,
          [p.freeBytes, p.totalBytes, u.takenAt, name, `${p.vg}/${p.pool}`],
        );
      }
      const allocated = new Map(u.volumes.map((v) => [`/dev/${v.vg}/${v.lv}`, v.allocatedBytes]));
      let volumes = 0;
      const rows = await tx.all<{ resource: string; volume_number: unknown; backing_disk: string | null }>(
        `SELECT resource, volume_number, backing_disk FROM volumes WHERE node = ? AND backing_disk IS NOT NULL`, [name]);
      for (const r of rows) {
        const a = allocated.get(String(r.backing_disk));
        if (a === undefined) continue;
        volumes += await tx.run(`UPDATE volumes SET allocated_bytes = ?, updated_at = ? WHERE resource = ? AND node = ? AND volume_number = ?`,
          [a, u.takenAt, r.resource, name, Number(r.volume_number)]);
      }
      return { pools, volumes };
    });
  }

  async inventory(name: string): Promise<HostInventory | undefined> {
    const r = await this.db.get<{ inventory: string | null }>(`SELECT inventory FROM nodes WHERE name = ?`, [name]);
    return r?.inventory ? (JSON.parse(r.inventory) as HostInventory) : undefined;
  }
}
