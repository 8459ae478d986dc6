// Resource definitions, volume definitions, resources (one per node) and their volumes in the
// catalog; plus the per-resource lock that serialises mutations of one resource definition.
import type { Db, Row } from './db.js';

export const DEFAULT_RESOURCE_GROUP = 'DfltRscGrp';
/** LINSTOR's default ranges: DRBD TCP ports from 7000, minors from 1000. */
export const FIRST_DRBD_PORT = 7000;
export const LAST_DRBD_PORT = 7999;
export const FIRST_DRBD_MINOR = 1000;
export const LAST_DRBD_MINOR = 49999;
/** DRBD 9 node ids of one resource: 0..31. */
export const MAX_DRBD_NODE_ID = 31;

export type ResourceFlag = 'DISKLESS' | 'DELETE';

export interface ResourceDefinitionRecord {
  name: string;
  resourceGroup: string;
  port: number;
  secret: string;
  flags: string[];
  props: Record<string, string>;
  createdAt: number;
}

export interface VolumeDefinitionRecord {
  resource: string;
  volumeNumber: number;
  minor: number;
  sizeBytes: number;
  /** Its own properties (FileSystem/*, Aux/*), set at create or by `vd set-property`. */
  props: Record<string, string>;
}

export interface VolumeRecord {
  volumeNumber: number;
  backingDisk: string | null;
  allocatedBytes: number | null;
  diskState: string;
  inUse: boolean;
  updatedAt: number | null;
}

export interface ResourceRecord {
  resource: string;
  node: string;
  nodeId: number;
  storagePool: string;
  flags: ResourceFlag[];
  createdAt: number;
  volumes: VolumeRecord[];
}

const json = <T>(v: unknown): T => JSON.parse(String(v)) as T;

function toRd(r: Row): ResourceDefinitionRecord {
  return {
    name: String(r.name),
    resourceGroup: String(r.resource_group),
    port: Number(r.port),
    secret: String(r.secret),
    flags: json<string[]>(r.flags),
    props: json<Record<string, string>>(r.props),
    createdAt: Number(r.created_at),
  };
}

function toVd(r: Row): VolumeDefinitionRecord {
  return { resource: String(r.resource), volumeNumber: Number(r.volume_number), minor: Number(r.minor), sizeBytes: Number(r.size_bytes), props: json<Record<string, string>>(r.props ?? '{}') };
}

function toVolume(r: Row): VolumeRecord {
  return {
    volumeNumber: Number(r.volume_number),
    backingDisk: r.backing_disk === null || r.backing_disk === undefined ? null : String(r.backing_disk),
    allocatedBytes: r.allocated_bytes === null || r.allocated_bytes === undefined ? null : Number(r.allocated_bytes),
    diskState: String(r.disk_state),
    inUse: Number(r.in_use) === 1,
    updatedAt: r.updated_at === null || r.updated_at === undefined ? null : Number(r.updated_at),
  };
}

/** The smallest free number in [first, last], or null. `used` need not be sorted. */
export function firstFree(used: number[], first: number, last: number): number | null {
  const taken = new Set(used);
  for (let n = first; n <= last; n++) if (!taken.has(n)) return n;
  return null;
}

export type CreateOutcome<T> = { created: true; record: T } | { created: false; reason: 'exists' | 'exhausted' | 'missing'; record?: T };

export class ResourceStore {
  constructor(private readonly db: Db) {}

  // ---- resource definitions -----------------------------------------------------------------

  async listDefinitions(): Promise<ResourceDefinitionRecord[]> {
    return (await this.db.all(`SELECT * FROM resource_definitions ORDER BY name`)).map(toRd);
  }

  async getDefinition(name: string): Promise<ResourceDefinitionRecord | undefined> {
    const r = await this.db.get(`SELECT * FROM resource_definitions WHERE name = ?`, [name]);
    return r ? toRd(r) : undefined;
  }

