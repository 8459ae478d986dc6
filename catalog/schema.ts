// The catalog's schema, as numbered migrations run in order at controller start (SQLite and PostgreSQL).
// Each number is applied once; numbers are taken by the feature that adds them (a gap is fine):
// 1 nodes, 2 resources, 3 snapshots, 4 remotes and backups, 5 evacuation and eviction.
import type { Db } from './db.js';

const MIGRATIONS: Record<number, string[]> = {
  1: [
    `CREATE TABLE IF NOT EXISTS nodes (
      name TEXT PRIMARY KEY,
      node_type TEXT NOT NULL,
      address TEXT NOT NULL,
      port INTEGER NOT NULL,
      flags TEXT NOT NULL DEFAULT '[]',
      props TEXT NOT NULL DEFAULT '{}',
      inventory TEXT,
      created_at BIGINT NOT NULL,
      registered_at BIGINT,
      agent_started_at BIGINT,
      last_seen_at BIGINT
    )`,
    `CREATE TABLE IF NOT EXISTS storage_pools (
      node TEXT NOT NULL REFERENCES nodes(name) ON DELETE CASCADE,
      name TEXT NOT NULL,
      provider TEXT NOT NULL,
      pool_name TEXT NOT NULL DEFAULT '',
      free_bytes BIGINT,
      total_bytes BIGINT,
      props TEXT NOT NULL DEFAULT '{}',
      updated_at BIGINT,
      PRIMARY KEY (node, name)
    )`,
    `CREATE TABLE IF NOT EXISTS controller_props (key TEXT PRIMARY KEY, value TEXT NOT NULL)`,
  ],
  // 2: resource groups, resource definitions (unique DRBD port), volume definitions (unique DRBD
  // minor), resources (one per node, with its DRBD node id) and their volumes' last seen state.
  2: [
    `CREATE TABLE IF NOT EXISTS resource_groups (
      name TEXT PRIMARY KEY,
      description TEXT NOT NULL DEFAULT '',
      select_filter TEXT NOT NULL DEFAULT '{}',
      props TEXT NOT NULL DEFAULT '{}',
      created_at BIGINT NOT NULL
    )`,
    `INSERT INTO resource_groups (name, created_at) VALUES ('DfltRscGrp', 0) ON CONFLICT (name) DO NOTHING`,
    `CREATE TABLE IF NOT EXISTS resource_definitions (
      name TEXT PRIMARY KEY,
      resource_group TEXT NOT NULL REFERENCES resource_groups(name),
      port INTEGER NOT NULL UNIQUE,
      secret TEXT NOT NULL,
      flags TEXT NOT NULL DEFAULT '[]',
      props TEXT NOT NULL DEFAULT '{}',
      created_at BIGINT NOT NULL
    )`,
    `CREATE TABLE IF NOT EXISTS volume_definitions (
      resource TEXT NOT NULL REFERENCES resource_definitions(name) ON DELETE CASCADE,
      volume_number INTEGER NOT NULL,
      minor INTEGER NOT NULL UNIQUE,
      size_bytes BIGINT NOT NULL,
      flags TEXT NOT NULL DEFAULT '[]',
      props TEXT NOT NULL DEFAULT '{}',
      PRIMARY KEY (resource, volume_number)
    )`,
    `CREATE TABLE IF NOT EXISTS resources (
      resource TEXT NOT NULL REFERENCES resource_definitions(name) ON DELETE CASCADE,
      node TEXT NOT NULL REFERENCES nodes(name),
      node_id INTEGER NOT NULL,
      storage_pool TEXT NOT NULL,
      flags TEXT NOT NULL DEFAULT '[]',
      props TEXT NOT NULL DEFAULT '{}',
      created_at BIGINT NOT NULL,
      PRIMARY KEY (resource, node),
      UNIQUE (resource, node_id)
    )`,
    `CREATE TABLE IF NOT EXISTS volumes (
      resource TEXT NOT NULL,
      node TEXT NOT NULL,
      volume_number INTEGER NOT NULL,
      backing_disk TEXT,
      allocated_bytes BIGINT,
      disk_state TEXT NOT NULL DEFAULT 'Unknown',
      in_use INTEGER NOT NULL DEFAULT 0,
      updated_at BIGINT,
      PRIMARY KEY (resource, node, volume_number),
      FOREIGN KEY (resource, node) REFERENCES resources(resource, node) ON DELETE CASCADE
    )`,
    `CREATE TABLE IF NOT EXISTS resource_locks (
      resource TEXT PRIMARY KEY,
      holder TEXT NOT NULL,
      acquired_at BIGINT NOT NULL
    )`,
  ],
  // 3: snapshots: a definition per (resource, snapshot) with its volumes' sizes and state, and a
  // row per node holding the thin snapshot LVs (vg and thin pool recorded).
  3: [
    `CREATE TABLE IF NOT EXISTS snapshot_definitions (
      resource TEXT NOT NULL,
      name TEXT NOT NULL,
      state TEXT NOT NULL,
      holder TEXT NOT NULL,
      volumes TEXT NOT NULL DEFAULT '[]',
      props TEXT NOT NULL DEFAULT '{}',
      created_at BIGINT NOT NULL,
      PRIMARY KEY (resource, name)
    )`,
    `CREATE TABLE IF NOT EXISTS snapshots (
      resource TEXT NOT NULL,
      snapshot TEXT NOT NULL,
      node TEXT NOT NULL,
      storage_pool TEXT NOT NULL,
      vg TEXT NOT NULL,
      thin_pool TEXT NOT NULL,
      PRIMARY KEY (resource, snapshot, node),
      FOREIGN KEY (resource, snapshot) REFERENCES snapshot_definitions(resource, name) ON DELETE CASCADE
    )`,
  ],
  // 4: remotes (S3 keys sealed with the master passphrase), the last backup of each resource to
  // each remote (base of the next incremental), and backup shipping slots per node.
  4: [
    `CREATE TABLE IF NOT EXISTS remotes (
      name TEXT PRIMARY KEY,
      type TEXT NOT NULL,
      endpoint TEXT NOT NULL,
      bucket TEXT NOT NULL,
      region TEXT NOT NULL,
      use_path_style INTEGER NOT NULL DEFAULT 1,
      access_key_sealed TEXT NOT NULL,
      secret_key_sealed TEXT NOT NULL,
      created_at BIGINT NOT NULL
    )`,
    `CREATE TABLE IF NOT EXISTS backup_last (
      resource TEXT NOT NULL,
      remote TEXT NOT NULL,
      snapshot TEXT NOT NULL,
      backup_id TEXT NOT NULL,
      node TEXT NOT NULL,
      volume_sizes TEXT NOT NULL DEFAULT '{}',
      updated_at BIGINT NOT NULL,
      PRIMARY KEY (resource, remote)
    )`,
    `CREATE TABLE IF NOT EXISTS backup_slots (
      holder TEXT PRIMARY KEY,
      node TEXT NOT NULL,
      acquired_at BIGINT NOT NULL
    )`,
  ],
  // 7: error reports (ferry error-reports / err): one row per distinct failure of an activity or a
  // workflow, redacted before it is written; repeats count up.
  7: [
    `CREATE TABLE IF NOT EXISTS error_reports (
      id TEXT PRIMARY KEY,
      source TEXT NOT NULL,
      node TEXT,
      workflow_id TEXT NOT NULL,
      run_id TEXT,
      workflow_type TEXT,
      activity_type TEXT,
      attempt INTEGER,
      error_type TEXT NOT NULL,
      message TEXT NOT NULL,
      command_line TEXT,
      exit_code INTEGER,
      stderr_tail TEXT,
      count INTEGER NOT NULL DEFAULT 1,
      first_at BIGINT NOT NULL,
      last_at BIGINT NOT NULL
    )`,
    `CREATE INDEX IF NOT EXISTS error_reports_last_at ON error_reports (last_at)`,
  ],
  // 8: backup schedules (cron, retention, on-failure), their enablement per remote at controller
  // (target ''), resource-group or resource-definition level, the last scheduled run per resource,
  // and the backups each schedule made (what its retention may delete).
  8: [
    `CREATE TABLE IF NOT EXISTS backup_schedules (
      name TEXT PRIMARY KEY,
      full_cron TEXT NOT NULL,
      incr_cron TEXT,
      keep_local INTEGER,
      keep_remote INTEGER,
      keep_within_ms BIGINT,
      on_failure TEXT NOT NULL,
      max_retries INTEGER NOT NULL,
      created_at BIGINT NOT NULL,
      updated_at BIGINT NOT NULL
    )`,
    `CREATE TABLE IF NOT EXISTS backup_schedule_enablement (
      remote TEXT NOT NULL,
      schedule TEXT NOT NULL,
      level TEXT NOT NULL,
      target TEXT NOT NULL,
      enabled INTEGER NOT NULL,
      updated_at BIGINT NOT NULL,
      PRIMARY KEY (remote, schedule, level, target)
    )`,
    `CREATE TABLE IF NOT EXISTS backup_schedule_runs (
      remote TEXT NOT NULL,
      schedule TEXT NOT NULL,
      resource TEXT NOT NULL,
      last_run_at BIGINT NOT NULL,
      last_result TEXT NOT NULL,
      last_kind TEXT,
      last_backup_id TEXT,
      last_full_at BIGINT,
      PRIMARY KEY (remote, schedule, resource)
    )`,
    `CREATE TABLE IF NOT EXISTS backup_schedule_backups (
      remote TEXT NOT NULL,
      schedule TEXT NOT NULL,
      resource TEXT NOT NULL,
      backup_id TEXT NOT NULL,
      kind TEXT NOT NULL,
      created_at BIGINT NOT NULL,
      PRIMARY KEY (remote, backup_id)
    )`,
  ],
  // 9: the local snapshots of scheduled backups kept for keep-local (one row per snapshot: which
  // schedule and remote made it, for which backup, full or incremental); retention deletes the
  // oldest chains beyond keep-local and forgets their rows.
  9: [
    `CREATE TABLE IF NOT EXISTS backup_schedule_snapshots (
      remote TEXT NOT NULL,
      schedule TEXT NOT NULL,
      resource TEXT NOT NULL,
      snapshot TEXT NOT NULL,
      backup_id TEXT NOT NULL,
      kind TEXT NOT NULL,
      created_at BIGINT NOT NULL,
      PRIMARY KEY (resource, snapshot)
    )`,
  ],
  // 10: the queue of backups waiting for a shipping slot of their node (MaxConcurrentBackupsPerNode):
  // slots go to waiters first come, first served; a released slot is handed to the next waiter.
  10: [
    `CREATE TABLE IF NOT EXISTS backup_slot_waiters (
      holder TEXT PRIMARY KEY,
      node TEXT NOT NULL,
      queued_at BIGINT NOT NULL
    )`,
  ],
  // 11: LINSTOR's key-value store (linstor-csi keeps its state there): one row per instance and key.
  11: [
    `CREATE TABLE IF NOT EXISTS key_value_store (
      instance TEXT NOT NULL,
      key TEXT NOT NULL,
      value TEXT NOT NULL,
      PRIMARY KEY (instance, key)
    )`,
  ],
  // 5: evacuation and eviction: one row per node being evacuated/evicted, one per resource move
  // (the replacement chosen for the node's replica, reused by a retried or re-issued evacuation).
  5: [
    `CREATE TABLE IF NOT EXISTS evacuations (
      node TEXT PRIMARY KEY,
      kind TEXT NOT NULL,
      set_autoplace_target INTEGER NOT NULL DEFAULT 0,
      started_at BIGINT NOT NULL,
      finished_at BIGINT
    )`,
    `CREATE TABLE IF NOT EXISTS evacuation_moves (
      node TEXT NOT NULL,
      resource TEXT NOT NULL,
      target TEXT,
      state TEXT NOT NULL,
      updated_at BIGINT NOT NULL,
      PRIMARY KEY (node, resource)
    )`,
  ],
};

/** Applies the migrations not applied yet, in order; returns their numbers. */
export async function migrate(db: Db): Promise<number[]> {
  await db.run(`CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)`);
  return db.tx(async (tx) => {
    const applied = new Set((await tx.all<{ version: number }>(`SELECT version FROM schema_version`)).map((r) => Number(r.version)));
    const ran: number[] = [];
    for (const version of Object.keys(MIGRATIONS).map(Number).sort((a, b) => a - b)) {
      if (applied.has(version)) continue;
      for (const stmt of MIGRATIONS[version]) await tx.run(stmt);
      await tx.run(`INSERT INTO schema_version (version) VALUES (?)`, [version]);
      ran.push(version);
    }
    return ran;
  });
}
