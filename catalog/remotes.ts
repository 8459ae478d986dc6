// Remotes (S3 targets of backups), the last backup of each resource to each remote (the base of
// the next incremental one), and backup shipping slots per node (MaxConcurrentBackupsPerNode).
// A remote's access key and secret key are stored sealed (AES-256-GCM, key from the master
// passphrase; see bucket/secret-box.ts): this store never sees them in clear.
import type { Db, Row, SqlValue } from './db.js';

export interface RemoteRecord {
  name: string;
  type: 'S3';
  endpoint: string;
  bucket: string;
  region: string;
  usePathStyle: boolean;
  /** sealed access key */
  accessKeySealed: string;
  /** sealed secret key */
  secretKeySealed: string;
  createdAt: number;
}

export interface LastBackupRecord {
  resource: string;
  remote: string;
  /** the snapshot the last committed backup was made from (kept on `node` as the next base) */
  snapshot: string;
  backupId: string;
  node: string;
  /** volume sizes (bytes) by volume number, when it was taken */
  volumeSizes: Record<string, number>;
  updatedAt: number;
}

/** The answer to a slot request: taken, or the place in the node's queue (1 = next). */
export interface SlotAnswer {
  acquired: boolean;
  holders: string[];
  position: number;
  /** backups queued for the node's slots (not counting the asker once it has a slot) */
  waiting: number;
}

export interface BackupSlot {
  node: string;
  holder: string;
  acquiredAt: number;
}

function toRemote(r: Row): RemoteRecord {
  return {
    name: String(r.name),
    type: 'S3',
    endpoint: String(r.endpoint),
    bucket: String(r.bucket),
    region: String(r.region),
    usePathStyle: Number(r.use_path_style) === 1,
    accessKeySealed: String(r.access_key_sealed),
    secretKeySealed: String(r.secret_key_sealed),
    createdAt: Number(r.created_at),
  };
}

/** What `remote modify` may change (keys already sealed). */
export type RemoteChanges = Partial<Pick<RemoteRecord, 'endpoint' | 'bucket' | 'region' | 'usePathStyle' | 'accessKeySealed' | 'secretKeySealed'>>;

export class RemoteStore {
  constructor(private readonly db: Db) {}

  async list(): Promise<RemoteRecord[]> {
    return (await this.db.all(`SELECT * FROM remotes ORDER BY name`)).map(toRemote);
  }

  async get(name: string): Promise<RemoteRecord | undefined> {
    const r = await this.db.get(`SELECT * FROM remotes WHERE name = ?`, [name]);
    return r ? toRemote(r) : undefined;
  }

  /** false when a remote of that name exists already. */
  async create(r: Omit<RemoteRecord, 'type'>): Promise<boolean> {
    return this.db.tx(async (tx) => {
      if (await tx.get(`SELECT name FROM remotes WHERE name = ?`, [r.name])) return false;
      await tx.run(
        `INSERT INTO remotes (name, type, endpoint, bucket, region, use_path_style, access_key_sealed, secret_key_sealed, created_at) VALUES (?, 'S3', ?, ?, ?, ?, ?, ?, ?)`,
        [r.name, r.endpoint, r.bucket, r.region, r.usePathStyle ? 1 : 0, r.accessKeySealed, r.secretKeySealed, r.createdAt],
      );
      return true;
    });
  }

  /** Changes the given fields; false when there is no such remote. */
  async update(name: string, c: RemoteChanges): Promise<boolean> {
    const cols: [string, SqlValue][] = [];
    if (c.endpoint !== undefined) cols.push(['endpoint', c.endpoint]);
    if (c.bucket !== undefined) cols.push(['bucket', c.bucket]);
    if (c.region !== undefined) cols.push(['region', c.region]);
    if (c.usePathStyle !== undefined) cols.push(['use_path_style', c.usePathStyle ? 1 : 0]);
    if (c.accessKeySealed !== undefined) cols.push(['access_key_sealed', c.accessKeySealed]);
    if (c.secretKeySealed !== undefined) cols.push(['secret_key_sealed', c.secretKeySealed]);
    if (cols.length === 0) return (await this.get(name)) !== undefined;
    return (await this.db.run(`UPDATE remotes SET ${cols.map(([k]) => `${k} = ?`).join(', ')} WHERE name = ?`, [...cols.map(([, v]) => v), name])) > 0;
  }

