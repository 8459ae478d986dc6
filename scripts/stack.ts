// Starts the real third-party services ferry runs on: the Temporal dev server and a SeaweedFS S3
// server, from the binaries that scripts/setup.sh installs in .tools/bin. Shared by `npm start`
// (scripts/start-local.ts) and the integration test harness (test/harness/global-setup.ts).
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { closeSync, mkdirSync, openSync, readSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = resolve(fileURLToPath(new URL('.', import.meta.url)), fileURLToPath(import.meta.url).includes('/dist/') ? '../..' : '..');
export const TOOLS_BIN = join(REPO_ROOT, '.tools', 'bin');

/** Search attributes every ferry workflow may set; registered when the dev server starts.
 * FerryNode is a list: a resource create or an evacuation touches several nodes. */
export const SEARCH_ATTRIBUTES: Record<string, 'Keyword' | 'KeywordList' | 'Text' | 'Int'> = {
  FerryResource: 'Keyword',
  FerryNode: 'KeywordList',
  FerryRemote: 'Keyword',
  FerryOperation: 'Keyword',
  FerryPhase: 'Keyword',
};

export interface Service {
  readonly name: string;
  readonly process: ChildProcess;
  stop(): Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', rej);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => res(port));
    });
  });
}

/** Thrown by a readiness check when waiting longer is pointless (the process died). */
export class GaveUp extends Error {}

export async function waitUntil(what: string, check: () => Promise<boolean>, timeoutMs = 60_000, intervalMs = 200): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      if (await check()) return;
    } catch (e) {
      if (e instanceof GaveUp) throw e;
      // not ready yet
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

function tcpOpen(port: number): Promise<boolean> {
  return new Promise((res) => {
    import('node:net').then(({ connect }) => {
      const s = connect(port, '127.0.0.1');
      s.on('connect', () => { s.destroy(); res(true); });
      s.on('error', () => res(false));
    });
  });
}

/** Spawns a long-running service, logging to `logFile`; stop() sends SIGTERM, then SIGKILL. */
export function spawnService(name: string, cmd: string, args: string[], logFile: string, env: NodeJS.ProcessEnv = process.env): Service {
  const out = openSync(logFile, 'a');
  const child = spawn(cmd, args, { stdio: ['ignore', out, out], env, detached: false });
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  return {
    name,
    process: child,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

export interface TemporalOptions {
  dataDir: string;
  port?: number;
  uiPort?: number;
  headless?: boolean;
  /** The Web UI's codec server (ferry's controller: /codec), so encrypted payloads show decoded */
  uiCodecEndpoint?: string;
}

export interface TemporalService extends Service {
  address: string;
  uiUrl?: string;
}

export async function startTemporal(opts: TemporalOptions): Promise<TemporalService> {
  mkdirSync(opts.dataDir, { recursive: true });
  const port = opts.port ?? (await freePort());
  const args = [
    'server', 'start-dev',
    '--ip', '127.0.0.1',
    '--port', String(port),
    '--db-filename', join(opts.dataDir, 'temporal.sqlite'),
    '--log-level', 'warn',
    // ferry's workflows set their search attributes as soon as they start
    '--dynamic-config-value', 'system.forceSearchAttributesCacheRefreshOnRead=true',
  ];
  for (const [k, t] of Object.entries(SEARCH_ATTRIBUTES)) args.push('--search-attribute', `${k}=${t}`);
  let uiUrl: string | undefined;
  if (opts.headless) {
    args.push('--headless');
  } else {
    const uiPort = opts.uiPort ?? (await freePort());
    args.push('--ui-port', String(uiPort), '--ui-ip', '127.0.0.1');
    if (opts.uiCodecEndpoint) args.push('--ui-codec-endpoint', opts.uiCodecEndpoint);
    uiUrl = `http://localhost:${uiPort}`;
  }
  const svc = spawnService('temporal', join(TOOLS_BIN, 'temporal'), args, join(opts.dataDir, 'temporal.log'));
  const address = `127.0.0.1:${port}`;
  await waitUntil(`Temporal on ${address}`, async () => {
    if (svc.process.exitCode !== null) throw new GaveUp(`temporal exited with code ${svc.process.exitCode}; see ${opts.dataDir}/temporal.log`);
    return tcpOpen(port);
  });
  // the frontend accepts connections before the namespace is ready: probe it
  const { Connection } = await import('@temporalio/client');
  await waitUntil('Temporal namespace "default"', async () => {
    const c = await Connection.connect({ address, connectTimeout: 2000 });
    try {
      await c.workflowService.describeNamespace({ namespace: 'default' });
      return true;
    } finally {
      await c.close();
    }
  });
  return { ...svc, address, uiUrl };
}

export interface S3Options {
  dataDir: string;
  port?: number;
  accessKey?: string;
  secretKey?: string;
}

export interface S3Service extends Service {
  endpoint: string;
  accessKey: string;
  secretKey: string;
}

/**
 * Starts SeaweedFS. Its many listeners get free ports picked just before; another process can take
 * one in between, so a start that dies early is tried again with new ports.
 */
export async function startS3(opts: S3Options): Promise<S3Service> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startS3Once(opts, attempt === 1 ? 'weed.log' : `weed-${attempt}.log`);
    } catch (e) {
      if (!(e instanceof GaveUp) || attempt >= 3) throw e;
    }
  }
}

