// The new operator's story of issue 9, end to end on three simulated hosts and the run's S3 server:
// an evacuation started with --no-wait, found with `ferry operation list` and by the FerryNode search
// attribute (the Web UI's filter), watched to its end; a backup that fails on a wrong S3 key, found
// and explained with `ferry error-reports show` (node, time, the failed S3 request, a link to the
// operation in the Web UI, no secret); the controller's and the shipping agent's metrics showing the
// backup's bytes and duration. Then every kind of operation the CLI starts is run once and each
// workflow of the namespace, running or closed, is asked its `progress` through the Temporal server:
// all answer core/progress's shape, with current details for the Web UI, and a static summary when
// started through the REST API. A host added with `ferry-sim node add` to such a cluster (payloads
// encrypted) finds the cluster's master passphrase and works.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { Client, Connection } from '@temporalio/client';
import { startTestCluster, type TestCluster } from '../harness/cluster.js';
import { agentMetricsUrl, metricValue, ok as succeeded, scrapeMetrics, triggerSchedule } from '../harness/checks.js';
import { createTestBucket, MiB, s3ConfigFromEnv, s3FromEnv } from './backup-s3-env.js';
import { FERRY_SIM_CLI } from '../../sim/launcher.js';
import { ferryDataConverter } from '../../worker/payload-codec.js';
import { asOperationProgress } from '../../core/progress.js';
import * as workflows from '../../workflows/index.js';

const PASSPHRASE = 'operator-story master passphrase';
const WRONG_SECRET = 'wrong-secret-key-0f9e8d7c';
const nodes = ['node1', 'node2', 'node3'];
const s3cfg = s3ConfigFromEnv();
let cluster: TestCluster;
let conn: Connection;
let temporal: Client;
let bucket: string;

/** A command that must succeed; progress lines on stderr (some commands follow their operation there) are fine. */
async function ok(args: string[]) {
  const r = await cluster.ferry(args);
  expect({ args: args.join(' '), code: r.exitCode, err: String(r.stderr).match(/ERROR.*/)?.[0] ?? '' }).toEqual({ args: args.join(' '), code: 0, err: '' });
  return r;
}

/** The value of one sample of a Prometheus text (labels matched as a subset), or 0 when absent. */
const sample = (text: string, name: string, labels: Record<string, string>): number => metricValue(text, name, labels) ?? 0;
const scrape = scrapeMetrics;
const agentMetrics = (node: string) => agentMetricsUrl(cluster, node);

beforeAll(async () => {
  cluster = await startTestCluster({ nodes, offlineAfterMs: 5000, env: { FERRY_MASTER_PASSPHRASE: PASSPHRASE, FERRY_BACKUP_PART_SIZE: String(5 * MiB) } });
  conn = await Connection.connect({ address: cluster.env.temporalAddress });
  temporal = new Client({ connection: conn, namespace: cluster.env.namespace, dataConverter: ferryDataConverter(PASSPHRASE) ?? {} });
  bucket = await createTestBucket(s3FromEnv(), 'operator');
  await cluster.eventually('all nodes are ONLINE', async () => (await cluster.client.nodes.list()).every((n) => n.connection_status === 'ONLINE'), 60_000);
  for (const n of nodes) await ok(['sp', 'c', 'lvmthin', n, 'pool1', 'vg/thinpool']);
  for (const rsc of ['ev0', 'ev1']) {
    await ok(['rd', 'c', rsc]);
    await ok(['vd', 'c', rsc, '32M']);
    await ok(['r', 'c', 'node1', 'node2', rsc, '-s', 'pool1']);
    succeeded(await cluster.sim(['io', 'write', '--node', 'node1', '--resource', rsc, '--pattern', '7', '--length', '4M']));
  }
}, 180_000);

afterAll(async () => {
  await conn?.close();
  await cluster?.stop();
});