  async delete(name: string): Promise<boolean> {
    return this.db.tx(async (tx) => {
      await tx.run(`DELETE FROM backup_last WHERE remote = ?`, [name]);
      return (await tx.run(`DELETE FROM remotes WHERE name = ?`, [name])) > 0;
    });
  }

  async lastBackup(resource: string, remote: string): Promise<LastBackupRecord | undefined> {
    const r = await this.db.get(`SELECT * FROM backup_last WHERE resource = ? AND remote = ?`, [resource, remote]);
    if (!r) return undefined;
    return {
      resource: String(r.resource), remote: String(r.remote), snapshot: String(r.snapshot), backupId: String(r.backup_id),
      node: String(r.node), volumeSizes: JSON.parse(String(r.volume_sizes)) as Record<string, number>, updatedAt: Number(r.updated_at),
    };
  }

  /** Every resource's last backup to every remote (their snapshots are the next incremental bases). */
  async listLastBackups(): Promise<{ resource: string; remote: string; snapshot: string; node: string }[]> {
    return (await this.db.all(`SELECT resource, remote, snapshot, node FROM backup_last ORDER BY resource, remote`))
      .map((r) => ({ resource: String(r.resource), remote: String(r.remote), snapshot: String(r.snapshot), node: String(r.node) }));
  }

