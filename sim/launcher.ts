// Starts ferry's own processes for a simulated cluster: the controller, and one agent per simulated
// host with the simulated tools first on its PATH. Used by `npm start`, `ferry-sim node start` and
// the integration tests. The production entry points are unchanged: `ferry controller`, `ferry agent`.
//
// An agent runs as the child of a small `ferry-sim netproxy NODE` process, which proxies the
// agent's Temporal and controller connections (sim/netproxy.ts; cut while the node's net-cut file
// exists) and writes `<node dir>/agent.pid`, so `ferry-sim node stop|start` find any agent, the
// ones `npm start` or a test started included.
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { parseUpstream, startNetProxy } from './netproxy.js';
import { startToolServer } from './tool-server.js';

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
    // the agent's Prometheus /metrics on a free port, written to agentMetricsPortFile()
    FERRY_AGENT_METRICS_PORT: env.FERRY_AGENT_METRICS_PORT ?? 'auto',
    FERRY_AGENT_METRICS_HOST: env.FERRY_AGENT_METRICS_HOST ?? '127.0.0.1',
    FERRY_AGENT_METRICS_ANNOUNCE_FILE: agentMetricsPortFile(c, node),
  };
}

/** Where a simulated host's agent writes the port of its /metrics. */
export function agentMetricsPortFile(c: Pick<ClusterEnv, 'logDir'>, node: string): string {
  return join(c.logDir, `agent-${node}.metrics-port`);
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

/** What `<node dir>/agent.pid` holds while an agent of that node runs. */
export interface AgentPidFile {
  /** The `ferry agent` process. */
  pid: number;
  /** Its parent, the `ferry-sim netproxy` process holding the agent's network. */
  proxyPid: number;
  startedAt: string;
  /** The proxies: Temporal and each controller, local address -> upstream. */
  proxies: { listen: string; upstream: string }[];
}

export function agentPidPath(simRoot: string, node: string): string {
  return join(simRoot, node, 'agent.pid');
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The pid file of `node`'s running agent; null when none runs (a stale file, e.g. after a crash, is ignored). */
export function readAgentPid(simRoot: string, node: string): AgentPidFile | null {
  let f: AgentPidFile;
  try {
    f = JSON.parse(readFileSync(agentPidPath(simRoot, node), 'utf8')) as AgentPidFile;
  } catch {
    return null;
  }
  if (!Number.isInteger(f.pid) || !alive(f.pid)) return null;
  // a pid can be reused after a reboot: it must still be this node's agent
  try {
    const cmd = readFileSync(`/proc/${f.pid}/cmdline`, 'utf8').split('\0');
    const i = cmd.indexOf('--node');
    if (!cmd.includes('agent') || i < 0 || cmd[i + 1] !== node) return null;
  } catch {
    /* no /proc: trust the pid */
  }
  return f;
}

export interface StartAgentOptions {
  /**
   * Outlive the caller (`ferry-sim node start`): the agent and its proxy run in a new session, not
   * as children the caller waits for. Logs go to `<logDir>/agent-NODE.log` either way.
   */
  detached?: boolean;
}

/**
 * Starts `ferry agent --node NODE` on a simulated host, behind its net proxy (a `ferry-sim netproxy`
 * process, the agent's parent). The returned process is the proxy's; `stop(signal)` sends the
 * signal to the agent itself (SIGKILL = a crash of the agent), then the proxy exits with it.
 */
export function startAgent(c: ClusterEnv, node: string, controllers: string[], opts: StartAgentOptions = {}): ManagedProcess {
  mkdirSync(c.logDir, { recursive: true });
  const log = openSync(join(c.logDir, `agent-${node}.log`), 'a');
  const child = spawn(process.execPath, [FERRY_SIM_CLI, '--root', c.simRoot, 'netproxy', node], {
    env: { ...baseEnv(c), FERRY_CONTROLLERS: controllers.join(','), FERRY_SIM_LOG_DIR: c.logDir },
    stdio: ['ignore', log, log],
    detached: opts.detached ?? false,
  });
  closeSync(log);
  if (opts.detached) child.unref();
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  const agentPid = (): number | null => {
    const f = readAgentPid(c.simRoot, node);
    return f && f.proxyPid === child.pid ? f.pid : null;
  };
  const signal = (sig: NodeJS.Signals) => {
    const pid = agentPid();
    try {
      if (pid) process.kill(pid, sig);
      else child.kill(sig);
    } catch {
      /* gone already */
    }
  };
  return {
    name: `agent-${node}`,
    child,
    exited,
    async stop(sig: NodeJS.Signals = 'SIGTERM') {
      if (child.exitCode !== null || child.signalCode !== null) return;
      signal(sig);
      const t = setTimeout(() => {
        signal('SIGKILL');
        child.kill('SIGKILL');
      }, 15_000);
      await exited;
      clearTimeout(t);
    },
  };
}

/** Waits until `node`'s agent runs (its pid file names a live agent); returns the pid file. */
export async function waitForAgent(simRoot: string, node: string, timeoutMs = 30_000, proc?: ManagedProcess): Promise<AgentPidFile> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const f = readAgentPid(simRoot, node);
    if (f && (!proc || f.proxyPid === proc.child.pid)) return f;
    if (proc && (proc.child.exitCode !== null || proc.child.signalCode !== null)) {
      throw new Error(`the agent of ${node} did not start (exit ${proc.child.exitCode ?? proc.child.signalCode})`);
    }
    if (Date.now() > deadline) throw new Error(`the agent of ${node} did not start within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * Stops `node`'s agent found by its pid file, whoever started it: SIGTERM (graceful) or SIGKILL (a
 * crash); waits until the agent and its proxy are gone. Returns the pid file, or null if none ran.
 */
export async function stopAgentByPid(simRoot: string, node: string, signal: NodeJS.Signals = 'SIGTERM', timeoutMs = 20_000): Promise<AgentPidFile | null> {
  const f = readAgentPid(simRoot, node);
  if (!f) return null;
  try {
    process.kill(f.pid, signal);
  } catch {
    /* exited meanwhile */
  }
  const deadline = Date.now() + timeoutMs;
  while (alive(f.pid) || alive(f.proxyPid)) {
    if (Date.now() > deadline) {
      for (const pid of [f.pid, f.proxyPid]) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          /* gone */
        }
      }
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return f;
}

/**
 * The body of `ferry-sim netproxy NODE`: proxies to Temporal and to each controller (from this
 * process's FERRY_TEMPORAL_ADDRESS / FERRY_CONTROLLERS), the agent as a child pointed at them, the
 * pid file; forwards SIGTERM/SIGINT to the agent and ends with it. Resolves with the agent's exit code.
 */
export async function runProxiedAgent(simRoot: string, node: string): Promise<number> {
  const running = readAgentPid(simRoot, node);
  if (running) throw new Error(`the agent of ${node} runs already (pid ${running.pid})`);
  const nodeDir = join(simRoot, node);
  if (!existsSync(nodeDir)) throw new Error(`no simulated node ${node} under ${simRoot}`);
  const env = process.env;
  const temporal = env.FERRY_TEMPORAL_ADDRESS ?? '127.0.0.1:7233';
  const controllers = (env.FERRY_CONTROLLERS ?? 'http://127.0.0.1:3370').split(',').map((x) => x.trim()).filter(Boolean);
  const tProxy = await startNetProxy(nodeDir, parseUpstream(temporal));
  const cProxies = await Promise.all(controllers.map((u) => startNetProxy(nodeDir, parseUpstream(u))));
  const proxiedControllers = controllers.map((u, i) => {
    const url = new URL(u);
    url.hostname = '127.0.0.1';
    url.port = String(cProxies[i]!.port);
    return url.toString().replace(/\/$/, '');
  });
  const c: ClusterEnv = {
    temporalAddress: `127.0.0.1:${tProxy.port}`,
    namespace: env.FERRY_TEMPORAL_NAMESPACE ?? 'default',
    ...(env.FERRY_TASK_QUEUE_PREFIX ? { taskQueuePrefix: env.FERRY_TASK_QUEUE_PREFIX } : {}),
    simRoot,
    logDir: env.FERRY_SIM_LOG_DIR ?? join(simRoot, '..', 'logs'),
  };
  let stopping: NodeJS.Signals | null = null;
  const onSignal = (sig: NodeJS.Signals) => {
    stopping = sig;
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  // the node's tool server (sim/tool-server.ts); FERRY_SIM_TOOLS=process runs every tool call as its own process
  const toolServer = env.FERRY_SIM_TOOLS === 'process' ? null : await startToolServer({ simRoot });
  const agentEnv = { ...simAgentEnv(c, node, proxiedControllers), ...(toolServer ? { FERRY_SIM_TOOL_SERVER: toolServer.address } : {}) };
  const child = spawn(process.execPath, [FERRY_BIN, 'agent', '--node', node], { env: agentEnv, stdio: 'inherit' });
  const pidFile = agentPidPath(simRoot, node);
  if (child.pid) {
    const f: AgentPidFile = {
      pid: child.pid,
      proxyPid: process.pid,
      startedAt: new Date().toISOString(),
      proxies: [tProxy, ...cProxies].map((p) => ({ listen: `${p.host}:${p.port}`, upstream: `${p.upstream.host}:${p.upstream.port}` })),
    };
    writeFileSync(`${pidFile}.tmp`, JSON.stringify(f) + '\n');
    renameSync(`${pidFile}.tmp`, pidFile);
  }
  process.off('SIGTERM', onSignal);
  process.off('SIGINT', onSignal);
  const forward = (sig: NodeJS.Signals) => child.kill(sig);
  process.on('SIGTERM', forward);
  process.on('SIGINT', forward);
  if (stopping) child.kill(stopping);
  const [code, sig] = await new Promise<[number | null, NodeJS.Signals | null]>((r) => {
    child.once('exit', (cd, sg) => r([cd, sg]));
    child.once('error', () => r([127, null]));
  });
  try {
    const f = JSON.parse(readFileSync(pidFile, 'utf8')) as AgentPidFile;
    if (f.pid === child.pid) rmSync(pidFile, { force: true });
  } catch {
    /* gone */
  }
  await Promise.all([tProxy, ...cProxies].map((p) => p.close()));
  await toolServer?.close();
  process.stdout.write(`${JSON.stringify({ level: 40, time: Date.now(), process: 'netproxy', node, msg: `agent exited (${sig ?? `code ${code}`}); proxy stopped` })}\n`);
  return code ?? 128 + (sig === 'SIGKILL' ? 9 : sig === 'SIGINT' ? 2 : 15);
}

/** Prepares a simulated host as an operator would: a volume group and an LVM thin pool. Idempotent. */
export async function initSimHost(simRoot: string, node: string, opts: { vg?: string; pool?: string; size?: string } = {}): Promise<void> {
  await execa(process.execPath, [FERRY_SIM_CLI, 'host', 'init', node, '--root', simRoot,
    '--vg', opts.vg ?? 'vg', '--pool', opts.pool ?? 'thinpool', '--size', opts.size ?? '20G']);
}
