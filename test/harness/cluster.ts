// A simulated ferry cluster for one test file: its own Temporal namespace on the run's server, its
// own catalog and simulated hosts, a real controller process and one real agent process per node.
import { Connection } from '@temporalio/client';
import { msToTs } from '@temporalio/common/lib/time.js';
import { existsSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa, type Result } from 'execa';
import { FerryClient } from '../../client/ferry-client.js';
import { usePostgres } from './postgres.js';
import {
  FERRY_BIN, FERRY_SIM_CLI, REPO, initSimHost, simAgentEnv, startAgent, startController, stopAgentByPid, type ClusterEnv, type ManagedProcess,
} from '../../sim/launcher.js';

// as scripts/stack.ts registers them on the dev server's default namespace
const KEYWORD = 2; // INDEXED_VALUE_TYPE_KEYWORD
const KEYWORD_LIST = 7; // INDEXED_VALUE_TYPE_KEYWORD_LIST
const SEARCH_ATTRIBUTES: Record<string, number> = {
  FerryResource: KEYWORD, FerryNode: KEYWORD_LIST, FerryRemote: KEYWORD, FerryOperation: KEYWORD, FerryPhase: KEYWORD,
};

export interface TestCluster {
  env: ClusterEnv;
  dir: string;
  client: FerryClient;
  controllerUrl: string;
  /** The controller's catalog: `sqlite:<file>` or `postgres://...` (a database of its own on the run's server). */
  catalogUrl: string;
  agents: Map<string, ManagedProcess>;
  controller: ManagedProcess;
  /** Runs the `ferry` CLI against this cluster. */
  ferry(args: string[], opts?: { env?: Record<string, string> }): Promise<Result>;
  /** Runs `ferry-sim` on this cluster's simulated hosts (with FERRY_CONTROLLERS/TEMPORAL_* of this cluster). */
  sim(args: string[]): Promise<Result>;
  /** Runs a simulated host tool (`drbdsetup`, `lvs`...) on `node`, as its agent would. */
  host(node: string, tool: string, args: string[]): Promise<Result>;
  startAgent(node: string): ManagedProcess;
  stopAgent(node: string, signal?: NodeJS.Signals): Promise<void>;
  restartController(signal?: NodeJS.Signals): Promise<void>;
  /** Waits until `check` is true, polling. */
  eventually(what: string, check: () => Promise<boolean>, timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

export async function createNamespace(address: string, namespace: string): Promise<void> {
  const conn = await Connection.connect({ address });
  try {
    await conn.workflowService.registerNamespace({ namespace, workflowExecutionRetentionPeriod: msToTs("1 day") });
    await conn.operatorService.addSearchAttributes({
      namespace,
      searchAttributes: SEARCH_ATTRIBUTES,
    });
  } finally {
    await conn.close();
  }
}

export async function eventually(what: string, check: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      if (await check()) return;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting until ${what}${last ? ` (last error: ${(last as Error).message})` : ''}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

export async function startTestCluster(opts: { nodes: string[]; offlineAfterMs?: number; createNodes?: boolean; catalog?: 'sqlite' | 'postgres'; /** extra environment of the controller and agents */ env?: Record<string, string>;
  /** FERRY_API_TOKEN of the agents, the CLI and `client`, when the controller wants tokens (api/auth.ts) */ token?: string;
  /** a Temporal server of the test's own (default: the run's shared one) */ temporalAddress?: string }): Promise<TestCluster> {
  const temporalAddress = opts.temporalAddress ?? process.env.FERRY_TEST_TEMPORAL_ADDRESS;
  const runDir = process.env.FERRY_TEST_RUN_DIR;
  if (!temporalAddress || !runDir) throw new Error('integration tests need the harness (jest project "integration")');
  const dir = mkdtempSync(join(runDir, 'cluster-'));
  // which story this cluster is, for global-teardown.mjs when the story fails (jest's global expect;
  // the chaos suite runs this harness outside jest, without one)
  const testPath = (globalThis as { expect?: { getState(): { testPath?: string } } }).expect?.getState().testPath;
  if (testPath) writeFileSync(join(dir, 'story'), `${testPath}\n`);
  const namespace = `ferry-${dir.split('-').pop()!.toLowerCase()}`;
  await createNamespace(temporalAddress, namespace);
  const env: ClusterEnv = {
    temporalAddress,
    namespace,
    simRoot: join(dir, 'sim'),
    logDir: join(dir, 'logs'),
    extraEnv: {
      FERRY_AGENT_HEARTBEAT_MS: '500',
      FERRY_NODE_OFFLINE_AFTER_MS: String(opts.offlineAfterMs ?? 3000),
      FERRY_LOG_LEVEL: 'info',
      ...(opts.env ?? {}),
      ...(opts.token ? { FERRY_API_TOKEN: opts.token } : {}),
    },
  };
  const catalog = opts.catalog === 'postgres' ? await (await usePostgres()).createDatabase(`catalog_${namespace}`) : `sqlite:${join(dir, 'catalog.sqlite')}`;
  await Promise.all(opts.nodes.map((n) => initSimHost(env.simRoot, n)));
  let controller = await startController({ ...env, catalog });
  const controllerUrl = controller.url;
  const client = new FerryClient({ controllers: [controllerUrl], ...(opts.token ? { token: opts.token } : {}) });
  if (opts.createNodes !== false) {
    for (const [i, n] of opts.nodes.entries()) await (await client.nodes.create({ name: n, address: `127.0.0.${11 + i}` })).result();
  }
  const agents = new Map<string, ManagedProcess>();
  const cluster: TestCluster = {
    env,
    dir,
    client,
    controllerUrl,
    catalogUrl: catalog,
    agents,
    get controller() {
      return controller;
    },
    ferry: (args, o) => execa(process.execPath, [FERRY_BIN, ...args], { reject: false, env: { FERRY_CONTROLLERS: controllerUrl, ...(opts.token ? { FERRY_API_TOKEN: opts.token } : {}), ...(o?.env ?? {}) } }),
    sim: (args) => execa(process.execPath, [FERRY_SIM_CLI, ...args, '--root', env.simRoot], {
      reject: false,
      env: { FERRY_CONTROLLERS: controllerUrl, FERRY_TEMPORAL_ADDRESS: temporalAddress, FERRY_TEMPORAL_NAMESPACE: namespace, ...env.extraEnv },
    }),
    host: (node, tool, args) => execa(process.execPath, [join(REPO, 'dist', 'sim', 'main.js'), tool, ...args], { reject: false, env: simAgentEnv(env, node, [controllerUrl]) }),
    startAgent(node) {
      const a = startAgent(env, node, [controllerUrl]);
      agents.set(node, a);
      return a;
    },
    async stopAgent(node, signal = 'SIGTERM') {
      await agents.get(node)?.stop(signal);
      agents.delete(node);
    },
    async restartController(signal = 'SIGTERM') {
      await controller.stop(signal);
      const port = Number(new URL(controllerUrl).port);
      controller = await startController({ ...env, catalog, apiPort: port });
    },
    eventually,
    async stop() {
      await Promise.all([...agents.values()].map((a) => a.stop()));
      // agents started by `ferry-sim node add|start` (detached), found by their pid files
      if (existsSync(env.simRoot)) await Promise.all(readdirSync(env.simRoot).map((n) => stopAgentByPid(env.simRoot, n)));
      await controller.stop();
    },
  };
  for (const n of opts.nodes) cluster.startAgent(n);
  return cluster;
}
