// What must hold after a chaos trial has converged, each failure a violation in words:
// - no workflow still running (besides the controller's long-lived auto-evict loop): every
//   operation completed or failed, none stuck;
// - every resource whose creation completed has its replica count, and its bytes read back on
//   every diskful replica; every restored resource holds the bytes of its source;
// - `ferry doctor` (grace 0) inspects every node and every remote and finds no drift: catalog ==
//   hosts (no orphan LVs, DRBD resources, .res files, ports or minors), no uncommitted backup
//   objects, no open multipart upload;
// - every backup that completed verifies (every part's checksum).
import type { Client } from '@temporalio/client';
import type { TestCluster } from '../../test/harness/cluster.js';

export interface TrackedResource {
  name: string;
  /** `ferry-sim io` pattern seed and length of the bytes it must hold. */
  pattern: string;
  length: number;
  /** diskful replicas it must have */
  replicas: number;
  /** its creation completed and the pattern was written: its data is checked */
  written: boolean;
}

const LONG_LIVED = new Set(['autoEvict']);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until<T>(timeoutMs: number, fn: () => Promise<T | null>): Promise<T | null> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn().catch(() => null);
    if (v !== null || Date.now() > deadline) return v;
    await sleep(1000);
  }
}

export async function checkInvariants(o: { cluster: TestCluster; temporal: Client; resources: TrackedResource[]; backups: { id: string; resource: string }[]; log: (l: string) => void }): Promise<string[]> {
  const { cluster, temporal } = o;
  const violations: string[] = [];

  // 1. converged: no operation left running
  let running: string[] = [];
  await until(120_000, async () => {
    running = [];
    for await (const w of temporal.workflow.list({ query: 'ExecutionStatus="Running"' })) if (!LONG_LIVED.has(w.type)) running.push(`${w.workflowId} (${w.type})`);
    return running.length === 0 ? true : null;
  });
  for (const w of running) violations.push(`stuck: ${w} still running after the trial converged`);

  // 2. replica counts and data on every replica
  for (const r of o.resources.filter((x) => x.written)) {
    const replicas = (await cluster.client.resources.list({ resources: [r.name] })).filter((x) => !x.flags.includes('DISKLESS')).map((x) => x.node_name);
    if (replicas.length < r.replicas) violations.push(`replicas: ${r.name} has ${replicas.length} diskful replica(s) (${replicas.join(', ') || 'none'}), wants ${r.replicas}`);
    for (const n of replicas) {
      // a resync still running after a move may need a moment
      let last = '';
      const okay = await until(30_000, async () => {
        const v = await cluster.sim(['io', 'verify', '--node', n, '--resource', r.name, '--pattern', r.pattern, '--length', String(r.length)]);
        last = `${String(v.stderr)}${String(v.stdout)}`.trim();
        return v.exitCode === 0 ? true : null;
      });
      if (!okay) violations.push(`checksum: ${r.name} on ${n} does not hold its data: ${last.slice(0, 200)}`);
    }
  }

  // 3. the doctor: catalog == hosts == buckets
  // every node back ONLINE first (an agent killed late in the trial reconnects): else it is "not inspected"
  const report = await until(90_000, async () => {
    const r = await cluster.client.doctor.check({ grace: '0s' });
    return r.nodes.every((n) => n.inspected) ? r : null;
  }) ?? await cluster.client.doctor.check({ grace: '0s' }).catch(() => null);
  if (!report) {
    violations.push('doctor: did not answer');
  } else {
    for (const n of report.nodes.filter((x) => !x.inspected)) violations.push(`doctor: node ${n.node} not inspected (${n.reason ?? '?'})`);
    for (const r of report.remotes.filter((x) => !x.inspected)) violations.push(`doctor: remote ${r.remote} not inspected (${r.reason ?? '?'})`);
    for (const d of [...report.drift, ...report.inFlight]) violations.push(`doctor: ${d.kind} ${d.object} on ${d.node ?? d.remote}: ${d.detail}`);
  }

  // 4. every completed backup verifies
  for (const b of o.backups) {
    const v = await cluster.client.backups.verify('bk', b.id).catch((e: unknown) => ({ ok: false, problems: [{ backupId: b.id, problem: (e as Error).message }] }));
    if (!v.ok) violations.push(`backup: ${b.id} does not verify: ${v.problems.map((p) => p.problem).join('; ').slice(0, 200)}`);
  }
  o.log(`  invariants: ${violations.length} violation(s)`);
  return violations;
}
