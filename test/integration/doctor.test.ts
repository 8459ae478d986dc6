// The operator's story of `ferry doctor` on three simulated hosts and the harness's real S3: a
// healthy cluster (a replicated resource with data, a snapshot, a committed backup) has no drift;
// then drift made behind ferry's back — an LV made with the host's lvcreate, a .res file left
// over, a DRBD resource up that the catalog does not know, data objects of a backup that never got
// its .meta, a multipart upload left open — is found, each with its safe fix; an offline node is
// reported as not inspected; a resource whose lock is held is in flight and left alone; the
// repair's dry run changes nothing; the repair fixes exactly the safe items, and afterwards the
// doctor is clean and the referenced data is untouched.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { CreateMultipartUploadCommand, HeadObjectCommand, PutObjectCommand, UploadPartCommand } from '@aws-sdk/client-s3';
import { startTestCluster, type TestCluster } from '../harness/cluster.js';
import { lvNames, ok, verifyEverywhere } from '../harness/checks.js';
import { createTestBucket, s3ConfigFromEnv, s3FromEnv } from './backup-s3-env.js';
import { renderResourceFile } from '../../core/drbd-config.js';
import { dataKey } from '../../core/backup-names.js';
import { listUnfinishedUploads } from '../../bucket/index.js';
import type { DoctorReport, DriftItem } from '../../core/doctor.js';
import type { DoctorRepairResult } from '../../workflows/doctor.js';

const nodes = ['node1', 'node2', 'node3'];
const s3cfg = s3ConfigFromEnv();
const s3 = s3FromEnv();
let cluster: TestCluster;
let bucket: string;
let backupId = '';

const orphanKey = dataKey({ rsc: 'gone0', startTimestamp: Date.UTC(2024, 0, 1), vlmNr: 0 });
const uploadKey = dataKey({ rsc: 'gone1', startTimestamp: Date.UTC(2024, 0, 2), vlmNr: 0 });

async function ferry(args: string[]) {
  const r = await cluster.ferry(args);
  return { code: r.exitCode, out: String(r.stdout), err: String(r.stderr) };
}

async function doctor(args: string[] = []): Promise<{ code: number | undefined; report: DoctorReport }> {
  const r = await ferry(['doctor', '-m', ...args]);
  if (r.code !== 0 && r.code !== 4) throw new Error(`ferry doctor: exit ${r.code}: ${r.err}`);
  return { code: r.code, report: JSON.parse(r.out) as DoctorReport };
}

const brief = (items: DriftItem[]) => items.map((d) => `${d.kind} ${d.object} ${d.node ?? d.remote}`).sort();

/** A resource file ferry did not write (one node, diskless), as an operator's leftover. */
function leftoverResFile(node: string, name: string, port: number, minor: number): void {
  const dir = join(cluster.env.simRoot, node, 'drbd', 'etc', 'drbd.d');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, `${name}.res`), renderResourceFile({ name, port, nodes: [{ name: node, nodeId: 0, address: '127.0.0.99', volumes: [{ volume: 0, minor, disk: null }] }] }));
}

const objectExists = (key: string) => s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key })).then(() => true, () => false);

beforeAll(async () => {
  cluster = await startTestCluster({ nodes, offlineAfterMs: 3000, env: { FERRY_MASTER_PASSPHRASE: 'doctor-test master passphrase' } });
  bucket = await createTestBucket(s3, 'doctor');
  await cluster.eventually('all nodes are ONLINE', async () => (await cluster.client.nodes.list()).every((n) => n.connection_status === 'ONLINE'), 60_000);
  for (const n of nodes) ok(await cluster.ferry(['sp', 'c', 'lvmthin', n, 'pool1', 'vg/thinpool']));
  ok(await cluster.ferry(['remote', 'create', 's3', 'bk', s3cfg.endpoint, bucket, 'us-east-1', s3cfg.accessKey, s3cfg.secretKey, '--use-path-style']));
  ok(await cluster.ferry(['rd', 'c', 'keep0']));
  ok(await cluster.ferry(['vd', 'c', 'keep0', '16M']));
  ok(await cluster.ferry(['r', 'c', 'node1', 'node2', 'keep0', '--storage-pool', 'pool1']));
  ok(await cluster.sim(['io', 'write', '--node', 'node1', '--resource', 'keep0', '--pattern', 'keep', '--length', '4M']));
  ok(await cluster.ferry(['s', 'c', 'keep0', 'snap1']));
  const b = await cluster.ferry(['backup', 'create', 'bk', 'keep0', '-m']);
  ok(b);
  backupId = (JSON.parse(String(b.stdout)) as { result: { id: string } }).result.id;
}, 180_000);

