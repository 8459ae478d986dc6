// The catalog's database: SQLite (better-sqlite3, one embedded file) by default, PostgreSQL when
// several controllers share it. Queries are written once with `?` placeholders.
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';

export type SqlValue = string | number | null;
export type Row = Record<string, unknown>;

export interface Db {
  readonly dialect: 'sqlite' | 'postgres';
  all<T extends Row = Row>(sql: string, params?: SqlValue[]): Promise<T[]>;
  get<T extends Row = Row>(sql: string, params?: SqlValue[]): Promise<T | undefined>;
  run(sql: string, params?: SqlValue[]): Promise<number>;
  /** Runs `fn` in one transaction; `fn` must use the Db it is given. */
  tx<T>(fn: (db: Db) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

export async function openDb(url: string): Promise<Db> {
  if (url.startsWith('sqlite:')) return openSqlite(url.slice('sqlite:'.length));
  if (/^postgres(ql)?:\/\//.test(url)) return openPostgres(url);
  throw new Error(`unsupported catalog URL (want sqlite:<path> or postgres://...): ${url.replace(/\/\/[^@]*@/, '//***@')}`);
}

async function openSqlite(path: string): Promise<Db> {
  const { default: Database } = await import('better-sqlite3');
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  const sqlite = new Database(path);
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('busy_timeout = 5000');
  sqlite.pragma('foreign_keys = ON');
  let depth = 0;
  const db: Db = {
    dialect: 'sqlite',
    async all<T extends Row>(sql: string, params: SqlValue[] = []) {
      return sqlite.prepare(sql).all(...params) as T[];
    },
    async get<T extends Row>(sql: string, params: SqlValue[] = []) {
      return sqlite.prepare(sql).get(...params) as T | undefined;
    },
    async run(sql: string, params: SqlValue[] = []) {
      return sqlite.prepare(sql).run(...params).changes;
    },
    // better-sqlite3 is synchronous, so an async transaction is safe as long as nothing else
    // runs between BEGIN and COMMIT: the controller's catalog calls are serialised by `queue`.
    async tx<T>(fn: (d: Db) => Promise<T>) {
      if (depth > 0) return fn(db);
      depth++;
      sqlite.exec('BEGIN IMMEDIATE');
      try {
        const out = await fn(db);
        sqlite.exec('COMMIT');
        return out;
      } catch (e) {
        sqlite.exec('ROLLBACK');
        throw e;
      } finally {
        depth--;
      }
    },
    async close() {
      sqlite.close();
    },
  };
  return serialised(db);
}

/** SQLite has one writer: run catalog operations one after the other within this process. */
function serialised(db: Db): Db {
  let tail: Promise<unknown> = Promise.resolve();
  const inQueue = <T>(f: () => Promise<T>): Promise<T> => {
    const next = tail.then(f, f);
    tail = next.catch(() => undefined);
    return next;
  };
  return {
    dialect: db.dialect,
    all: (s, p) => inQueue(() => db.all(s, p)),
    get: (s, p) => inQueue(() => db.get(s, p)),
    run: (s, p) => inQueue(() => db.run(s, p)),
    tx: (fn) => inQueue(() => db.tx(fn)),
    close: () => inQueue(() => db.close()),
  } as Db;
}

function toPg(sql: string): string {
  let i = 0;
  return sql.replace(/\?/g, () => `$${++i}`);
}

async function openPostgres(url: string): Promise<Db> {
  const pg = await import('pg');
  const Pool = pg.default.Pool;
  pg.default.types.setTypeParser(20, (v: string) => Number(v)); // BIGINT as number (ms timestamps, bytes)
  const pool = new Pool({ connectionString: url, max: 8 });
  type Q = { query: (sql: string, params: SqlValue[]) => Promise<{ rows: Row[]; rowCount: number | null }> };
  const make = (q: Q, inTx: boolean): Db => {
    const db: Db = {
      dialect: 'postgres',
      async all<T extends Row>(sql: string, params: SqlValue[] = []) {
        return (await q.query(toPg(sql), params)).rows as T[];
      },
      async get<T extends Row>(sql: string, params: SqlValue[] = []) {
        return (await q.query(toPg(sql), params)).rows[0] as T | undefined;
      },
      async run(sql: string, params: SqlValue[] = []) {
        return (await q.query(toPg(sql), params)).rowCount ?? 0;
      },
      // SERIALIZABLE: several controllers may run the same check-then-insert at once; the loser
      // gets a serialization failure (40001) or deadlock (40P01) and runs its transaction again.
      async tx<T>(fn: (d: Db) => Promise<T>) {
        if (inTx) return fn(db);
        for (let attempt = 1; ; attempt++) {
          const client = await pool.connect();
          try {
            await client.query('BEGIN ISOLATION LEVEL SERIALIZABLE');
            const out = await fn(make(client as unknown as Q, true));
            await client.query('COMMIT');
            return out;
          } catch (e) {
            await client.query('ROLLBACK').catch(() => undefined);
            const code = (e as { code?: string }).code;
            if ((code === '40001' || code === '40P01') && attempt < 10) {
              await new Promise((r) => setTimeout(r, Math.floor(Math.random() * 20 * attempt)));
              continue;
            }
            throw e;
          } finally {
            client.release();
          }
        }
      },
      async close() {
        if (!inTx) await pool.end();
      },
    };
    return db;
  };
  return make(pool as unknown as Q, false);
}