  async recordLastBackup(b: LastBackupRecord): Promise<void> {
    await this.db.tx(async (tx) => {
      await tx.run(`DELETE FROM backup_last WHERE resource = ? AND remote = ?`, [b.resource, b.remote]);
      await tx.run(`INSERT INTO backup_last (resource, remote, snapshot, backup_id, node, volume_sizes, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
        [b.resource, b.remote, b.snapshot, b.backupId, b.node, JSON.stringify(b.volumeSizes), b.updatedAt]);
    });
  }

  async forgetLastBackup(resource: string, remote?: string): Promise<void> {
    if (remote === undefined) await this.db.run(`DELETE FROM backup_last WHERE resource = ?`, [resource]);
    else await this.db.run(`DELETE FROM backup_last WHERE resource = ? AND remote = ?`, [resource, remote]);
  }

  /**
   * Takes one of `limit` shipping slots of a node for `holder` (idempotent for the same holder),
   * first come, first served: a free slot goes to a newcomer only when nobody queued before it is
   * waiting. Not acquired: `holder` joins (or keeps its place in) the node's queue; the answer names
   * the slots' holders and its place in the queue. limit < 0: unlimited.
   */
  async acquireSlot(node: string, holder: string, limit: number, now: number): Promise<SlotAnswer> {
    return this.db.tx(async (tx) => {
      const holders = (await tx.all<{ holder: string }>(`SELECT holder FROM backup_slots WHERE node = ? ORDER BY acquired_at, holder`, [node])).map((r) => String(r.holder));
      const waiters = (await tx.all<{ holder: string }>(`SELECT holder FROM backup_slot_waiters WHERE node = ? ORDER BY queued_at, holder`, [node])).map((r) => String(r.holder));
      const queued = waiters.indexOf(holder);
      if (holders.includes(holder)) {
        if (queued >= 0) await tx.run(`DELETE FROM backup_slot_waiters WHERE holder = ?`, [holder]);
        return { acquired: true, holders, position: 0, waiting: waiters.length - (queued >= 0 ? 1 : 0) };
      }
      const ahead = queued >= 0 ? queued : waiters.length;
      const free = limit < 0 ? Infinity : limit - holders.length;
      if (ahead < free) {
        await tx.run(`INSERT INTO backup_slots (node, holder, acquired_at) VALUES (?, ?, ?)`, [node, holder, now]);
        if (queued >= 0) await tx.run(`DELETE FROM backup_slot_waiters WHERE holder = ?`, [holder]);
        return { acquired: true, holders: [...holders, holder], position: 0, waiting: waiters.length - (queued >= 0 ? 1 : 0) };
      }
      if (queued < 0) await tx.run(`INSERT INTO backup_slot_waiters (holder, node, queued_at) VALUES (?, ?, ?)`, [holder, node, now]);
      return { acquired: false, holders, position: ahead + 1, waiting: queued >= 0 ? waiters.length : waiters.length + 1 };
    });
  }

  /** The node whose slot `holder` has or waits for. */
  async slotNodeOf(holder: string): Promise<string | undefined> {
    const r = await this.db.get<{ node: string }>(
      `SELECT node FROM backup_slots WHERE holder = ? UNION ALL SELECT node FROM backup_slot_waiters WHERE holder = ?`, [holder, holder]);
    return r ? String(r.node) : undefined;
  }

  /**
   * Gives up `holder`'s slot or its place in the queue, and hands the node's free slots (of
   * `limit`) to the first waiters, who are returned: the caller tells them (they wait for a signal).
   */
  async releaseSlot(holder: string, limit: number, now: number): Promise<{ granted: string[] }> {
    return this.db.tx(async (tx) => {
      const row = await tx.get<{ node: string }>(
        `SELECT node FROM backup_slots WHERE holder = ? UNION ALL SELECT node FROM backup_slot_waiters WHERE holder = ?`, [holder, holder]);
      await tx.run(`DELETE FROM backup_slots WHERE holder = ?`, [holder]);
      await tx.run(`DELETE FROM backup_slot_waiters WHERE holder = ?`, [holder]);
      if (!row) return { granted: [] };
      const node = String(row.node);
      const taken = Number((await tx.get<{ n: number }>(`SELECT COUNT(*) AS n FROM backup_slots WHERE node = ?`, [node]))?.n ?? 0);
      const free = limit < 0 ? Infinity : limit - taken;
      if (free <= 0) return { granted: [] };
      const next = (await tx.all<{ holder: string }>(`SELECT holder FROM backup_slot_waiters WHERE node = ? ORDER BY queued_at, holder`, [node]))
        .map((r) => String(r.holder)).slice(0, free === Infinity ? undefined : free);
      for (const h of next) {
        await tx.run(`INSERT INTO backup_slots (node, holder, acquired_at) VALUES (?, ?, ?)`, [node, h, now]);
        await tx.run(`DELETE FROM backup_slot_waiters WHERE holder = ?`, [h]);
      }
      return { granted: next };
    });
  }

  /** How many backups ship from a node now and how many are queued for its slots. */
  async slotUse(node: string): Promise<{ shipping: number; queued: number }> {
    const r = await this.db.get<{ shipping: number; queued: number }>(
      `SELECT (SELECT COUNT(*) FROM backup_slots WHERE node = ?) AS shipping, (SELECT COUNT(*) FROM backup_slot_waiters WHERE node = ?) AS queued`, [node, node]);
    return { shipping: Number(r?.shipping ?? 0), queued: Number(r?.queued ?? 0) };
  }

  async slots(node?: string): Promise<BackupSlot[]> {
    const rows = node === undefined ? await this.db.all(`SELECT * FROM backup_slots ORDER BY acquired_at`) : await this.db.all(`SELECT * FROM backup_slots WHERE node = ? ORDER BY acquired_at`, [node]);
    return rows.map((r) => ({ node: String(r.node), holder: String(r.holder), acquiredAt: Number(r.acquired_at) }));
  }

  async controllerProp(key: string): Promise<string | undefined> {
    const r = await this.db.get<{ value: string }>(`SELECT value FROM controller_props WHERE key = ?`, [key]);
    return r ? String(r.value) : undefined;
  }

  /** Sets a controller property only if it is not set yet; returns the value in place. */
  async setControllerPropOnce(key: string, value: string): Promise<string> {
    return this.db.tx(async (tx) => {
      const cur = await tx.get<{ value: string }>(`SELECT value FROM controller_props WHERE key = ?`, [key]);
      if (cur) return String(cur.value);
      await tx.run(`INSERT INTO controller_props (key, value) VALUES (?, ?)`, [key, value]);
      return value;
    });
  }
}
