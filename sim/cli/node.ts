// ferry-sim node add|stop|start|remove NAME: simulated hosts of a *running* cluster and their agents
// (the local one of `npm start` by default), and `ferry-sim netproxy NODE`, the process an agent
// runs under (sim/launcher.ts runProxiedAgent: the agent's network, cut by `ferry-sim net cut`).
// The launcher and the REST client are imported when a command runs, so other ferry-sim commands
// do not pay for loading them.
import fs from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { simNodeDir } from '../paths.js';
import type { GlobalOptions } from './program.js';

interface ClusterOptions {
  controllers: string;
  temporalAddress: string;
  namespace: string;
  logDir?: string;
}

function clusterOptions(cmd: Command): Command {
  return cmd
    .option('--controllers <urls>', 'REST endpoints of the controllers, comma separated (default: $FERRY_CONTROLLERS or http://127.0.0.1:3370)')
    .option('--temporal-address <host:port>', 'Temporal frontend (default: $FERRY_TEMPORAL_ADDRESS or 127.0.0.1:7233)')
    .option('--namespace <ns>', 'Temporal namespace (default: $FERRY_TEMPORAL_NAMESPACE or default)')
    .option('--log-dir <dir>', "where the agent's log goes (default: <root>/../logs)");
}

/**
 * The cluster's master passphrase for an agent started here: $FERRY_MASTER_PASSPHRASE (inherited),
 * else the file `npm start` keeps next to the simulated hosts (`<root>/../master-passphrase`).
 * Without it the agent cannot read the controller's encrypted payloads and every task of its node fails.
 */
function masterPassphraseEnv(root: string): Record<string, string> {
  if (process.env.FERRY_MASTER_PASSPHRASE) return {};
  const file = path.join(root, '..', 'master-passphrase');
  return fs.existsSync(file) ? { FERRY_MASTER_PASSPHRASE: fs.readFileSync(file, 'utf8').trim() } : {};
}

function resolveCluster(o: Partial<ClusterOptions>, root: string) {
  const controllers = (o.controllers ?? process.env.FERRY_CONTROLLERS ?? 'http://127.0.0.1:3370').split(',').map((x) => x.trim()).filter(Boolean);
  return {
    controllers,
    env: {
      temporalAddress: o.temporalAddress ?? process.env.FERRY_TEMPORAL_ADDRESS ?? '127.0.0.1:7233',
      namespace: o.namespace ?? process.env.FERRY_TEMPORAL_NAMESPACE ?? 'default',
      ...(process.env.FERRY_TASK_QUEUE_PREFIX ? { taskQueuePrefix: process.env.FERRY_TASK_QUEUE_PREFIX } : {}),
      simRoot: root,
      logDir: path.resolve(o.logDir ?? path.join(root, '..', 'logs')),
      extraEnv: masterPassphraseEnv(root),
    },
  };
}

/** The controller's API token, when it wants one (FERRY_API_TOKEN, as for the ferry CLI). */
const apiToken = (): { token?: string } => (process.env.FERRY_API_TOKEN ? { token: process.env.FERRY_API_TOKEN } : {});

const say = (m: string) => process.stdout.write(`${m}\n`);

async function startDetached(root: string, node: string, o: Partial<ClusterOptions>): Promise<void> {
  const launcher = await import('../launcher.js');
  const running = launcher.readAgentPid(root, node);
  if (running) {
    say(`agent of ${node} runs already (pid ${running.pid})`);
    return;
  }
  const { controllers, env } = resolveCluster(o, root);
  const proc = launcher.startAgent(env, node, controllers, { detached: true });
  const f = await launcher.waitForAgent(root, node, 30_000, proc);
  say(`agent of ${node} started (pid ${f.pid}; log ${path.join(env.logDir, `agent-${node}.log`)})`);
}

function needNode(root: string, node: string): string {
  const dir = simNodeDir(node, root);
  if (!fs.existsSync(dir)) throw new Error(`no simulated node ${node} under ${root} (ferry-sim node add ${node})`);
  return dir;
}

