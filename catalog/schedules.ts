// Backup schedules (LINSTOR's `schedule create`), their enablement per remote at controller,
// resource-group or resource-definition level, the last scheduled run per (remote, schedule,
// resource), and which backups a schedule made (what its retention may delete).
import type { Db, Row } from './db.js';
import type { EnableLevel, EnablementRecord, OnFailure, ScheduleRecord } from '../core/schedules.js';

export interface ScheduleRunRecord {
  remote: string;
  schedule: string;
  resource: string;
  lastRunAt: number;
  /** 'ok', 'skipped: ...', 'failed: ...' */
  lastResult: string;
  lastKind: 'full' | 'incremental' | null;
  lastBackupId: string | null;
  /** when this schedule last made a full backup of the resource */
  lastFullAt: number | null;
}

export interface ScheduleBackupRecord {
  remote: string;
  schedule: string;
  resource: string;
  backupId: string;
  kind: 'full' | 'incremental';
  createdAt: number;
}

/** A local snapshot a scheduled backup kept (keep-local counts them). */
export interface ScheduleSnapshotRecord {
  remote: string;
  schedule: string;
  resource: string;
  snapshot: string;
  backupId: string;
  kind: 'full' | 'incremental';
  createdAt: number;
}

const numOrNull = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));

function toSchedule(r: Row): ScheduleRecord {
  return {
    name: String(r.name), fullCron: String(r.full_cron), incrCron: r.incr_cron === null ? null : String(r.incr_cron),
    keepLocal: numOrNull(r.keep_local), keepRemote: numOrNull(r.keep_remote), keepWithinMs: numOrNull(r.keep_within_ms),
    onFailure: String(r.on_failure) as OnFailure, maxRetries: Number(r.max_retries), createdAt: Number(r.created_at), updatedAt: Number(r.updated_at),
  };
}

function toRun(r: Row): ScheduleRunRecord {
  return {
    remote: String(r.remote), schedule: String(r.schedule), resource: String(r.resource), lastRunAt: Number(r.last_run_at), lastResult: String(r.last_result),
    lastKind: r.last_kind === null ? null : (String(r.last_kind) as 'full' | 'incremental'), lastBackupId: r.last_backup_id === null ? null : String(r.last_backup_id),
    lastFullAt: numOrNull(r.last_full_at),
  };
}

export class ScheduleStore {
  constructor(private readonly db: Db) {}

  async list(): Promise<ScheduleRecord[]> {
    return (await this.db.all(`SELECT * FROM backup_schedules ORDER BY name`)).map(toSchedule);
  }

  async get(name: string): Promise<ScheduleRecord | undefined> {
    const r = await this.db.get(`SELECT * FROM backup_schedules WHERE name = ?`, [name]);
    return r ? toSchedule(r) : undefined;
  }