describe('a new operator follows an evacuation, finds why a backup failed, and graphs the backups', () => {
  it('starts the evacuation of node2 with --no-wait: the operation id, at once', async () => {
    // slow adjusts on node3 (the only place the replicas can go) keep the evacuation running a while
    succeeded(await cluster.sim(['fault', 'add', 'node3', 'drbdadm', 'adjust', '--times', '2', '--delay-ms', '3000']));
    const r = await cluster.ferry(['node', 'evacuate', 'node2', '--no-wait']);
    expect({ code: r.exitCode, out: String(r.stdout).trim(), err: r.stderr }).toEqual({ code: 0, out: 'evacuate/node2', err: '' });
  });

  it('finds it with `ferry operation list` (running, by node) and with the Web UI\'s filter FerryNode="node2"', async () => {
    const running = JSON.parse(String((await ok(['op', 'list', '--running', '-m'])).stdout)) as { workflow_id: string; operation: string | null; nodes: string[] }[];
    expect(running.find((o) => o.workflow_id === 'evacuate/node2')).toMatchObject({ operation: 'node-evacuate', nodes: expect.arrayContaining(['node2']) });
    const table = await ok(['op', 'list', '--node', 'node2']);
    expect(table.stdout).toMatch(/┊ evacuate\/node2 +┊ evacuateNode +┊ (RUNNING|COMPLETED) +┊ node2(,node3)? /);
    const ids: string[] = [];
    for await (const w of temporal.workflow.list({ query: 'FerryNode="node2"' })) ids.push(w.workflowId);
    expect(ids).toContain('evacuate/node2');
    // what the Web UI shows on the operation's page: its summary, the plan, and the live progress
    const d = await temporal.workflow.getHandle('evacuate/node2').describe();
    expect(await d.staticSummary()).toBe('Evacuate node node2: move its resources to other nodes');
    expect(await d.staticDetails()).toMatch(/^- `ev0`: MOVE to node3$/m);
  });

  it('watches it to the end: progress lines of the shared shape, then SUCCESS; node2 holds nothing', async () => {
    const w = await cluster.ferry(['op', 'watch', 'evacuate/node2']);
    expect({ code: w.exitCode, err: w.stderr }).toEqual({ code: 0, err: '' });
    expect(w.stdout).toMatch(/^evacuate\/node2: (moving resources|looking for resources on the node): [0-2]\/2 resources/m);
    expect(w.stdout).toMatch(/SUCCESS: operation evacuate\/node2 completed\./);
    // the node it moved the resources to finds it too
    const toNode3: string[] = [];
    for await (const w of temporal.workflow.list({ query: 'FerryNode="node3"' })) toNode3.push(w.workflowId);
    expect(toNode3).toContain('evacuate/node2');
    const p = asOperationProgress(await temporal.workflow.getHandle('evacuate/node2').query('progress'));
    expect(p).toMatchObject({ phase: 'done', done: 2, total: 2, unit: 'resources' });
    const all = await cluster.client.resources.list();
    expect(all.filter((r) => r.node_name === 'node2')).toEqual([]);
    // the replacements are listed with the disk state their hosts reported, not Unknown
    const moved = all.filter((r) => r.node_name === 'node3').map((r) => [r.name, r.volumes.map((v) => v.state.disk_state)]);
    expect(moved).toEqual([['ev0', ['UpToDate']], ['ev1', ['UpToDate']]]);
  });

  let failedBackup = '';
  it('a backup to a remote with a wrong secret key fails, saying access denied', async () => {
    await ok(['remote', 'create', 's3', 'wrongkey', s3cfg.endpoint, bucket, 'us-east-1', s3cfg.accessKey, WRONG_SECRET, '--use-path-style']);
    const r = await cluster.ferry(['backup', 'create', 'wrongkey', 'ev0']);
    expect(r.exitCode).not.toBe(0);
    expect(r.stderr).toMatch(/remote 'wrongkey'.*access denied/);
    const failed = JSON.parse(String((await ok(['op', 'list', '--failed', '--resource', 'ev0', '-m'])).stdout)) as { workflow_id: string; type: string }[];
    failedBackup = failed.find((o) => o.type === 'backupCreate')?.workflow_id ?? '';
    expect(failedBackup).toMatch(/^backup\/ev0\/back_\d{8}_\d{6}$/);
  });

  it('`ferry error-reports show` tells why: node, time, the S3 request, HTTP status, a link to the operation; no key', async () => {
    let id = '';
    await cluster.eventually('an error report of the shipment exists', async () => {
      const reports = JSON.parse(String((await ok(['err', 'list', '-m'])).stdout)) as { id: string; workflowId: string; source: string; node: string | null }[];
      id = reports.find((x) => x.workflowId === failedBackup && x.source === 'activity' && x.node !== null)?.id ?? '';
      return id !== '';
    }, 30_000);
    const show = await ok(['err', 'show', id]);
    const out = String(show.stdout);
    expect(out).toMatch(/^Node: +node[13]$/m);
    expect(out).toContain(`Operation:     ${failedBackup} (backupCreate)`);
    expect(out).toMatch(/^Failed in: +activity backupShipVolume, attempt 1$/m);
    expect(out).toMatch(/^First seen: +\d{4}-\d\d-\d\d \d\d:\d\d:\d\d/m);
    // the S3 request that was refused stands where a host command's line, exit code and stderr would
    expect(out).toMatch(/^Message: +remote 'wrongkey': S3 \w+ s3:\/\/ferry-operator-\w+\S* failed: access denied/m);
    expect(out).toMatch(/^Command: +S3 \w+ s3:\/\/ferry-operator-\w+/m);
    expect(out).toMatch(/^Stderr \(tail\):\n +HTTP 403\b/m);
    expect(out).toContain(`Web UI:        http://localhost:8233/namespaces/${cluster.env.namespace}/workflows/${encodeURIComponent(failedBackup)}/`);
    expect(out).not.toContain(WRONG_SECRET);
    expect(out).not.toContain(s3cfg.secretKey);
  });

  it('the controller\'s and the shipping agent\'s /metrics show a good backup\'s bytes and duration, and the failure\'s reason', async () => {
    await ok(['remote', 'create', 's3', 'bk', s3cfg.endpoint, bucket, 'us-east-1', s3cfg.accessKey, s3cfg.secretKey, '--use-path-style']);
    const b = await ok(['backup', 'create', 'bk', 'ev0', '-m']);
    const { result } = JSON.parse(String(b.stdout)) as { result: { node: string; volumes: { compressedBytes: number; uncompressedBytes: number }[] } };
    const stored = result.volumes.reduce((a, v) => a + v.compressedBytes, 0);
    const read = result.volumes.reduce((a, v) => a + v.uncompressedBytes, 0);
    expect(stored).toBeGreaterThan(0);
    await cluster.eventually('the controller counted the backup', async () => sample(await scrape(`${cluster.controllerUrl}/metrics`), 'ferry_backups_total', { outcome: 'completed' }) >= 1, 10_000);
    const c = await scrape(`${cluster.controllerUrl}/metrics`);
    expect(sample(c, 'ferry_backups_total', { outcome: 'completed', mode: 'full' })).toBe(1);
    expect(sample(c, 'ferry_backup_bytes_total', { kind: 'stored' })).toBe(stored);
    expect(sample(c, 'ferry_backup_bytes_total', { kind: 'uncompressed' })).toBe(read);
    expect(sample(c, 'ferry_backup_duration_seconds_count', { outcome: 'completed' })).toBe(1);
    expect(sample(c, 'ferry_backup_duration_seconds_sum', { outcome: 'completed' })).toBeGreaterThan(0);
    expect(sample(c, 'ferry_backups_total', { outcome: 'failed' })).toBe(1);
    expect(sample(c, 'ferry_backup_failures_total', { reason: 'ValidationError' })).toBe(1);
    const a = await scrape(agentMetrics(result.node));
    expect(sample(a, 'ferry_backup_transfer_bytes_total', { direction: 'upload', kind: 'compressed' })).toBe(stored);
    expect(sample(a, 'ferry_backup_transfer_bytes_total', { direction: 'upload', kind: 'uncompressed' })).toBe(read);
    expect(sample(a, 'ferry_backup_transfer_duration_seconds_count', { direction: 'upload', outcome: 'ok' })).toBe(1);
    expect(sample(a, 'ferry_backup_transfer_duration_seconds_sum', { direction: 'upload', outcome: 'ok' })).toBeGreaterThan(0);
    const failures = nodes.map((n) => n === 'node2' ? '' : n).filter(Boolean);
    let denied = 0;
    for (const n of failures) denied += sample(await scrape(agentMetrics(n)), 'ferry_backup_transfer_failures_total', { direction: 'upload', reason: 'access-denied' });
    expect(denied).toBe(1);
  });
});

