// Starts ferry's own processes for a simulated cluster: the controller, and one agent per simulated
// host with the simulated tools first on its PATH. Used by `npm start`, `ferry-sim node start` and
// the integration tests. The production entry points are unchanged: `ferry controller`, `ferry agent`.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, openSync, readFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';

const here = fileURLToPath(new URL('.', import.meta.url));
/** The repository root, from src (sim/) or from dist (dist/sim/). */
export const REPO = resolve(here, existsSync(resolve(here, '..', 'package.json')) ? '..' : '../..');
export const FERRY_BIN = join(REPO, 'bin', 'ferry.js');
export const SIM_BIN_DIR = join(REPO, 'sim', 'bin');
export const FERRY_SIM_CLI = join(REPO, 'dist', 'sim', 'cli', 'ferry-sim.js');

export interface ClusterEnv {
  temporalAddress: string;
  namespace: string;
  taskQueuePrefix?: string;
  /** Directory of the simulated hosts (FERRY_SIM_ROOT). */
  simRoot: string;
  /** Where the processes' logs go. */
  logDir: string;
  extraEnv?: Record<string, string>;
}

export interface ManagedProcess {
  readonly name: string;
  readonly child: ChildProcess;
  readonly exited: Promise<number | null>;
  /** SIGTERM (graceful) or SIGKILL (a crash), and wait for the exit. */
  stop(signal?: NodeJS.Signals): Promise<void>;
}

function baseEnv(c: ClusterEnv): Record<string, string> {
  return {
    ...(process.env as Record<string, string>),
    FERRY_TEMPORAL_ADDRESS: c.temporalAddress,
    FERRY_TEMPORAL_NAMESPACE: c.namespace,
    ...(c.taskQueuePrefix ? { FERRY_TASK_QUEUE_PREFIX: c.taskQueuePrefix } : {}),
    FERRY_LOG_JSON: '1',
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    ...(c.extraEnv ?? {}),
  };
}

function manage(name: string, child: ChildProcess): ManagedProcess {
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  return {
    name,
    child,
    exited,
    async stop(signal: NodeJS.Signals = 'SIGTERM') {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill(signal);
      const t = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(t);
    },
  };
}

/** The environment an agent on simulated host `node` runs with. */
export function simAgentEnv(c: ClusterEnv, node: string, controllers: string[]): Record<string, string> {
  const env = baseEnv(c);
  return {
    ...env,
    PATH: `${SIM_BIN_DIR}:${env.PATH ?? ''}`,
    FERRY_SIM_ROOT: c.simRoot,
    FERRY_SIM_NODE: node,
    FERRY_DRBD_CONF_DIR: join(c.simRoot, node, 'drbd', 'etc', 'drbd.d'),
    FERRY_CONTROLLERS: controllers.join(','),
  };
}

/** Starts `ferry controller`; resolves with its REST URL once it listens. */
export async function startController(c: ClusterEnv & { catalog: string; apiPort?: number }): Promise<ManagedProcess & { url: string }> {
  mkdirSync(c.logDir, { recursive: true });
  const log = openSync(join(c.logDir, 'controller.log'), 'a');
  const announce = join(c.logDir, `controller-${process.pid}-${Date.now()}.port`);
  const child = spawn(process.execPath, [FERRY_BIN, 'controller'], {
    env: { ...baseEnv(c), FERRY_CATALOG: c.catalog, FERRY_API_PORT: String(c.apiPort ?? 0), FERRY_ANNOUNCE_FILE: announce },
    stdio: ['ignore', log, log],
  });
  const proc = manage('controller', child);
  const deadline = Date.now() + 60_000;
  while (!existsSync(announce)) {
    if (child.exitCode !== null) throw new Error(`controller exited with ${child.exitCode} (see ${c.logDir}/controller.log)`);
    if (Date.now() > deadline) {
      await proc.stop('SIGKILL');
      throw new Error(`controller did not start within 60 s (see ${c.logDir}/controller.log)`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  const port = readFileSync(announce, 'utf8').trim();
  rmSync(announce, { force: true });
  return { ...proc, url: `http://127.0.0.1:${port}` };
}

/** Starts `ferry agent --node NODE` on a simulated host. */
export function startAgent(c: ClusterEnv, node: string, controllers: string[]): ManagedProcess {
  mkdirSync(c.logDir, { recursive: true });
  const log = openSync(join(c.logDir, `agent-${node}.log`), 'a');
  const child = spawn(process.execPath, [FERRY_BIN, 'agent', '--node', node], {
    env: simAgentEnv(c, node, controllers),
    stdio: ['ignore', log, log],
  });
  return manage(`agent-${node}`, child);
}

/** Prepares a simulated host as an operator would: a volume group and an LVM thin pool. Idempotent. */
export async function initSimHost(simRoot: string, node: string, opts: { vg?: string; pool?: string; size?: string } = {}): Promise<void> {
  await execa(process.execPath, [FERRY_SIM_CLI, 'host', 'init', node, '--root', simRoot,
    '--vg', opts.vg ?? 'vg', '--pool', opts.pool ?? 'thinpool', '--size', opts.size ?? '20G']);
}