  async resourceGroupExists(name: string): Promise<boolean> {
    return Boolean(await this.db.get(`SELECT name FROM resource_groups WHERE name = ?`, [name]));
  }

  /** Inserts a resource definition with the given port, or the first free one from 7000. */
  async createDefinition(d: { name: string; resourceGroup: string; port?: number; secret: string; props?: Record<string, string>; now: number }): Promise<CreateOutcome<ResourceDefinitionRecord>> {
    return this.db.tx(async (tx) => {
      const existing = await tx.get(`SELECT * FROM resource_definitions WHERE name = ?`, [d.name]);
      if (existing) return { created: false, reason: 'exists', record: toRd(existing) };
      if (!(await tx.get(`SELECT name FROM resource_groups WHERE name = ?`, [d.resourceGroup]))) return { created: false, reason: 'missing' };
      const used = (await tx.all<{ port: number }>(`SELECT port FROM resource_definitions`)).map((r) => Number(r.port));
      const port = d.port ?? firstFree(used, FIRST_DRBD_PORT, LAST_DRBD_PORT);
      if (port === null || used.includes(port)) return { created: false, reason: 'exhausted' };
      await tx.run(
        `INSERT INTO resource_definitions (name, resource_group, port, secret, props, created_at) VALUES (?, ?, ?, ?, ?, ?)`,
        [d.name, d.resourceGroup, port, d.secret, JSON.stringify(d.props ?? {}), d.now],
      );
      return { created: true, record: toRd((await tx.get(`SELECT * FROM resource_definitions WHERE name = ?`, [d.name]))!) };
    });
  }

  /** Moves a definition to another resource group: 'missing' when either is gone, unchanged when it is there already. */
  async setDefinitionGroup(name: string, group: string): Promise<{ ok: true; changed: boolean } | { ok: false; missing: 'resource definition' | 'resource group' }> {
    return this.db.tx(async (tx) => {
      const rd = await tx.get(`SELECT * FROM resource_definitions WHERE name = ?`, [name]);
      if (!rd) return { ok: false, missing: 'resource definition' };
      if (!(await tx.get(`SELECT name FROM resource_groups WHERE name = ?`, [group]))) return { ok: false, missing: 'resource group' };
      if (toRd(rd).resourceGroup === group) return { ok: true, changed: false };
      await tx.run(`UPDATE resource_definitions SET resource_group = ? WHERE name = ?`, [group, name]);
      return { ok: true, changed: true };
    });
  }

  /** Deletes the definition with its volume definitions and resources (cascade). */
  async deleteDefinition(name: string): Promise<boolean> {
    return this.db.tx(async (tx) => {
      await tx.run(`DELETE FROM volumes WHERE resource = ?`, [name]);
      await tx.run(`DELETE FROM resources WHERE resource = ?`, [name]);
      await tx.run(`DELETE FROM volume_definitions WHERE resource = ?`, [name]);
      return (await tx.run(`DELETE FROM resource_definitions WHERE name = ?`, [name])) > 0;
    });
  }

  // ---- volume definitions -------------------------------------------------------------------

  async listVolumeDefinitions(resource?: string): Promise<VolumeDefinitionRecord[]> {
    const rows = resource
      ? await this.db.all(`SELECT * FROM volume_definitions WHERE resource = ? ORDER BY volume_number`, [resource])
      : await this.db.all(`SELECT * FROM volume_definitions ORDER BY resource, volume_number`);
    return rows.map(toVd);
  }

