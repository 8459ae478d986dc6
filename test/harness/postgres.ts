// One PostgreSQL server per test run, started lazily by the first test file that needs it (for the
// Postgres catalog): initdb + pg_ctl from /usr/lib/postgresql/*/bin into the run directory, a free
// port on 127.0.0.1, its unix socket directory in the run directory. The integration run's global
// teardown stops it (stopPostgresIn); outside the integration run (unit tests) the caller stops it.
// As root, PostgreSQL refuses to run: the server runs as the `postgres` OS user of the Debian
// package, or `ferry-pg` (scripts/setup.sh creates it when there is no `postgres` user).
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import pg from 'pg';

export interface PostgresServer {
  port: number;
  /** A new, empty database; returns its postgres:// URL. */
  createDatabase(name: string): Promise<string>;
  /** Stops the server when this process started it outside an integration run; else a no-op. */
  release(): Promise<void>;
}

const SUPERUSER = 'ferry';

function binDir(): string {
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root) ? readdirSync(root).filter((v) => existsSync(join(root, v, 'bin', 'postgres'))).sort((a, b) => Number(b) - Number(a)) : [];
  if (!versions.length) throw new Error('PostgreSQL server binaries not found in /usr/lib/postgresql/*/bin (run scripts/setup.sh)');
  return join(root, versions[0]!, 'bin');
}

async function osUser(): Promise<string | null> {
  if (process.getuid?.() !== 0) return null;
  for (const u of [process.env.FERRY_TEST_PG_USER, 'postgres', 'ferry-pg']) {
    if (u && (await execa('id', ['-u', u], { reject: false })).exitCode === 0) return u;
  }
  throw new Error('running as root, PostgreSQL needs a non-root OS user: none of postgres, ferry-pg exists (run scripts/setup.sh)');
}

async function asUser(user: string | null, cmd: string, args: string[]) {
  const r = user ? await execa('runuser', ['-u', user, '--', cmd, ...args], { reject: false, cwd: '/' }) : await execa(cmd, args, { reject: false, cwd: '/' });
  if (r.exitCode !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.exitCode}): ${String(r.stderr || r.stdout).slice(-2000)}`);
  return r;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

async function startIn(base: string): Promise<number> {
  const dir = join(base, 'postgres');
  const user = await osUser();
  mkdirSync(join(dir, 'socket'), { recursive: true });
  if (user) {
    chmodSync(base, 0o711); // the server's user must reach its directory
    await execa('chown', ['-R', user, dir]);
  }
  const bin = binDir();
  await asUser(user, join(bin, 'initdb'), ['-D', join(dir, 'data'), '-U', SUPERUSER, '--auth=trust', '-E', 'UTF8', '--no-sync']);
  const port = await freePort();
  const opts = `-p ${port} -k ${join(dir, 'socket')} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300`;
  await asUser(user, join(bin, 'pg_ctl'), ['-D', join(dir, 'data'), '-l', join(dir, 'server.log'), '-o', opts, '-w', '-t', '60', 'start']);
  return port;
}

/** Stops the run's server if one was started in `base` (the integration run's global teardown). */
export async function stopPostgresIn(base: string): Promise<void> {
  const data = join(base, 'postgres', 'data');
  if (!existsSync(join(data, 'postmaster.pid'))) return;
  await asUser(await osUser(), join(binDir(), 'pg_ctl'), ['-D', data, '-m', 'immediate', '-w', 'stop']).catch(() => undefined);
}

/** The run's PostgreSQL server, started by the first caller of the run (a lock directory decides who). */
export async function usePostgres(): Promise<PostgresServer> {
  const runDir = process.env.FERRY_TEST_RUN_DIR;
  const owned = !runDir;
  const base = runDir ?? mkdtempSync(join(tmpdir(), 'ferry-pg-'));
  const ready = join(base, 'postgres.json');
  let port: number;
  let starter = false;
  try {
    mkdirSync(join(base, 'postgres.lock'));
    starter = true;
  } catch {
    // another test file is starting it
  }
  if (starter) {
    try {
      port = await startIn(base);
      writeFileSync(ready, JSON.stringify({ port }));
    } catch (e) {
      writeFileSync(ready, JSON.stringify({ error: (e as Error).message }));
      throw e;
    }
  } else {
    const deadline = Date.now() + 120_000;
    while (!existsSync(ready)) {
      if (Date.now() > deadline) throw new Error('PostgreSQL of this test run did not start within 120 s');
      await new Promise((r) => setTimeout(r, 200));
    }
    const info = JSON.parse(readFileSync(ready, 'utf8')) as { port?: number; error?: string };
    if (info.error || !info.port) throw new Error(`PostgreSQL of this test run failed to start: ${info.error}`);
    port = info.port;
  }
  const url = (db: string) => `postgres://${SUPERUSER}@127.0.0.1:${port}/${db}`;
  return {
    port,
    async createDatabase(name: string) {
      const db = name.toLowerCase().replace(/[^a-z0-9_]/g, '_');
      const c = new pg.Client({ connectionString: url('postgres') });
      await c.connect();
      try {
        await c.query(`CREATE DATABASE "${db}"`);
      } finally {
        await c.end();
      }
      return url(db);
    },
    async release() {
      if (!owned) return;
      await stopPostgresIn(base);
      rmSync(base, { recursive: true, force: true });
    },
  };
}