export function register(program: Command, globals: () => GlobalOptions): void {
  const node = program.command('node').description("simulated hosts of a running cluster, and their agents");

  clusterOptions(
    node
      .command('add')
      .description('a new simulated host (disk, VG, thin pool), its agent, and `ferry node create` unless the node exists')
      .argument('<node>', 'node name')
      .option('--address <ip>', 'node address (default: the next free 127.0.0.x from .11)')
      .option('--vg <name>', 'volume group name', 'vg')
      .option('--pool <name>', 'thin pool name', 'thinpool')
      .option('--size <size>', 'size of the node disk / volume group', '20G'),
  ).action(async (name: string, o: ClusterOptions & { address?: string; vg: string; pool: string; size: string }) => {
    const { root } = globals();
    const { initSimHost } = await import('../launcher.js');
    const { FerryClient } = await import('../../client/ferry-client.js');
    await initSimHost(root, name, { vg: o.vg, pool: o.pool, size: o.size });
    say(`simulated host ${name}: ${o.vg}/${o.pool} in ${simNodeDir(name, root)}`);
    const { controllers } = resolveCluster(o, root);
    const client = new FerryClient({ controllers, timeoutMs: 60_000, ...apiToken() });
    const known = await client.nodes.list();
    if (known.some((n) => n.name === name)) {
      say(`node ${name} is in the catalog already`);
    } else {
      const address = o.address ?? nextAddress(known.flatMap((n) => n.net_interfaces.map((i) => i.address)));
      await (await client.nodes.create({ name, address })).result();
      say(`node ${name} created (${address})`);
    }
    await startDetached(root, name, o);
  });

  clusterOptions(
    node.command('start').description("start the node's agent again (detached)").argument('<node>', 'node name'),
  ).action(async (name: string, o: ClusterOptions) => {
    const { root } = globals();
    needNode(root, name);
    await startDetached(root, name, o);
  });

  node
    .command('stop')
    .description("stop the node's agent (SIGTERM; --kill: SIGKILL, a crash)")
    .argument('<node>', 'node name')
    .option('--kill', 'SIGKILL instead of SIGTERM')
    .action(async (name: string, o: { kill?: boolean }) => {
      const { root } = globals();
      needNode(root, name);
      const { stopAgentByPid } = await import('../launcher.js');
      const f = await stopAgentByPid(root, name, o.kill ? 'SIGKILL' : 'SIGTERM');
      say(f ? `agent of ${name} ${o.kill ? 'killed' : 'stopped'} (pid ${f.pid})` : `agent of ${name} was not running`);
    });

  clusterOptions(
    node
      .command('remove')
      .description('stop the agent and delete the simulated host (refused while the catalog has resources on it)')
      .argument('<node>', 'node name')
      .option('--force', 'remove even with resources on it, or with no controller to ask'),
  ).action(async (name: string, o: ClusterOptions & { force?: boolean }) => {
    const { root } = globals();
    const dir = needNode(root, name);
    const { FerryClient } = await import('../../client/ferry-client.js');
    const { stopAgentByPid } = await import('../launcher.js');
    if (!o.force) {
      const { controllers } = resolveCluster(o, root);
      let names: string[];
      try {
        names = (await new FerryClient({ controllers, timeoutMs: 30_000, ...apiToken() }).resources.list({ nodes: [name] })).filter((r) => r.node_name === name).map((r) => r.name);
      } catch (e) {
        throw new Error(`cannot ask the controller for resources on ${name}: ${(e as Error).message}; --force removes it anyway`);
      }
      if (names.length) {
        process.stderr.write(`ferry-sim: node ${name} still has resources: ${names.join(', ')}; delete them first (ferry r d ${name} RES) or give --force\n`);
        process.exitCode = 1;
        return;
      }
    }
    const f = await stopAgentByPid(root, name, 'SIGTERM');
    if (f) say(`agent of ${name} stopped (pid ${f.pid})`);
    fs.rmSync(dir, { recursive: true, force: true });
    say(`simulated host ${name} removed; it stays in the catalog (OFFLINE) until \`ferry node delete ${name}\``);
  });

  program
    .command('netproxy')
    .description("run NODE's agent behind its network proxy (started by the launcher; ends with the agent)")
    .argument('<node>', 'node name')
    .action(async (name: string) => {
      const { root } = globals();
      const { runProxiedAgent } = await import('../launcher.js');
      process.exitCode = await runProxiedAgent(root, name);
    });

  program
    .command('tool-server')
    .description('serve the simulated tools of every node under --root (what the launcher runs next to each agent); prints host:port, runs until stopped')
    .action(async () => {
      const { root } = globals();
      const { startToolServer } = await import('../tool-server.js');
      const server = await startToolServer({ simRoot: root });
      process.stdout.write(`${server.address}\n`);
      const stop = () => void server.close().then(() => process.exit(0));
      process.once('SIGTERM', stop);
      process.once('SIGINT', stop);
    });
}

/** The next free 127.0.0.x, from .11 up (the addresses `npm start` and the test harness give). */
export function nextAddress(taken: string[]): string {
  const used = new Set(taken);
  for (let x = 11; x < 255; x++) if (!used.has(`127.0.0.${x}`)) return `127.0.0.${x}`;
  throw new Error('no free 127.0.0.x address left');
}
