// The catalog's schema, as numbered migrations run in order at controller start (SQLite and PostgreSQL).
import type { Db } from './db.js';

const MIGRATIONS: string[][] = [
  [
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
];

export async function migrate(db: Db): Promise<number> {
  await db.run(`CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)`);
  return db.tx(async (tx) => {
    const row = await tx.get<{ version: number }>(`SELECT MAX(version) AS version FROM schema_version`);
    let version = Number(row?.version ?? 0);
    for (; version < MIGRATIONS.length; version++) {
      for (const stmt of MIGRATIONS[version]) await tx.run(stmt);
      await tx.run(`INSERT INTO schema_version (version) VALUES (?)`, [version + 1]);
    }
    return version;
  });
}
