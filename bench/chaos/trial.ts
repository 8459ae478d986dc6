// One chaos trial: a fresh simulated cluster (test/harness/cluster.ts) on the suite's Temporal and
// S3 servers, a seeded random sequence of operations (create, snapshot, backup, restore, evacuate,
// disk migration) each hit by a random fault at a random moment, then convergence and the
// invariants (bench/chaos/invariants.ts).
import { Client, Connection } from '@temporalio/client';
import { CreateBucketCommand } from '@aws-sdk/client-s3';
import { createS3Client } from '../../bucket/s3.js';
import { ferryDataConverter } from '../../worker/payload-codec.js';
import { startTestCluster, type TestCluster } from '../../test/harness/cluster.js';
import type { Operation } from '../../client/ferry-client.js';
import { chooseFault, type FaultKind } from './faults.js';
import { checkInvariants, type TrackedResource } from './invariants.js';
import { seededRng, type Rng } from './rng.js';
import type { ChaosServices } from './services.js';

export const OPERATION_KINDS = ['create', 'snapshot', 'backup', 'restore', 'evacuate', 'migrate', 'schedule'] as const;
export type OperationKind = (typeof OPERATION_KINDS)[number];
export type Outcome = 'completed' | 'failed' | 'stuck' | 'refused';

export interface TrialOptions {
  seed: number;
  nodes: number;
  operations: number;
  /** Probability that an operation is hit by a fault. */
  faultRate: number;
  log: (line: string) => void;
}

export interface TrialResult {
  seed: number;
  durationMs: number;
  faults: Partial<Record<FaultKind, number>>;
  operations: Partial<Record<OperationKind, Partial<Record<Outcome, number>>>>;
  violations: string[];
}

const MiB = 1024 * 1024;
const VOLUME = 16 * MiB;
const DATA = 6 * MiB;
/** How long an operation may take once its fault has healed before it counts as stuck. */
const OPERATION_TIMEOUT_MS = 180_000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const SCHEDULE_ID = 'backup-schedule/bk/chaos';
const PASSPHRASE = 'chaos suite master passphrase';

/** Retries a call through restarts of the controller or the Temporal server. */
async function retrying<T>(what: string, fn: () => Promise<T>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await fn();
    } catch (e) {
      if (Date.now() > deadline) throw new Error(`${what}: ${(e as Error).message}`);
      await sleep(500);
    }
  }
}

class Trial {
  readonly faults: TrialResult['faults'] = {};
  readonly operations: TrialResult['operations'] = {};
  readonly violations: string[] = [];
  readonly resources = new Map<string, TrackedResource>();
  readonly backups: { id: string; resource: string }[] = [];
  private counter = 0;

  constructor(readonly cluster: TestCluster, readonly temporal: Client, readonly services: ChaosServices, readonly rng: Rng, readonly nodes: string[], readonly opts: TrialOptions) {}

  private count(kind: OperationKind, outcome: Outcome): void {
    const o = (this.operations[kind] ??= {});
    o[outcome] = (o[outcome] ?? 0) + 1;
  }

  /** Waits until the workflow has closed; its status, or 'stuck'. */
  async closed(workflowId: string): Promise<'completed' | 'failed' | 'stuck'> {
    const deadline = Date.now() + OPERATION_TIMEOUT_MS;
    for (;;) {
      const status = await retrying(`describe ${workflowId}`, async () => (await this.temporal.workflow.getHandle(workflowId).describe()).status.name);
      if (status === 'COMPLETED') return 'completed';
      if (status !== 'RUNNING') return 'failed';
      if (Date.now() > deadline) return 'stuck';
      await sleep(500);
    }
  }

  async allOnline(): Promise<void> {
    await retrying('every node ONLINE', async () => {
      const ns = await this.cluster.client.nodes.list();
      if (!ns.every((n) => n.connection_status === 'ONLINE')) throw new Error(ns.filter((n) => n.connection_status !== 'ONLINE').map((n) => `${n.name} ${n.connection_status}`).join(', '));
    }, 120_000);
  }

  /**
   * Starts an operation, maybe hits it with a fault after a random delay, heals the fault, and waits
   * for the operation to close. Returns its outcome.
   */
  async run<T>(kind: OperationKind, start: () => Promise<Operation<T>>): Promise<Outcome> {
    return (await this.runOp(kind, start)).outcome;
  }