  /** Adds a volume definition: the next volume number, the first free minor from 1000 (unless given). */
  async createVolumeDefinition(v: { resource: string; sizeBytes: number; volumeNumber?: number; minor?: number; props?: Record<string, string> }): Promise<CreateOutcome<VolumeDefinitionRecord>> {
    return this.db.tx(async (tx) => {
      if (!(await tx.get(`SELECT name FROM resource_definitions WHERE name = ?`, [v.resource]))) return { created: false, reason: 'missing' };
      const mine = (await tx.all(`SELECT * FROM volume_definitions WHERE resource = ? ORDER BY volume_number`, [v.resource])).map(toVd);
      const volumeNumber = v.volumeNumber ?? (mine.length ? Math.max(...mine.map((x) => x.volumeNumber)) + 1 : 0);
      const same = mine.find((x) => x.volumeNumber === volumeNumber);
      if (same) return { created: false, reason: 'exists', record: same };
      const used = (await tx.all<{ minor: number }>(`SELECT minor FROM volume_definitions`)).map((r) => Number(r.minor));
      const minor = v.minor ?? firstFree(used, FIRST_DRBD_MINOR, LAST_DRBD_MINOR);
      if (minor === null || used.includes(minor)) return { created: false, reason: 'exhausted' };
      const props = v.props ?? {};
      await tx.run(`INSERT INTO volume_definitions (resource, volume_number, minor, size_bytes, props) VALUES (?, ?, ?, ?, ?)`, [v.resource, volumeNumber, minor, v.sizeBytes, JSON.stringify(props)]);
      return { created: true, record: { resource: v.resource, volumeNumber, minor, sizeBytes: v.sizeBytes, props } };
    });
  }

  /** Deletes a volume definition no resource is deployed with; 'in-use' while resources of the definition exist. */
  async deleteVolumeDefinition(resource: string, volumeNumber: number): Promise<'deleted' | 'missing' | 'in-use'> {
    return this.db.tx(async (tx) => {
      if (await tx.get(`SELECT node FROM resources WHERE resource = ?`, [resource])) return 'in-use';
      return (await tx.run(`DELETE FROM volume_definitions WHERE resource = ? AND volume_number = ?`, [resource, volumeNumber])) > 0 ? 'deleted' : 'missing';
    });
  }

  // ---- resources ----------------------------------------------------------------------------

  private async volumesOf(db: Db, resource: string, node: string): Promise<VolumeRecord[]> {
    return (await db.all(`SELECT * FROM volumes WHERE resource = ? AND node = ? ORDER BY volume_number`, [resource, node])).map(toVolume);
  }

  private async toResource(db: Db, r: Row): Promise<ResourceRecord> {
    return {
      resource: String(r.resource),
      node: String(r.node),
      nodeId: Number(r.node_id),
      storagePool: String(r.storage_pool),
      flags: json<ResourceFlag[]>(r.flags),
      createdAt: Number(r.created_at),
      volumes: await this.volumesOf(db, String(r.resource), String(r.node)),
    };
  }

  async list(filter: { resource?: string; node?: string } = {}): Promise<ResourceRecord[]> {
    const where: string[] = [];
    const params: string[] = [];
    if (filter.resource) {
      where.push('resource = ?');
      params.push(filter.resource);
    }
    if (filter.node) {
      where.push('node = ?');
      params.push(filter.node);
    }
    const rows = await this.db.all(`SELECT * FROM resources${where.length ? ` WHERE ${where.join(' AND ')}` : ''} ORDER BY resource, node`, params);
    const out: ResourceRecord[] = [];
    for (const r of rows) out.push(await this.toResource(this.db, r));
    return out;
  }

  async get(resource: string, node: string): Promise<ResourceRecord | undefined> {
    const r = await this.db.get(`SELECT * FROM resources WHERE resource = ? AND node = ?`, [resource, node]);
    return r ? this.toResource(this.db, r) : undefined;
  }