interface Execution { workflowId: string; runId: string; type: string; status: string }

describe('every operation answers its progress in one shape, for the CLI and the Web UI', () => {
  it('runs every kind of operation the CLI starts', async () => {
    // nodes: one that never reports is declared lost, another deleted; node2 comes back from its evacuation
    await ok(['node', 'create', 'gone9', '127.0.0.99']);
    await ok(['node', 'lost', 'gone9']);
    await ok(['node', 'create', 'spare8', '127.0.0.98']);
    await ok(['node', 'delete', 'spare8']);
    await ok(['node', 'restore', 'node2']);
    await ok(['node', 'set-property', 'node1', 'Aux/rack', 'r1']);
    // resource groups, properties, growth, a disk moved
    await ok(['rg', 'c', 'grp', '--place-count', '1', '-s', 'pool1']);
    await ok(['rg', 'm', 'grp', '--place-count', '2']);
    await ok(['rg', 'spawn', 'grp', 'sp0', '16M']);
    await ok(['rg', 'c', 'unused']);
    await ok(['rd', 'c', 'moved']);
    await ok(['rd', 'modify', 'moved', '--resource-group', 'unused']);
    await ok(['rd', 'd', 'moved']);
    await ok(['rg', 'd', 'unused']);
    await ok(['sp', 'c', 'lvmthin', 'node3', 'spare', 'vg/thinpool']);
    await ok(['sp', 'delete', 'node3', 'spare']);
    await ok(['rd', 'set-property', 'sp0', 'DrbdOptions/PeerDevice/c-max-rate', '250M']);
    await ok(['vd', 'set-size', 'sp0', '0', '24M']);
    await ok(['vd', 'set-property', 'sp0', '0', 'Aux/csi-volume', 'pvc-1']);
    // size and properties in one PUT, as linstor-csi's expand sends them
    const put = await fetch(`${cluster.controllerUrl}/v1/resource-definitions/sp0/volume-definitions/0`, {
      method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ size_kib: 28 * 1024, override_props: { 'Aux/csi-size': '28Mi' } }),
    });
    expect(put.status).toBeLessThan(300);
    await cluster.client.operation('vd-modify/sp0/0/Aux/csi-size').result();
    await ok(['rd', 'c', 'vd0']);
    await ok(['vd', 'c', 'vd0', '8M']);
    await ok(['vd', 'd', 'vd0', '0']);
    await ok(['rd', 'd', 'vd0']);
    // LINSTOR's key-value store, as linstor-csi keeps its state there (REST and SDK; LINSTOR's CLI has no verb for it)
    await (await cluster.client.keyValueStore.modify('csi-state', { 'snap/s1': 'backup-1' })).result();
    await (await cluster.client.keyValueStore.delete('csi-state')).result();
    await ok(['rd', 'c', 'td0']);
    await ok(['vd', 'c', 'td0', '16M']);
    await ok(['r', 'c', 'node1', 'td0', '-s', 'pool1']);
    await ok(['r', 'c', 'node3', 'td0', '--diskless']);
    await ok(['r', 'td', 'node3', 'td0', '--storage-pool', 'pool1', '--migrate-from', 'node1']);
    const td0 = (await cluster.client.resources.list()).filter((r) => r.name === 'td0').map((r) => [r.node_name, r.volumes.map((v) => v.state.disk_state)]);
    expect(td0).toEqual([['node3', ['UpToDate']]]);
    // snapshots
    await ok(['s', 'c', 'ev1', 's1']);
    await ok(['s', 'r', 'r', '--from-resource', 'ev1', '--from-snapshot', 's1', '--to-resource', 'ev1copy']);
    await ok(['s', 'rb', 'ev1', 's1']);
    await ok(['s', 'd', 'ev1', 's1']);
    // backups: restore, delete, remotes changed and removed
    const restored = await ok(['backup', 'restore', 'bk', 'node2', 'ev0r', '--resource', 'ev0']);
    expect(restored.stdout).toMatch(/ev0r/);
    await ok(['remote', 'modify', 's3', 'bk', '--region', 'us-east-1']);
    await ok(['remote', 'delete', 'wrongkey']);
    // a schedule, enabled for one resource definition, run now: its backup and its retention
    await ok(['schedule', 'create', 'nightly', '--full-cron', '0 3 * * *', '--keep-remote', '1']);
    await ok(['schedule', 'modify', 'nightly', '--keep-remote', '2']);
    await ok(['backup', 'schedule', 'enable', 'bk', 'nightly', '--rd', 'sp0']);
    await triggerSchedule(cluster, temporal, 'backup-schedule/bk/nightly');
    await ok(['schedule', 'delete', 'nightly']);
    const list = JSON.parse(String((await ok(['backup', 'list', 'bk', '-m', '-r', 'ev0'])).stdout)) as { linstor: { id: string }[] };
    await ok(['backup', 'delete', 'id', 'bk', list.linstor[0]!.id, '--cascade']);
    // automatic snapshots: a Temporal Schedule of its own, run now, then switched off
    await ok(['rd', 'set-property', 'ev1', 'DrbdOptions/AutoSnapshot/RunEvery', '60']);
    await triggerSchedule(cluster, temporal, 'auto-snapshot/ev1');
    await ok(['rd', 'set-property', 'ev1', 'DrbdOptions/AutoSnapshot/RunEvery']);
    // the doctor: a check, a repair plan (dry run) and a repair (exit 4 = it found drift to report)
    for (const args of [['doctor'], ['doctor', '--repair', '--dry-run'], ['doctor', '--repair']]) {
      const r = await cluster.ferry(args);
      expect({ args: args.join(' '), code: [0, 4].includes(r.exitCode ?? -1) ? 'ok' : r.exitCode, err: r.stderr }).toEqual({ args: args.join(' '), code: 'ok', err: '' });
    }
    // removals
    await ok(['r', 'd', 'node3', 'td0']);
    await ok(['rd', 'd', 'ev1copy']);
  }, 300_000);

  it('each workflow of the namespace, running or closed, answers `progress` in core/progress\'s shape with current details', async () => {
    const all: Execution[] = [];
    await cluster.eventually('visibility lists the last operation', async () => {
      all.length = 0;
      for await (const w of temporal.workflow.list()) all.push({ workflowId: w.workflowId, runId: w.runId, type: w.type, status: w.status.name });
      return all.some((w) => w.workflowId === 'rd-delete/ev1copy' && w.status === 'COMPLETED');
    }, 30_000);
    const problems: string[] = [];
    for (const w of all) {
      const h = temporal.workflow.getHandle(w.workflowId, w.runId);
      const raw = await h.query('progress').catch((e: Error) => ({ error: e.message }));
      const p = asOperationProgress(raw);
      const r = raw as Record<string, unknown>;
      const numbersOk = ['done', 'total'].every((k) => typeof r[k] === 'number' && (r[k] as number) >= 0)
        && ['bytesDone', 'bytesTotal'].every((k) => r[k] === undefined || typeof r[k] === 'number')
        && (r.unit === undefined || typeof r.unit === 'string');
      if (!p || !numbersOk) {
        problems.push(`${w.type} ${w.workflowId}: ${JSON.stringify(raw)}`);
        continue;
      }
      if (w.status === 'COMPLETED' && !/^done/.test(p.phase)) problems.push(`${w.type} ${w.workflowId} completed with phase '${p.phase}'`);
      if (w.status === 'FAILED' && !/fail|abort/.test(p.phase)) problems.push(`${w.type} ${w.workflowId} failed with phase '${p.phase}'`);
      const meta = await h.query('__temporal_workflow_metadata') as { currentDetails?: string };
      if (!meta.currentDetails?.includes(p.phase)) problems.push(`${w.type} ${w.workflowId}: current details '${meta.currentDetails}' do not show phase '${p.phase}'`);
      if (!(await (await h.describe()).staticSummary())) problems.push(`${w.type} ${w.workflowId}: no static summary for the Web UI`);
    }
    expect(problems).toEqual([]);
    // every workflow the controller runs was among them
    const types = new Set(all.map((w) => w.type));
    expect(Object.keys(workflows).filter((t) => !types.has(t))).toEqual([]);
    // activities on a node's queue carry a summary naming the host command, for the Web UI
    const created = all.find((w) => w.type === 'createResource' && w.status === 'COMPLETED')!;
    const history = await temporal.workflow.getHandle(created.workflowId, created.runId).fetchHistory();
    const dc = temporal.options.loadedDataConverter;
    const summaries: string[] = [];
    for (const e of history.events ?? []) {
      const payload = e.userMetadata?.summary;
      if (!e.activityTaskScheduledEventAttributes || !payload) continue;
      let decoded = [payload];
      for (const codec of [...dc.payloadCodecs].reverse()) decoded = await codec.decode(decoded);
      summaries.push(dc.payloadConverter.fromPayload<string>(decoded[0]!));
    }
    expect(summaries).toContainEqual(expect.stringMatching(/^lvcreate -T, write \.res, drbdadm create-md, drbdadm adjust, drbdsetup status \(until UpToDate\) on node\d for \S+$/));
    // a failed backup says so; a restore reports the bytes it received
    const restore = asOperationProgress(await temporal.workflow.getHandle('backup-restore/ev0r').query('progress'));
    expect(restore).toMatchObject({ phase: 'done', unit: 'volumes', done: 1, total: 1 });
    expect(restore!.bytesDone).toBeGreaterThan(0);
    expect(restore!.bytesDone).toBe(restore!.bytesTotal);
  });

  it('operations started through the REST API carry a static summary and details naming their objects', async () => {
    for (const [id, summary] of [['resource-create/td0', 'create resource: resource td0'], ['rd-delete/ev1copy', 'delete resource definition: resource ev1copy']] as const) {
      const d = await temporal.workflow.getHandle(id).describe();
      expect({ id, summary: await d.staticSummary() }).toEqual({ id, summary });
      expect(await d.staticDetails()).toContain(`ferry operation watch ${id}`);
    }
  });
});