  async runOp<T>(kind: OperationKind, start: () => Promise<Operation<T>>): Promise<{ outcome: Outcome; op?: Operation<T> }> {
    const fault = this.rng.chance(this.opts.faultRate) ? chooseFault(this.rng, this.cluster, this.services, this.nodes) : null;
    const delay = this.rng.int(0, 1500);
    let op: Operation<T>;
    try {
      op = await retrying(`start ${kind}`, start, 30_000);
    } catch (e) {
      this.opts.log(`  ${kind}: refused: ${(e as Error).message}`);
      this.count(kind, 'refused');
      return { outcome: 'refused' };
    }
    if (fault) {
      await sleep(delay);
      this.faults[fault.kind] = (this.faults[fault.kind] ?? 0) + 1;
      this.opts.log(`  ${kind} ${op.workflowId}: fault ${fault.what} after ${delay} ms`);
      await fault.inject();
      await fault.heal();
    }
    const outcome = await this.closed(op.workflowId);
    this.count(kind, outcome);
    this.opts.log(`  ${kind} ${op.workflowId}: ${outcome}`);
    if (outcome === 'stuck') this.violations.push(`stuck: ${op.workflowId} still running ${OPERATION_TIMEOUT_MS / 1000} s after its fault healed`);
    await this.allOnline();
    return { outcome, op };
  }

  healthy(): TrackedResource[] {
    return [...this.resources.values()].filter((r) => r.written);
  }

  async replicasOf(resource: string): Promise<{ node: string; diskless: boolean }[]> {
    const rs = await retrying('resource list', () => this.cluster.client.resources.list({ resources: [resource] }));
    return rs.map((r) => ({ node: r.node_name, diskless: r.flags.includes('DISKLESS') }));
  }

  async create(): Promise<void> {
    const name = `c${this.opts.seed % 1000}x${this.counter++}`;
    const replicas = this.rng.int(1, 2);
    const c = this.cluster.client;
    // the definition steps are quick: no fault there, the fault goes into the placement
    const rd = await retrying('rd create', () => c.resourceDefinitions.create({ name }));
    await rd.result();
    const vd = await retrying('vd create', () => c.volumeDefinitions.create({ resource: name, sizeBytes: VOLUME }));
    await vd.result();
    const outcome = await this.run('create', () => c.resources.autoPlace({ resource: name, placeCount: replicas, storagePool: 'pool1' }));
    const tracked: TrackedResource = { name, pattern: name, length: DATA, replicas, written: false };
    this.resources.set(name, tracked);
    if (outcome !== 'completed') return;
    const on = (await this.replicasOf(name)).find((r) => !r.diskless)!.node;
    const w = await this.cluster.sim(['io', 'write', '--node', on, '--resource', name, '--pattern', name, '--length', String(DATA)]);
    if (w.exitCode !== 0) {
      this.violations.push(`write: ${name} on ${on}: ${String(w.stderr)}`);
      return;
    }
    tracked.written = true;
  }

  async snapshot(): Promise<void> {
    const r = this.rng.pick(this.healthy());
    await this.run('snapshot', () => this.cluster.client.snapshots.create({ resource: r.name, snapshot: `s${this.counter++}` }));
  }

  async backup(): Promise<void> {
    const r = this.rng.pick(this.healthy());
    const { outcome, op } = await this.runOp('backup', () => this.cluster.client.backups.create({ remote: 'bk', resource: r.name }));
    if (outcome !== 'completed' || !op) return;
    const { id } = await retrying('backup result', () => op.result());
    this.backups.push({ id, resource: r.name });
  }

  async restore(): Promise<void> {
    const b = this.rng.pick(this.backups);
    const source = this.resources.get(b.resource)!;
    const target = `r${this.opts.seed % 1000}x${this.counter++}`;
    const node = this.rng.pick(this.nodes);
    const outcome = await this.run('restore', () => this.cluster.client.backups.restore({ remote: 'bk', node, targetResource: target, id: b.id, storagePool: 'pool1' }));
    // the restored resource holds the source's bytes as they were: the one write of its creation
    this.resources.set(target, { name: target, pattern: source.pattern, length: source.length, replicas: 1, written: outcome === 'completed' });
  }