  /** Inserts or replaces a schedule. */
  async put(s: ScheduleRecord): Promise<void> {
    await this.db.tx(async (tx) => {
      await tx.run(`DELETE FROM backup_schedules WHERE name = ?`, [s.name]);
      await tx.run(
        `INSERT INTO backup_schedules (name, full_cron, incr_cron, keep_local, keep_remote, keep_within_ms, on_failure, max_retries, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        [s.name, s.fullCron, s.incrCron, s.keepLocal, s.keepRemote, s.keepWithinMs, s.onFailure, s.maxRetries, s.createdAt, s.updatedAt],
      );
    });
  }

  /** Deletes a schedule with its enablement rows and run records; false when there was none. */
  async delete(name: string): Promise<boolean> {
    return this.db.tx(async (tx) => {
      await tx.run(`DELETE FROM backup_schedule_enablement WHERE schedule = ?`, [name]);
      await tx.run(`DELETE FROM backup_schedule_runs WHERE schedule = ?`, [name]);
      return (await tx.run(`DELETE FROM backup_schedules WHERE name = ?`, [name])) > 0;
    });
  }

  async enablement(filter: { remote?: string; schedule?: string } = {}): Promise<EnablementRecord[]> {
    const rows = await this.db.all(`SELECT * FROM backup_schedule_enablement ORDER BY remote, schedule, level, target`);
    return rows
      .map((r) => ({ remote: String(r.remote), schedule: String(r.schedule), level: String(r.level) as EnableLevel, target: String(r.target), enabled: Number(r.enabled) === 1 }))
      .filter((r) => (filter.remote === undefined || r.remote === filter.remote) && (filter.schedule === undefined || r.schedule === filter.schedule));
  }

  /** Sets (enabled true/false) or, with `enabled` null, removes the row of one level. */
  async setEnablement(e: { remote: string; schedule: string; level: EnableLevel; target: string; enabled: boolean | null; now: number }): Promise<void> {
    await this.db.tx(async (tx) => {
      await tx.run(`DELETE FROM backup_schedule_enablement WHERE remote = ? AND schedule = ? AND level = ? AND target = ?`, [e.remote, e.schedule, e.level, e.target]);
      if (e.enabled !== null) {
        await tx.run(`INSERT INTO backup_schedule_enablement (remote, schedule, level, target, enabled, updated_at) VALUES (?, ?, ?, ?, ?, ?)`,
          [e.remote, e.schedule, e.level, e.target, e.enabled ? 1 : 0, e.now]);
      }
    });
  }

  async runs(filter: { remote?: string; schedule?: string } = {}): Promise<ScheduleRunRecord[]> {
    return (await this.db.all(`SELECT * FROM backup_schedule_runs ORDER BY remote, schedule, resource`)).map(toRun)
      .filter((r) => (filter.remote === undefined || r.remote === filter.remote) && (filter.schedule === undefined || r.schedule === filter.schedule));
  }

  async recordRun(r: ScheduleRunRecord): Promise<void> {
    await this.db.tx(async (tx) => {
      await tx.run(`DELETE FROM backup_schedule_runs WHERE remote = ? AND schedule = ? AND resource = ?`, [r.remote, r.schedule, r.resource]);
      await tx.run(`INSERT INTO backup_schedule_runs (remote, schedule, resource, last_run_at, last_result, last_kind, last_backup_id, last_full_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
        [r.remote, r.schedule, r.resource, r.lastRunAt, r.lastResult, r.lastKind, r.lastBackupId, r.lastFullAt]);
    });
  }

  async recordBackup(b: ScheduleBackupRecord): Promise<void> {
    await this.db.tx(async (tx) => {
      await tx.run(`DELETE FROM backup_schedule_backups WHERE remote = ? AND backup_id = ?`, [b.remote, b.backupId]);
      await tx.run(`INSERT INTO backup_schedule_backups (remote, schedule, resource, backup_id, kind, created_at) VALUES (?, ?, ?, ?, ?, ?)`,
        [b.remote, b.schedule, b.resource, b.backupId, b.kind, b.createdAt]);
    });
  }

  async backups(remote: string, schedule: string): Promise<ScheduleBackupRecord[]> {
    const rows = await this.db.all(`SELECT * FROM backup_schedule_backups WHERE remote = ? AND schedule = ? ORDER BY created_at`, [remote, schedule]);
    return rows.map((r) => ({ remote: String(r.remote), schedule: String(r.schedule), resource: String(r.resource), backupId: String(r.backup_id), kind: String(r.kind) as 'full' | 'incremental', createdAt: Number(r.created_at) }));
  }

  async forgetBackups(remote: string, ids: readonly string[]): Promise<void> {
    for (const id of ids) await this.db.run(`DELETE FROM backup_schedule_backups WHERE remote = ? AND backup_id = ?`, [remote, id]);
  }

  async recordSnapshot(r: ScheduleSnapshotRecord): Promise<void> {
    await this.db.tx(async (tx) => {
      await tx.run(`DELETE FROM backup_schedule_snapshots WHERE resource = ? AND snapshot = ?`, [r.resource, r.snapshot]);
      await tx.run(`INSERT INTO backup_schedule_snapshots (remote, schedule, resource, snapshot, backup_id, kind, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
        [r.remote, r.schedule, r.resource, r.snapshot, r.backupId, r.kind, r.createdAt]);
    });
  }

  /** The local snapshots this (remote, schedule) kept, oldest first. */
  async snapshots(remote: string, schedule: string): Promise<ScheduleSnapshotRecord[]> {
    const rows = await this.db.all(`SELECT * FROM backup_schedule_snapshots WHERE remote = ? AND schedule = ? ORDER BY resource, created_at, snapshot`, [remote, schedule]);
    return rows.map((r) => ({
      remote: String(r.remote), schedule: String(r.schedule), resource: String(r.resource), snapshot: String(r.snapshot),
      backupId: String(r.backup_id), kind: String(r.kind) as 'full' | 'incremental', createdAt: Number(r.created_at),
    }));
  }

  async forgetSnapshot(resource: string, snapshot: string): Promise<void> {
    await this.db.run(`DELETE FROM backup_schedule_snapshots WHERE resource = ? AND snapshot = ?`, [resource, snapshot]);
  }
}