afterAll(async () => {
  await cluster?.stop();
  s3.destroy();
});

describe('ferry doctor', () => {
  it('finds no drift in a healthy cluster, and exits 0', async () => {
    const { code, report } = await doctor(['--grace', '0s']);
    expect(report.drift).toEqual([]);
    expect(report.nodes).toEqual(nodes.map((node) => ({ node, inspected: true })));
    expect(report.remotes).toEqual([{ remote: 'bk', inspected: true }]);
    expect(code).toBe(0);
    const table = await ferry(['doctor']);
    expect(table).toMatchObject({ code: 0, err: '' });
    expect(table.out).toContain('No drift');
  }, 60_000);

  it('refuses a bad grace period with a clear error, changing nothing', async () => {
    const r = await ferry(['doctor', '--grace', '5 minutes']);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/--grace '5 minutes' must be a duration/);
    await expect(cluster.client.doctor.check({ grace: 'soon' })).rejects.toThrow(/grace: 'soon' is not a duration/);
    await expect(cluster.client.request('POST', '/v1/ferry/doctor/repair', { dry_run: 'yes' })).rejects.toThrow(/dry_run: must be true or false/);
    expect((await ferry(['doctor', '--dry-run'])).err).toMatch(/--dry-run goes with --repair/);
  });

  it('finds every kind of drift made behind its back, each with its safe fix', async () => {
    ok(await cluster.host('node1', 'lvcreate', ['--type', 'thin', '--virtualsize', '8m', '--thinpool', 'thinpool', '--name', 'ghost_00000', 'vg']));
    leftoverResFile('node2', 'stale0', 7990, 1990);
    leftoverResFile('node3', 'stale1', 7991, 1991);
    ok(await cluster.host('node3', 'drbdadm', ['up', 'stale1']));
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: orphanKey, Body: 'half a backup' }));
    const up = await s3.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: uploadKey }));
    await s3.send(new UploadPartCommand({ Bucket: bucket, Key: uploadKey, UploadId: up.UploadId, PartNumber: 1, Body: Buffer.alloc(1024, 1) }));

    const { code, report } = await doctor(['--grace', '0s']);
    expect(code).toBe(4);
    expect(brief(report.drift)).toEqual([
      'orphan-drbd stale1 node3',
      'orphan-lv vg/ghost_00000 node1',
      'orphan-res-file stale0.res node2',
      `stale-upload ${uploadKey} bk`,
      `uncommitted-backup ${orphanKey.replace('_00000_', '_')} bk`,
    ]);
    expect(report.drift.every((d) => d.repair !== null && d.fix.length > 0)).toBe(true);
    expect(report.drift.find((d) => d.kind === 'orphan-lv')!.fix).toBe('lvremove vg/ghost_00000');

    // young S3 leftovers may be a shipment still running: with the default grace they are in flight
    const lenient = await doctor();
    expect(brief(lenient.report.inFlight)).toEqual([`stale-upload ${uploadKey} bk`, `uncommitted-backup ${orphanKey.replace('_00000_', '_')} bk`]);
    expect(lenient.report.drift.map((d) => d.kind).sort()).toEqual(['orphan-drbd', 'orphan-lv', 'orphan-res-file']);

    const table = await ferry(['doctor', '--grace', '0s']);
    expect(table.code).toBe(4);
    expect(table.out).toMatch(/orphan-lv\s+┊ vg\/ghost_00000\s+┊ node1/);
  }, 60_000);

  it('reports an offline node as not inspected, not as drift', async () => {
    await cluster.stopAgent('node3', 'SIGKILL');
    await cluster.eventually('node3 is OFFLINE', async () => (await cluster.client.nodes.get('node3')).connection_status === 'OFFLINE', 30_000);
    const { report } = await doctor(['--grace', '0s']);
    expect(report.nodes.find((n) => n.node === 'node3')).toEqual({ node: 'node3', inspected: false, reason: 'offline' });
    expect(report.drift.filter((d) => d.node === 'node3')).toEqual([]);
    expect((await ferry(['doctor', '--grace', '0s'])).out).toMatch(/Not inspected: node node3 \(offline\)/);
    cluster.startAgent('node3');
    await cluster.eventually('node3 is ONLINE', async () => (await cluster.client.nodes.get('node3')).connection_status === 'ONLINE', 60_000);
  }, 120_000);

  it('leaves an LV alone while a workflow holds its resource lock (a create in flight)', async () => {
    ok(await cluster.host('node2', 'lvcreate', ['--type', 'thin', '--virtualsize', '8m', '--thinpool', 'thinpool', '--name', 'busy0_00000', 'vg']));
    const db = new Database(cluster.catalogUrl.replace(/^sqlite:/, ''));
    try {
      db.prepare('INSERT INTO resource_locks (resource, holder, acquired_at) VALUES (?, ?, ?)').run('busy0', 'resource-create/busy0', Date.now());
      const { report } = await doctor(['--grace', '0s']);
      expect(brief(report.inFlight)).toContain('orphan-lv vg/busy0_00000 node2');
      expect(brief(report.drift)).not.toContain('orphan-lv vg/busy0_00000 node2');
      const plan = (await cluster.client.doctor.plan({ grace: '0s' }));
      expect(plan.plan.join('\n')).not.toContain('busy0');
    } finally {
      db.prepare('DELETE FROM resource_locks WHERE resource = ?').run('busy0');
      db.close();
    }
  }, 60_000);

  it('repair --dry-run prints the plan and changes nothing', async () => {
    const r = await ferry(['doctor', '--repair', '--dry-run', '--grace', '0s', '-m']);
    expect(r.code).toBe(0);
    const res = JSON.parse(r.out) as DoctorRepairResult;
    expect(res.dryRun).toBe(true);
    expect([...res.plan].sort()).toEqual([
      `bk: abort multipart upload of ${uploadKey}`,
      `bk: delete 1 data object(s) of uncommitted backup ${orphanKey.replace('_00000_', '_')}`,
      'node1: lvremove vg/ghost_00000',
      'node2: lvremove vg/busy0_00000',
      'node2: remove stale0.res',
      'node3: drbdadm down stale1; remove stale1.res',
    ].sort());
    expect(res.done).toEqual([]);
    expect(await lvNames(cluster, 'node1')).toContain('ghost_00000');
    expect(existsSync(join(cluster.env.simRoot, 'node2', 'drbd', 'etc', 'drbd.d', 'stale0.res'))).toBe(true);
    expect(await objectExists(orphanKey)).toBe(true);
    expect((await listUnfinishedUploads({ s3, bucket })).map((u) => u.key)).toEqual([uploadKey]);
    const text = await ferry(['doctor', '--repair', '--dry-run', '--grace', '0s']);
    expect(text.out).toContain('Repair plan (dry run, nothing changed):');
  }, 60_000);

  it('repair fixes the safe items; the doctor is clean afterwards and referenced data is untouched', async () => {
    const before = { node1: await lvNames(cluster, 'node1'), node2: await lvNames(cluster, 'node2') };
    const r = await ferry(['doctor', '--repair', '--grace', '0s', '-m']);
    expect(r).toMatchObject({ code: 0, err: '' });
    const res = JSON.parse(r.out) as DoctorRepairResult & { workflow_id: string };
    expect(res.workflow_id).toMatch(/^doctor-repair\/\d+-[0-9a-f]{8}$/);
    expect(res.done).toHaveLength(6);
    expect(res.failed).toEqual([]);

    const after = await doctor(['--grace', '0s']);
    expect(after.report.drift).toEqual([]);
    expect(after.report.inFlight).toEqual([]);
    expect(after.code).toBe(0);

    // only the orphans went
    expect(await lvNames(cluster, 'node1')).toEqual(before.node1.filter((n) => n !== 'ghost_00000'));
    expect(await lvNames(cluster, 'node2')).toEqual(before.node2.filter((n) => n !== 'busy0_00000'));
    expect(await lvNames(cluster, 'node1')).toEqual(expect.arrayContaining(['keep0_00000', 'keep0_00000_snap1']));
    await verifyEverywhere(cluster, 'keep0', 'keep', '4M');
    expect(await objectExists(orphanKey)).toBe(false);
    expect(await listUnfinishedUploads({ s3, bucket })).toEqual([]);
    ok(await cluster.ferry(['backup', 'verify', 'bk', backupId]));
    const status = await cluster.host('node3', 'drbdsetup', ['status', 'stale1']);
    expect(status.exitCode).not.toBe(0);
  }, 120_000);
});