  async evacuate(): Promise<void> {
    // a node that holds data: one of the diskful replicas of a resource with data
    const holder = this.rng.pick(this.healthy());
    const node = this.rng.pick((await this.replicasOf(holder.name)).filter((x) => !x.diskless).map((x) => x.node));
    const answer = await retrying('evacuate', () => this.cluster.client.evacuation.evacuate({ nodes: [node] })).catch((e: unknown) => e as Error);
    if (answer instanceof Error) {
      this.opts.log(`  evacuate ${node}: refused: ${answer.message}`);
      this.count('evacuate', 'refused');
      return;
    }
    const op = answer.operations[0]!;
    const outcome = await this.run('evacuate', async () => op);
    if (outcome === 'completed') await this.dataRightAfter(op.workflowId);
    const restore = await retrying('node restore', () => this.cluster.client.evacuation.restore(node));
    const r = await this.closed(restore.workflowId);
    if (r !== 'completed') this.violations.push(`node restore ${node}: ${r}`);
  }

  async migrate(): Promise<void> {
    const r = this.rng.pick(this.healthy());
    const replicas = await this.replicasOf(r.name);
    const from = replicas.filter((x) => !x.diskless).map((x) => x.node);
    const free = this.nodes.filter((n) => !replicas.some((x) => x.node === n));
    if (!from.length || !free.length) return;
    const to = this.rng.pick(free);
    const c = this.cluster.client;
    const diskless = await retrying('diskless replica', () => c.resources.create({ resource: r.name, nodes: [to], diskless: true }));
    if ((await this.closed(diskless.workflowId)) !== 'completed') {
      this.violations.push(`diskless replica of ${r.name} on ${to} did not complete without a fault`);
      return;
    }
    const { outcome, op } = await this.runOp('migrate', () => c.evacuation.toggleDisk({ resource: r.name, node: to, storagePool: 'pool1', migrateFrom: this.rng.pick(from) }));
    if (outcome === 'completed') await this.dataRightAfter(op!.workflowId, [r]);
  }

  /**
   * A move that completed has its new replica in sync: right away (no waiting for a resync), every
   * diskful replica holds the data. A move that removes the old replica first fails here.
   */
  async dataRightAfter(workflowId: string, which = this.healthy()): Promise<void> {
    for (const r of which) {
      const diskful = (await this.replicasOf(r.name)).filter((y) => !y.diskless).map((y) => y.node);
      // redundancy kept: every diskful replica UpToDate (3 s for a link a healed fault dropped to come back)
      let states: string[] = [];
      const deadline = Date.now() + 3000;
      for (;;) {
        states = await Promise.all(diskful.map(async (n) => `${n}:${await this.diskState(n, r.name)}`));
        if (states.every((x) => x.endsWith(':UpToDate')) || Date.now() > deadline) break;
        await sleep(250);
      }
      if (!states.every((x) => x.endsWith(':UpToDate'))) this.violations.push(`redundancy: right after ${workflowId} completed, ${r.name} is ${states.join(', ')}`);
      for (const x of diskful.map((node) => ({ node }))) {
        const v = await this.cluster.sim(['io', 'verify', '--node', x.node, '--resource', r.name, '--pattern', r.pattern, '--length', String(r.length)]);
        if (v.exitCode !== 0) this.violations.push(`data: right after ${workflowId} completed, ${r.name} on ${x.node} does not hold its data: ${String(v.stderr).trim().slice(0, 160)}`);
      }
    }
  }

  /** A run of the trial's backup schedule (every resource to the remote), triggered now. */
  async schedule(): Promise<void> {
    const handle = this.temporal.schedule.getHandle(SCHEDULE_ID);
    await this.run('schedule', async () => {
      const before = (await handle.describe()).info.recentActions.length;
      await handle.trigger();
      let id = '';
      const deadline = Date.now() + 30_000;
      while (!id) {
        const d = await handle.describe();
        if (d.info.recentActions.length > before) id = d.info.recentActions.at(-1)!.action.workflow.workflowId;
        else if (Date.now() > deadline) throw new Error('the triggered run did not start');
        else await sleep(250);
      }
      return this.cluster.client.operation(id);
    });
  }

