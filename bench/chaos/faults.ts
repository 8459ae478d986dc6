// The faults a chaos trial injects while an operation runs, each with its healing: kill -9 of an
// agent or of the controller (then started again), a restart of the Temporal server or of the S3
// server, a host command failing (`ferry-sim fault`), a host command killed mid-way (at one of its
// writes of host state: the kill that once left a thin pool sharing a chunk between two LVs), a thin
// pool nearly full, a network cut.
import type { TestCluster } from '../../test/harness/cluster.js';
import type { Rng } from './rng.js';
import type { ChaosServices } from './services.js';

export const FAULT_KINDS = ['agent-kill', 'controller-kill', 'temporal-restart', 's3-restart', 'host-command', 'tool-crash', 'pool-full', 'net-cut'] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

export interface Fault {
  kind: FaultKind;
  /** What exactly, for the log: `agent-kill node2`, `host-command node1 drbdadm adjust`. */
  what: string;
  inject(): Promise<void>;
  heal(): Promise<void>;
}

/** Host commands a fault makes fail once (words that must appear in the call). */
const HOST_COMMANDS: string[][] = [['lvcreate'], ['lvremove'], ['drbdadm', 'adjust'], ['drbdadm', 'create-md'], ['drbdsetup', 'status'], ['thin_send'], ['thin_recv'], ['lvs']];

/** Host commands that change host state, killed by a `tool-crash` fault before one of their writes. */
const STATE_WRITERS: string[][] = [['drbdsetup', 'status'], ['drbdadm', 'status'], ['drbdadm', 'adjust'], ['lvcreate'], ['lvremove'], ['thin_recv']];

async function sim(cluster: TestCluster, args: string[]): Promise<void> {
  const r = await cluster.sim(args);
  if (r.exitCode !== 0) throw new Error(`ferry-sim ${args.join(' ')}: exit ${r.exitCode}: ${String(r.stderr)}`);
}

export function chooseFault(rng: Rng, cluster: TestCluster, services: ChaosServices, nodes: string[]): Fault {
  const kind = rng.pick(FAULT_KINDS);
  const node = rng.pick(nodes);
  const downMs = rng.int(300, 3000);
  const sleep = () => new Promise((r) => setTimeout(r, downMs));
  switch (kind) {
    case 'agent-kill':
      return {
        kind, what: `${kind} ${node} (${downMs} ms down)`,
        inject: () => cluster.stopAgent(node, 'SIGKILL'),
        heal: async () => {
          await sleep();
          cluster.startAgent(node);
        },
      };
    case 'controller-kill':
      return {
        kind, what: `${kind} (${downMs} ms down)`,
        inject: () => cluster.controller.stop('SIGKILL'),
        heal: async () => {
          await sleep();
          await cluster.restartController();
        },
      };
    case 'temporal-restart':
      return { kind, what: `${kind} (${downMs} ms down)`, inject: () => services.restartTemporal(downMs), heal: async () => undefined };
    case 's3-restart':
      return { kind, what: `${kind} (${downMs} ms down)`, inject: () => services.restartS3(downMs), heal: async () => undefined };
    case 'host-command': {
      const cmd = rng.pick(HOST_COMMANDS);
      return {
        kind, what: `${kind} ${node} ${cmd.join(' ')}`,
        inject: () => sim(cluster, ['fault', 'add', node, ...cmd, '--times', '1', '--exit-code', '5', '--stderr', 'chaos: injected failure']),
        heal: async () => {
          await sleep();
          await sim(cluster, ['fault', 'clear', node]);
        },
      };
    }
    case 'tool-crash': {
      const cmd = rng.pick(STATE_WRITERS);
      const at = rng.int(1, 6);
      return {
        kind, what: `${kind} ${node} ${cmd.join(' ')} (killed before write ${at})`,
        inject: () => sim(cluster, ['fault', 'add', node, ...cmd, '--times', '2', '--crash-at-write', String(at)]),
        heal: async () => {
          await sleep();
          await sim(cluster, ['fault', 'clear', node]);
        },
      };
    }
    case 'pool-full':
      return {
        kind, what: `${kind} ${node} (8 MiB left)`,
        inject: () => sim(cluster, ['pool', 'fill', node, 'vg/thinpool', '--remaining', '8M']),
        heal: async () => {
          await sleep();
          await sim(cluster, ['pool', 'unfill', node, 'vg/thinpool']);
        },
      };
    case 'net-cut':
      return {
        kind, what: `${kind} ${node} (${downMs} ms)`,
        inject: () => sim(cluster, ['net', 'cut', node]),
        heal: async () => {
          await sleep();
          await sim(cluster, ['net', 'heal', node]);
        },
      };
  }
}