  /**
   * Records resources on nodes, each with the lowest DRBD node id free in the resource.
   * Idempotent: a node that has the resource already keeps its row and node id.
   */
  async createMany(resource: string, placements: { node: string; storagePool: string; flags: ResourceFlag[] }[], now: number): Promise<ResourceRecord[]> {
    return this.db.tx(async (tx) => {
      for (const p of placements) {
        if (await tx.get(`SELECT node FROM resources WHERE resource = ? AND node = ?`, [resource, p.node])) continue;
        const used = (await tx.all<{ node_id: number }>(`SELECT node_id FROM resources WHERE resource = ?`, [resource])).map((r) => Number(r.node_id));
        const nodeId = firstFree(used, 0, MAX_DRBD_NODE_ID);
        if (nodeId === null) throw new Error(`resource '${resource}' has no free DRBD node id (at most ${MAX_DRBD_NODE_ID + 1} nodes)`);
        await tx.run(
          `INSERT INTO resources (resource, node, node_id, storage_pool, flags, created_at) VALUES (?, ?, ?, ?, ?, ?)`,
          [resource, p.node, nodeId, p.storagePool, JSON.stringify(p.flags), now],
        );
      }
      const rows = await tx.all(`SELECT * FROM resources WHERE resource = ? ORDER BY node`, [resource]);
      const out: ResourceRecord[] = [];
      for (const r of rows) out.push(await this.toResource(tx, r));
      return out;
    });
  }

  async setFlags(resource: string, node: string, flags: ResourceFlag[]): Promise<void> {
    await this.db.run(`UPDATE resources SET flags = ? WHERE resource = ? AND node = ?`, [JSON.stringify(flags), resource, node]);
  }

  async delete(resource: string, node: string): Promise<boolean> {
    return this.db.tx(async (tx) => {
      await tx.run(`DELETE FROM volumes WHERE resource = ? AND node = ?`, [resource, node]);
      return (await tx.run(`DELETE FROM resources WHERE resource = ? AND node = ?`, [resource, node])) > 0;
    });
  }

  /** What a node last reported about one volume of a resource (upsert). */
  async recordVolume(resource: string, node: string, v: Omit<VolumeRecord, 'updatedAt'>, now: number): Promise<void> {
    await this.db.tx(async (tx) => {
      if (!(await tx.get(`SELECT node FROM resources WHERE resource = ? AND node = ?`, [resource, node]))) return;
      const params = [v.backingDisk, v.allocatedBytes, v.diskState, v.inUse ? 1 : 0, now];
      const changed = await tx.run(
        `UPDATE volumes SET backing_disk = ?, allocated_bytes = ?, disk_state = ?, in_use = ?, updated_at = ? WHERE resource = ? AND node = ? AND volume_number = ?`,
        [...params, resource, node, v.volumeNumber],
      );
      if (!changed) {
        await tx.run(
          `INSERT INTO volumes (backing_disk, allocated_bytes, disk_state, in_use, updated_at, resource, node, volume_number) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
          [...params, resource, node, v.volumeNumber],
        );
      }
    });
  }

  // ---- per-resource lock ---------------------------------------------------------------------

  /** Takes the lock of a resource definition for `holder` (a workflow id); true when held by it. */
  async lock(resource: string, holder: string, now: number): Promise<{ held: boolean; holder: string }> {
    return this.db.tx(async (tx) => {
      const cur = await tx.get<{ holder: string }>(`SELECT holder FROM resource_locks WHERE resource = ?`, [resource]);
      if (cur) return { held: cur.holder === holder, holder: String(cur.holder) };
      await tx.run(`INSERT INTO resource_locks (resource, holder, acquired_at) VALUES (?, ?, ?)`, [resource, holder, now]);
      return { held: true, holder };
    });
  }

  /** Every lock held now: the resources a running workflow is changing. */
  async listLocks(): Promise<{ resource: string; holder: string; acquiredAt: number }[]> {
    return (await this.db.all(`SELECT * FROM resource_locks ORDER BY resource`)).map((r) => ({ resource: String(r.resource), holder: String(r.holder), acquiredAt: Number(r.acquired_at) }));
  }

  async unlock(resource: string, holder: string): Promise<void> {
    await this.db.run(`DELETE FROM resource_locks WHERE resource = ? AND holder = ?`, [resource, holder]);
  }
}