  /** The local disk state of a resource on a node, as `drbdsetup status --json` says. */
  async diskState(node: string, resource: string): Promise<string> {
    const r = await this.cluster.host(node, 'drbdsetup', ['status', resource, '--json']);
    if (r.exitCode !== 0) return 'not-up';
    const [st] = JSON.parse(String(r.stdout)) as { devices?: { 'disk-state'?: string }[] }[];
    return st?.devices?.map((d) => d['disk-state'] ?? '?').join('/') || '?';
  }

  /** The next operation: one whose preconditions hold, chosen at random. */
  async step(): Promise<void> {
    const weights: Record<OperationKind, number> = {
      create: this.resources.size < 2 ? 10 : 2,
      snapshot: this.healthy().length ? 1 : 0,
      backup: this.healthy().length ? 2 : 0,
      restore: this.backups.length ? 2 : 0,
      evacuate: this.healthy().length ? 2 : 0,
      migrate: this.healthy().length ? 1 : 0,
      schedule: this.healthy().length ? 1 : 0,
    };
    const kind = this.rng.weighted(weights);
    this.opts.log(` op ${kind}`);
    await this[kind]();
  }
}

export async function runTrial(services: ChaosServices, opts: TrialOptions): Promise<TrialResult> {
  const started = Date.now();
  const rng = seededRng(opts.seed);
  const nodes = Array.from({ length: opts.nodes }, (_, i) => `node${i + 1}`);
  const cluster = await startTestCluster({
    nodes,
    offlineAfterMs: 4000,
    temporalAddress: services.temporalAddress,
    env: {
      FERRY_MASTER_PASSPHRASE: PASSPHRASE,
      FERRY_LOG_LEVEL: 'warn',
      // a resync takes a moment (6 MiB at 512 KiB/s), as on slow disks: skipping a wait shows.
      // drbd.conf's unit: a plain number is KiB/s
      FERRY_SIM_DRBD_RATE: '512K',
      FERRY_BACKUP_PART_SIZE: String(5 * MiB),
    },
  });
  const connection = await Connection.connect({ address: services.temporalAddress });
  // the controller's payload codec: a Schedule's action arguments are encrypted payloads
  const temporal = new Client({ connection, namespace: cluster.env.namespace, dataConverter: ferryDataConverter(PASSPHRASE) ?? {} });
  const trial = new Trial(cluster, temporal, services, rng, nodes, opts);
  try {
    await trial.allOnline();
    for (const n of nodes) {
      const sp = await cluster.client.storagePools.createLvmThin({ node: n, name: 'pool1', vg: 'vg', thinPool: 'thinpool' });
      await sp.result();
    }
    const s3 = createS3Client({ endpoint: services.s3.endpoint, accessKey: services.s3.accessKey, secretKey: services.s3.secretKey, region: 'us-east-1', forcePathStyle: true });
    const bucket = `chaos-${cluster.env.namespace.toLowerCase().replace(/[^a-z0-9-]/g, '')}`.slice(0, 60);
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    s3.destroy();
    const remote = await cluster.client.remotes.createS3({ name: 'bk', endpoint: services.s3.endpoint, bucket, region: 'us-east-1', accessKey: services.s3.accessKey, secretKey: services.s3.secretKey, usePathStyle: true });
    await remote.result();
    // a backup schedule enabled for the whole cluster; its cron (Sundays 03:00) does not fire
    // during a trial: the `schedule` operation triggers runs
    await (await cluster.client.schedules.create({ name: 'chaos', fullCron: '0 3 * * 0' })).result();
    await (await cluster.client.schedules.setEnabled({ remote: 'bk', schedule: 'chaos', enabled: true })).result();

    for (let i = 0; i < opts.operations; i++) await trial.step();
    trial.violations.push(...(await checkInvariants({ cluster, temporal, resources: [...trial.resources.values()], backups: trial.backups, log: opts.log })));
  } catch (e) {
    trial.violations.push(`trial aborted: ${(e as Error).stack ?? String(e)}`);
  } finally {
    await cluster.stop().catch(() => undefined);
    await connection.close().catch(() => undefined);
  }
  return { seed: opts.seed, durationMs: Date.now() - started, faults: trial.faults, operations: trial.operations, violations: trial.violations };
}
