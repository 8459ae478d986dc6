// A simulated ferry cluster for a benchmark: its own Temporal dev server (headless, free port), then
// the test harness's cluster (test/harness/cluster.ts: catalog, controller, sim hosts, agents), and
// the CPU time each of those processes used (from /proc), so figures can say where the time went.
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTemporal, type TemporalService } from '../scripts/stack.js';
import { startTestCluster, type TestCluster } from '../test/harness/cluster.js';
import { readAgentPid } from '../sim/launcher.js';

export interface BenchCluster {
  cluster: TestCluster;
  temporal: TemporalService;
  /** CPU seconds (user+system) used so far by: temporal, controller, agents (sum), netproxies with the tool servers (sum). */
  cpu(): Record<'temporal' | 'controller' | 'agents' | 'toolServers', number>;
  stop(): Promise<void>;
}

const TICKS = 100; // USER_HZ on Linux

/** The p-th percentile of `xs` (nearest rank, 0 when empty). */
export function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? 0;
}

export function cpuSeconds(pid: number | undefined | null): number {
  if (!pid) return 0;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // fields after "(comm)": state is f[0]; utime = field 14 => f[11], stime = f[12]
    return (Number(f[11]) + Number(f[12])) / TICKS;
  } catch {
    return 0;
  }
}

/** CPU seconds of `pid` and all its live descendants (the Temporal CLI wrapper runs the server as a child). */
export function cpuTreeSeconds(pid: number | undefined | null): number {
  if (!pid) return 0;
  const children = new Map<number, number[]>();
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      const list = children.get(ppid) ?? [];
      list.push(Number(d));
      children.set(ppid, list);
    } catch {
      /* exited */
    }
  }
  let total = 0;
  const todo = [pid];
  while (todo.length) {
    const p = todo.pop()!;
    total += cpuSeconds(p);
    todo.push(...(children.get(p) ?? []));
  }
  return total;
}

export async function startBenchCluster(opts: { nodes: string[]; env?: Record<string, string> }): Promise<BenchCluster> {
  const runDir = mkdtempSync(join(tmpdir(), 'ferry-bench-'));
  const temporal = await startTemporal({ dataDir: join(runDir, 'temporal'), headless: true });
  process.env.FERRY_TEST_RUN_DIR = runDir;
  process.env.FERRY_TEST_TEMPORAL_ADDRESS = temporal.address;
  let cluster: TestCluster;
  try {
    cluster = await startTestCluster({ nodes: opts.nodes, offlineAfterMs: 15_000, env: { FERRY_LOG_LEVEL: 'warn', ...(opts.env ?? {}) } });
    const deadline = Date.now() + 120_000;
    while (!(await cluster.client.nodes.list()).every((n) => n.connection_status === 'ONLINE')) {
      if (Date.now() > deadline) throw new Error('nodes did not come ONLINE within 120 s');
      await new Promise((r) => setTimeout(r, 250));
    }
  } catch (e) {
    await temporal.stop();
    throw e;
  }
  const c = cluster;
  return {
    cluster: c,
    temporal,
    cpu() {
      const agents = opts.nodes.map((n) => readAgentPid(c.env.simRoot, n));
      return {
        temporal: cpuTreeSeconds(temporal.process.pid),
        controller: cpuSeconds(c.controller.child.pid),
        agents: agents.reduce((s, a) => s + cpuSeconds(a?.pid), 0),
        toolServers: agents.reduce((s, a) => s + cpuSeconds(a?.proxyPid), 0),
      };
    },
    async stop() {
      await c.stop();
      await temporal.stop();
      rmSync(runDir, { recursive: true, force: true });
    },
  };
}