async function startS3Once(opts: S3Options, logName: string): Promise<S3Service> {
  mkdirSync(opts.dataDir, { recursive: true });
  const accessKey = opts.accessKey ?? 'ferry-access';
  const secretKey = opts.secretKey ?? 'ferry-secret-key-for-local-s3';
  const configFile = join(opts.dataDir, 's3-identities.json');
  writeFileSync(configFile, JSON.stringify({
    identities: [{ name: 'ferry', credentials: [{ accessKey, secretKey }], actions: ['Admin', 'Read', 'List', 'Tagging', 'Write'] }],
  }), { mode: 0o600 });
  const s3Port = opts.port ?? (await freePort());
  const ports = {
    master: await freePort(), masterGrpc: await freePort(), volume: await freePort(), volumeGrpc: await freePort(),
    filer: await freePort(), filerGrpc: await freePort(), s3Grpc: await freePort(),
  };
  const args = [
    'server', '-s3', '-ip=127.0.0.1', '-ip.bind=127.0.0.1', `-dir=${opts.dataDir}`,
    `-master.port=${ports.master}`, `-master.port.grpc=${ports.masterGrpc}`,
    `-volume.port=${ports.volume}`, `-volume.port.grpc=${ports.volumeGrpc}`,
    `-filer.port=${ports.filer}`, `-filer.port.grpc=${ports.filerGrpc}`,
    `-s3.port=${s3Port}`, `-s3.port.grpc=${ports.s3Grpc}`, `-s3.config=${configFile}`,
    // weed grows 7 volumes per bucket; '-volume.max=0' would cap the count at free disk / 256 MB, so an
    // S3 server that has made ~45 buckets (on 80 GB free; fewer on a smaller disk) answers every new
    // write with InternalError. Volumes are not preallocated, so a high fixed count costs nothing.
    '-master.volumeSizeLimitMB=256', '-volume.max=2000', '-master.telemetry=false', '-iam=false', '-metricsPort=0',
    // optional listeners with fixed default ports: off, so several S3 servers can run side by side
    '-s3.port.iceberg=0', '-s3.port.lance=0', '-debug=false',
  ];
  const logFile = join(opts.dataDir, logName);
  const svc = spawnService('s3', join(TOOLS_BIN, 'weed'), args, logFile);
  const endpoint = `http://127.0.0.1:${s3Port}`;
  await waitUntil(`S3 on ${endpoint}`, async () => {
    if (svc.process.exitCode !== null) throw new GaveUp(`weed exited with code ${svc.process.exitCode}; see ${logFile}`);
    if (/bind: address already in use/.test(readTail(logFile))) {
      await svc.stop();
      throw new GaveUp('a port of weed was taken');
    }
    const r = await fetch(`${endpoint}/`, { signal: AbortSignal.timeout(2000) });
    return r.status > 0 && r.status < 500;
  }, 90_000);
  return { ...svc, endpoint, accessKey, secretKey };
}

function readTail(file: string, bytes = 4096): string {
  try {
    const size = statSync(file).size;
    const fd = openSync(file, 'r');
    try {
      const buf = Buffer.alloc(Math.min(bytes, size));
      readSync(fd, buf, 0, buf.length, size - buf.length);
      return buf.toString('utf8');
    } finally {
      closeSync(fd);
    }
  } catch {
    return '';
  }
}