describe('a host added to the running cluster with ferry-sim, as the walkthrough does', () => {
  it('gets the master passphrase of the local cluster (its file next to the hosts), so its node\'s tasks run', async () => {
    // as `npm start` keeps it: .data/master-passphrase next to .data/sim; not in the environment of the command
    writeFileSync(join(cluster.env.simRoot, '..', 'master-passphrase'), PASSPHRASE);
    const add = await execa(process.execPath, [FERRY_SIM_CLI, 'node', 'add', 'node4', '--root', cluster.env.simRoot], {
      reject: false, env: { FERRY_CONTROLLERS: cluster.controllerUrl, FERRY_TEMPORAL_ADDRESS: cluster.env.temporalAddress, FERRY_TEMPORAL_NAMESPACE: cluster.env.namespace },
    });
    expect({ code: add.exitCode, err: add.stderr }).toEqual({ code: 0, err: '' });
    await cluster.eventually('node4 is ONLINE', async () => (await cluster.client.nodes.list()).some((n) => n.name === 'node4' && n.connection_status === 'ONLINE'), 60_000);
    await ok(['sp', 'c', 'lvmthin', 'node4', 'pool1', 'vg/thinpool']);
    await ok(['rd', 'c', 'nd4']);
    await ok(['vd', 'c', 'nd4', '16M']);
    // the agent decodes the controller's encrypted layout: without the passphrase this waits and fails
    const r = await ok(['r', 'c', 'node4', 'nd4', '-s', 'pool1']);
    expect(r.stdout).toMatch(/SUCCESS: Resource 'nd4' created on node4/);
    succeeded(await cluster.sim(['node', 'stop', 'node4']));
  }, 120_000);
});
