// The operator's story of backups to S3 on three simulated hosts and the harness's real S3 server:
// a remote whose keys never show, a full backup of a replicated resource, an incremental one that
// stores only what changed, a restore of the chain into a new resource on another node with the
// same bytes, the same into a renamed storage pool (--storpool-rename, refused before anything is
// made when the pool is unknown or of another provider) or only as snapshots (--download-only, then
// a snapshot restore), backup info's sizes and target pools, python-linstor's backup_info and
// backup_restore, a shipment that survives its agent being killed without sending stored parts again,
// an aborted backup that leaves nothing behind, clear errors for bad remotes and names, and the
// keys absent from workflow history and from every log file.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createCipheriv, createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { Client, Connection } from '@temporalio/client';
import { startTestCluster, type TestCluster } from '../harness/cluster.js';
import { metricValue, scrapeMetrics } from '../harness/checks.js';
import { createTestBucket, MiB, s3ConfigFromEnv, s3FromEnv } from './backup-s3-env.js';
import { listUploadedParts } from '../../bucket/upload.js';
import { listObjects, listUnfinishedUploads } from '../../bucket/index.js';
import { CreateMultipartUploadCommand, DeleteObjectCommand, GetObjectCommand, HeadObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { openDrbdDevice } from '../../sim/drbd/device.js';
import { Catalog } from '../../catalog/index.js';

const nodes = ['node1', 'node2', 'node3'];
const s3cfg = s3ConfigFromEnv();
const s3 = s3FromEnv();
let cluster: TestCluster;
let bucket: string;

const VOLUME = 64 * MiB;
const DATA = 40 * MiB;

/** Deterministic incompressible bytes (AES-CTR of zeros), like encrypted or compressed files. */
function randomData(seed: string, bytes: number): Buffer {
  const key = createHash('sha256').update(seed).digest();
  return createCipheriv('aes-256-ctr', key, Buffer.alloc(16)).update(Buffer.alloc(bytes));
}
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

function readVolume(node: string, rsc: string): Buffer {
  const dev = openDrbdDevice(node, rsc, 0);
  try {
    return dev.read(0, VOLUME);
  } finally {
    dev.close();
  }
}
function writeVolume(node: string, rsc: string, offset: number, data: Buffer): void {
  const dev = openDrbdDevice(node, rsc, 0);
  try {
    dev.write(offset, data);
  } finally {
    dev.close();
  }
}

async function ok(args: string[]) {
  const r = await cluster.ferry(args);
  expect({ args: args.join(' '), code: r.exitCode, err: r.stderr }).toEqual({ args: args.join(' '), code: 0, err: '' });
  return r;
}

async function bucketKeys(): Promise<string[]> {
  const out: string[] = [];
  for await (const o of listObjects(s3, bucket)) out.push(o.key);
  return out.sort();
}

beforeAll(async () => {
  cluster = await startTestCluster({
    nodes,
    offlineAfterMs: 5000,
    env: {
      FERRY_MASTER_PASSPHRASE: 'backups-test master passphrase',
      FERRY_BACKUP_PART_SIZE: String(5 * MiB),
      FERRY_BACKUP_UPLOAD_CONCURRENCY: '1',
      // slow enough that a test can kill an agent or abort in the middle of a shipment
      FERRY_BACKUP_MAX_BYTES_PER_SEC: String(6 * MiB),
    },
  });
  process.env.FERRY_SIM_ROOT = cluster.env.simRoot;
  bucket = await createTestBucket(s3, 'backups');
  await cluster.eventually('all nodes are ONLINE', async () => (await cluster.client.nodes.list()).every((n) => n.connection_status === 'ONLINE'), 60_000);
  for (const n of nodes) await ok(['sp', 'c', 'lvmthin', n, 'pool1', 'vg/thinpool']);
}, 120_000);

afterAll(async () => {
  await cluster?.stop();
});

let fullId = '';
let incId = '';
let expected: Buffer;

describe('a remote', () => {
  it('is created with its keys and listed without them', async () => {
    await ok(['remote', 'create', 's3', 'bk', s3cfg.endpoint, bucket, 'us-east-1', s3cfg.accessKey, s3cfg.secretKey, '--use-path-style']);
    const l = await ok(['remote', 'list']);
    expect(l.stdout).toMatch(new RegExp(`┊ bk\\s+┊ S3\\s+┊ ${s3cfg.endpoint.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} ${bucket} us-east-1`));
    const json = await ok(['remote', 'list', '-m']);
    for (const out of [l.stdout, json.stdout]) {
      expect(out).not.toContain(s3cfg.accessKey);
      expect(out).not.toContain(s3cfg.secretKey);
    }
  });

  it("keys are sealed with the controller's master passphrase, which a wrong one cannot replace", async () => {
    const wrong = await cluster.ferry(['encryption', 'enter-passphrase', '--passphrase', 'not the passphrase']);
    expect(wrong.exitCode).not.toBe(0);
    expect(wrong.stderr).toMatch(/wrong master passphrase/);
    await ok(['encryption', 'enter-passphrase', '--passphrase', 'backups-test master passphrase']);
  });

  it('create-passphrase keeps the one the controller has: another is refused, the same one is accepted again', async () => {
    const other = await cluster.ferry(['encryption', 'create-passphrase', '--passphrase', 'another master passphrase']);
    expect(other.exitCode).not.toBe(0);
    expect(other.stderr).toMatch(/has a master passphrase already/);
    const short = await cluster.ferry(['encryption', 'create-passphrase', '--passphrase', 'short']);
    expect(short.exitCode).not.toBe(0);
    expect(short.stderr).toMatch(/at least 8 characters/);
    expect(String((await ok(['encryption', 'create-passphrase', '--passphrase', 'backups-test master passphrase'])).stdout)).toMatch(/Master passphrase created/);
    expect(String((await ok(['remote', 'list'])).stdout)).toMatch(/┊ bk\s+┊ S3/);
  });
});

describe('backups of a replicated resource', () => {
  it('ship a full backup of what was written through DRBD', async () => {
    await ok(['rd', 'c', 'bk0']);
    await ok(['vd', 'c', 'bk0', '64M']);
    await ok(['r', 'c', 'bk0', '--auto-place', '3']);
    expected = Buffer.alloc(VOLUME);
    randomData('full', DATA).copy(expected, 0);
    writeVolume('node1', 'bk0', 0, expected.subarray(0, DATA));
    expect(sha(readVolume('node3', 'bk0'))).toBe(sha(expected));

    const r = await ok(['backup', 'create', 'bk', 'bk0', '--node', 'node1', '-m']);
    const res = JSON.parse(String(r.stdout)).result as { id: string; mode: string; volumes: { compressedBytes: number; uncompressedBytes: number }[] };
    expect(res.mode).toBe('full');
    fullId = res.id;
    expect(fullId).toMatch(/^bk0_back_\d{8}_\d{6}$/);
    expect(res.volumes[0]!.compressedBytes).toBeGreaterThan(DATA * 0.95);
    const l = await ok(['backup', 'list', 'bk', '-m']);
    expect((JSON.parse(String(l.stdout)) as { linstor: { id: string }[] }).linstor.map((b) => b.id)).toEqual([fullId]);
  }, 120_000);

  it('ship an incremental backup that stores only the ~5% of blocks that changed', async () => {
    await new Promise((r) => setTimeout(r, 1100)); // backup ids are to the second
    // 32 scattered 64 KiB chunks: 2 MiB of 40 MiB
    for (let i = 0; i < 32; i++) {
      const off = i * (DATA / 32) + 128 * 1024;
      const chunk = randomData(`change ${i}`, 64 * 1024);
      chunk.copy(expected, off);
      writeVolume('node2', 'bk0', off, chunk);
    }
    const r = await ok(['backup', 'create', 'bk', 'bk0', '-m']);
    const res = JSON.parse(String(r.stdout)).result as { id: string; mode: string; base: string; node: string; volumes: { compressedBytes: number }[] };
    expect(res).toMatchObject({ mode: 'incremental', base: fullId, node: 'node1' });
    incId = res.id;
    expect(res.volumes[0]!.compressedBytes).toBeLessThan(3 * MiB);
    expect(res.volumes[0]!.compressedBytes).toBeGreaterThan(2 * MiB);
    const l = JSON.parse(String((await ok(['backup', 'list', 'bk', '--resource', 'bk0', '-m'])).stdout)) as { linstor: { id: string; based_on_id?: string; size: number }[] };
    expect(l.linstor.map((b) => [b.id, b.based_on_id ?? null])).toEqual([[fullId, null], [incId, fullId]]);
    expect(l.linstor[1]!.size * 10).toBeLessThan(l.linstor[0]!.size);
    const table = await ok(['backup', 'list', 'bk']);
    expect(table.stdout).toMatch(/┊ Resource ┊ Snapshot\s+┊ Finished at\s+┊ Based On\s+┊ Status\s+┊ Size/);
    const v = await ok(['backup', 'verify', 'bk', incId]);
    expect(v.stdout).toContain(`chain ${fullId} -> ${incId}`);
  }, 120_000);

  it('restore from the incremental id into a new resource on another node, byte for byte, after the original is gone', async () => {
    await ok(['rd', 'd', 'bk0']);
    const r = await ok(['backup', 'restore', 'bk', 'node2', 'bk0r', '--id', incId]);
    expect(r.stdout).toContain(`from ${fullId} -> ${incId}`);
    expect(sha(readVolume('node2', 'bk0r'))).toBe(sha(expected));
    const v = await ok(['v', 'l']);
    // the disk state is what the node reported when the restore finished (Unknown if its drbdsetup was too slow to answer)
    expect(v.stdout).toMatch(/┊ node2\s+┊ bk0r\s+┊ pool1\s+┊ 0\s+┊[^┊]+┊ \/dev\/drbd\d+ ┊[^┊]*┊ Unused ┊ (UpToDate|Unknown)\s*┊/);
    expect((await cluster.sim(['state', 'node2'])).stdout).toMatch(/bk0r[\s\S]*UpToDate/);
  }, 120_000);
});

describe('a restore into other storage pools, or only as snapshots', () => {
  it("records the source pool in the .meta where LINSTOR does: the storage layer's volume", async () => {
    const info = JSON.parse(String((await ok(['backup', 'info', 'bk', incId, '-m'])).stdout)) as { meta: { layerData: unknown } };
    expect(info.meta.layerData).toMatchObject({ kind: 'storage', rscNameSuffix: '', vlms: [{ vlmNr: 0, storPoolApi: { storPoolName: 'pool1', deviceProviderKind: 'LVM_THIN' } }] });
  });

  it('refuses an unknown target pool, a pool of the wrong provider and a rename of no pool of the backup, before anything is made', async () => {
    await ok(['sp', 'c', 'lvmthin', 'node3', 'fast', 'vg/thinpool']);
    const keys = await bucketKeys();
    const lvsBefore = String((await cluster.sim(['state', 'node3'])).stdout);
    const unknown = await cluster.ferry(['backup', 'restore', 'bk', 'node3', 'bk0x', '--id', incId, '--storpool-rename', 'pool1=nosuch']);
    expect({ code: unknown.exitCode, err: unknown.stderr }).toEqual({ code: 3, err: expect.stringContaining("storage pool 'nosuch' (volume 0, from the backup's pool 'pool1') does not exist on node 'node3'") });
    const wrongKind = await cluster.ferry(['backup', 'restore', 'bk', 'node3', 'bk0x', '--id', incId, '--storpool-rename', 'pool1=DfltDisklessStorPool']);
    expect({ code: wrongKind.exitCode, err: wrongKind.stderr }).toEqual({ code: 5, err: expect.stringContaining("storage pool 'DfltDisklessStorPool' on node 'node3' (volume 0, from the backup's pool 'pool1') is DISKLESS") });
    const typo = await cluster.ferry(['backup', 'restore', 'bk', 'node3', 'bk0x', '--id', incId, '--storpool-rename', 'pol1=fast']);
    expect({ code: typo.exitCode, err: typo.stderr }).toEqual({ code: 2, err: expect.stringContaining("--storpool-rename names pool 'pol1', but the backup's volumes come from 'pool1'") });
    const notAPair = await cluster.ferry(['backup', 'restore', 'bk', 'node3', 'bk0x', '--id', incId, '--storpool-rename', 'pool1']);
    expect({ code: notAPair.exitCode, err: notAPair.stderr }).toEqual({ code: 2, err: expect.stringContaining("--storpool-rename 'pool1' is not OLD=NEW") });
    expect((await cluster.client.resourceDefinitions.list()).map((d) => d.name)).not.toContain('bk0x');
    expect(String((await cluster.sim(['state', 'node3'])).stdout)).toBe(lvsBefore);
    expect(await bucketKeys()).toEqual(keys);
  }, 60_000);

  it('backup info says what a restore downloads and needs, per source pool and the pool it goes to, with the space left on the node', async () => {
    type Info = { rsc: string; full: string; latest: string; count: number; dl_size_kib: number; alloc_size_kib: number; storpools: { name: string; provider_kind: string; target_name: string; remaining_space_kib?: number; vlms: { name: string; dl_size_kib: number; alloc_size_kib: number }[] }[] };
    const info = JSON.parse(String((await ok(['backup', 'info', 'bk', '--id', incId, '-n', 'node3', '--storpool-rename', 'pool1=fast', '-m'])).stdout)) as Info;
    expect(info).toMatchObject({ rsc: 'bk0', full: fullId, latest: incId, count: 2, alloc_size_kib: VOLUME / 1024 });
    expect(info.storpools).toMatchObject([{ name: 'pool1', provider_kind: 'LVM_THIN', target_name: 'fast', vlms: [{ name: incId.replace('_back_', '_00000_back_'), alloc_size_kib: VOLUME / 1024 }] }]);
    expect(info.dl_size_kib).toBeGreaterThan(DATA / 1024);
    expect(info.dl_size_kib).toBe(info.storpools[0]!.vlms[0]!.dl_size_kib);
    const fast = (await cluster.client.storagePools.list()).find((p) => p.node_name === 'node3' && p.storage_pool_name === 'fast')!;
    // the free space the node last reported, less the volume (the pool's figure may move between the two calls)
    expect(Math.abs(info.storpools[0]!.remaining_space_kib! + VOLUME / 1024 - fast.free_capacity!)).toBeLessThan(fast.free_capacity! * 0.05);
    const byResource = await ok(['backup', 'info', 'bk', '--resource', 'bk0']);
    expect(byResource.stdout).toContain(`full backup: ${fullId}, latest: ${incId}, backups in the chain: 2`);
    expect(byResource.stdout).toMatch(/┊ pool1 \(LVM_THIN\)\s+┊ pool1\s+┊/);
    const missing = await cluster.ferry(['backup', 'info', 'bk', '--id', incId, '-n', 'node3', '--storpool-rename', 'pool1=nosuch']);
    expect({ code: missing.exitCode, err: missing.stderr }).toEqual({ code: 3, err: expect.stringContaining("storage pool 'nosuch'") });
  }, 60_000);

  it('receives every volume into the renamed pool: --storpool-rename pool1=fast', async () => {
    const r = await ok(['backup', 'restore', 'bk', 'node3', 'bk0f', '--id', incId, '--storpool-rename', 'pool1=fast']);
    expect(r.stdout).toContain(`'bk0f' restored on node3 (pool fast) from ${fullId} -> ${incId}`);
    expect((await cluster.client.resources.list({ resources: ['bk0f'] })).map((x) => [x.node_name, x.props.StorPoolName])).toEqual([['node3', 'fast']]);
    expect(sha(readVolume('node3', 'bk0f'))).toBe(sha(expected));
    await ok(['rd', 'd', 'bk0f']);
  }, 120_000);

  it('--download-only leaves the chain as snapshots of a resource definition with no resource; a snapshot restore brings the bytes back', async () => {
    const r = await ok(['backup', 'restore', 'bk', 'node3', 'bk0d', '--id', incId, '--download-only', '-m']);
    const res = JSON.parse(String(r.stdout)).result as { snapshots: string[]; chain: string[]; storagePool: string };
    const snaps = [fullId, incId].map((id) => id.replace(/^bk0_/, ''));
    expect(res).toMatchObject({ chain: [fullId, incId], snapshots: snaps, storagePool: 'pool1' });
    expect(await cluster.client.resources.list({ resources: ['bk0d'] })).toEqual([]);
    const l = await ok(['s', 'l']);
    for (const s of snaps) expect(l.stdout).toMatch(new RegExp(`┊ bk0d\\s+┊ ${s}\\s+┊ node3\\s+┊ 0: 64(\\.00)? MiB ┊[^┊]+┊ Successful ┊`));
    const lvs = String((await cluster.sim(['state', 'node3'])).stdout);
    for (const s of snaps) expect(lvs).toContain(`bk0d_00000_${s}`);
    expect(lvs).not.toMatch(/bk0d_00000(?!_)/); // the working LV is gone
    await ok(['s', 'r', 'r', '--from-resource', 'bk0d', '--from-snapshot', snaps[1]!, '--to-resource', 'bk0e']);
    expect((await cluster.client.resources.list({ resources: ['bk0e'] })).map((x) => x.node_name)).toEqual(['node3']);
    expect(sha(readVolume('node3', 'bk0e'))).toBe(sha(expected));
    await ok(['rd', 'd', 'bk0e']);
    for (const s of snaps) await ok(['s', 'd', 'bk0d', s]);
    await ok(['rd', 'd', 'bk0d']);
  }, 120_000);
});

describe('a backup whose .meta records no storage pool (ferry before it did)', () => {
  it("restores into the node's first LVM_THIN pool, or --storage-pool; a rename is refused as it has nothing to rename", async () => {
    const key = `${incId}.meta`;
    const original = Buffer.from(await (await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }))).Body!.transformToByteArray());
    const meta = JSON.parse(original.toString('utf8')) as Record<string, unknown>;
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: JSON.stringify({ ...meta, layerData: { kind: 'STORAGE', rscNameSuffix: '', children: [] } }) }));
    try {
      const rename = await cluster.ferry(['backup', 'restore', 'bk', 'node3', 'bk0o', '--id', incId, '--storpool-rename', 'pool1=fast']);
      expect({ code: rename.exitCode, err: rename.stderr }).toEqual({ code: 2, err: expect.stringContaining('this backup does not record its storage pools') });
      // node3's LVM_THIN pools by name: fast, pool1
      const r = await ok(['backup', 'restore', 'bk', 'node3', 'bk0o', '--id', incId]);
      expect(r.stdout).toContain("'bk0o' restored on node3 (pool fast)");
      expect(sha(readVolume('node3', 'bk0o'))).toBe(sha(expected));
      await ok(['rd', 'd', 'bk0o']);
      const given = await ok(['backup', 'restore', 'bk', 'node3', 'bk0o', '--id', incId, '--storage-pool', 'pool1']);
      expect(given.stdout).toContain("'bk0o' restored on node3 (pool pool1)");
      await ok(['rd', 'd', 'bk0o']);
    } finally {
      await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: original }));
    }
  }, 120_000);
});

describe("LINSTOR's Python library (python-linstor)", () => {
  const PYTHON = join(process.cwd(), '.tools/venv/bin/python');
  const SCRIPT = join(process.cwd(), 'test/fixtures/linstor-client/linstor_story.py');
  const python = (args: string[]) => execa(PYTHON, [SCRIPT, `linstor://127.0.0.1:${new URL(cluster.controllerUrl).port}`, ...args], { reject: false, timeout: 60_000 });

  it('asks backup_info with stor_pool_map and backup_restore with stor_pool_map and download_only, and ferry does as asked', async () => {
    const info = await python(['backup-info', 'bk', incId, 'node3', JSON.stringify({ pool1: 'fast' })]);
    expect({ code: info.exitCode, err: info.stderr }).toEqual({ code: 0, err: '' });
    expect(JSON.parse(info.stdout)).toMatchObject({ rsc: 'bk0', full: fullId, latest: incId, count: 2, storpools: [{ name: 'pool1', provider_kind: 'LVM_THIN', target_name: 'fast' }] });
    const r = await python(['backup-restore', 'bk', 'node3', 'bk0p', incId, JSON.stringify({ pool1: 'fast' }), '1']);
    expect({ code: r.exitCode, err: r.stderr }).toEqual({ code: 0, err: '' });
    const snaps = [fullId, incId].map((id) => id.replace(/^bk0_/, ''));
    await cluster.eventually('the download-only restore recorded its snapshots', async () =>
      (await cluster.client.snapshots.list({ resources: ['bk0p'] })).filter((x) => x.state === 'Successful').length === 2, 60_000);
    const listed = await cluster.client.snapshots.list({ resources: ['bk0p'] });
    expect(listed.map((x) => [x.name, x.snapshots.map((n) => [n.node_name, n.storage_pool_name])]).sort()).toEqual(snaps.map((n) => [n, [['node3', 'fast']]]).sort());
    expect(await cluster.client.resources.list({ resources: ['bk0p'] })).toEqual([]);
    for (const s of snaps) await ok(['s', 'd', 'bk0p', s]);
    await ok(['rd', 'd', 'bk0p']);
  }, 120_000);
});

describe('a shipment', () => {
  it('survives its agent being killed mid-upload: the stored parts are not sent again, the backup restores byte-exact', async () => {
    await ok(['rd', 'c', 'bk1']);
    await ok(['vd', 'c', 'bk1', '64M']);
    await ok(['r', 'c', 'node1', 'bk1', '--storage-pool', 'pool1']);
    const data = Buffer.alloc(VOLUME);
    randomData('bk1', DATA).copy(data, 0);
    writeVolume('node1', 'bk1', 0, data.subarray(0, DATA));

    const op = await cluster.client.backups.create({ remote: 'bk', resource: 'bk1', full: true });
    let uploadKey = '';
    await cluster.eventually('3 parts of the shipment are stored', async () => {
      const u = (await listUnfinishedUploads({ s3, bucket, prefix: 'bk1_' }))[0];
      if (!u) return false;
      uploadKey = u.key;
      return (await listUploadedParts(s3, bucket, u.key, u.uploadId)).size >= 3;
    }, 60_000);
    await new Promise((r) => setTimeout(r, 1500)); // the heartbeat with those parts reaches the server
    await cluster.stopAgent('node1', 'SIGKILL');
    await new Promise((r) => setTimeout(r, 2000));
    cluster.startAgent('node1');
    const res = await op.result();
    expect(res.volumes[0]!.key).toBe(uploadKey);
    expect(res.volumes[0]!.resumed).toBe(true);
    expect(res.volumes[0]!.reusedParts.length).toBeGreaterThanOrEqual(2);
    expect(res.volumes[0]!.reusedParts.slice(0, 2)).toEqual([1, 2]);
    expect(await listUnfinishedUploads({ s3, bucket, prefix: 'bk1_' })).toEqual([]);

    await ok(['backup', 'restore', 'bk', 'node3', 'bk1r', '--resource', 'bk1']);
    expect(sha(readVolume('node3', 'bk1r'))).toBe(sha(data));
  }, 180_000);

  it('survives its controller being killed mid-upload: the backup completes once and is the next base', async () => {
    await new Promise((r) => setTimeout(r, 1100)); // a new second: a new default snapshot name
    const before = JSON.parse(String((await ok(['backup', 'list', 'bk', '--resource', 'bk1', '-m'])).stdout)) as { linstor: { id: string }[] };
    const op = await cluster.client.backups.create({ remote: 'bk', resource: 'bk1', full: true });
    await cluster.eventually('the shipment has stored a part', async () => {
      const u = (await listUnfinishedUploads({ s3, bucket, prefix: 'bk1_' }))[0];
      return u !== undefined && (await listUploadedParts(s3, bucket, u.key, u.uploadId)).size >= 1;
    }, 60_000);
    await cluster.restartController('SIGKILL');
    const res = await op.result();
    expect(res.mode).toBe('full');
    expect(await listUnfinishedUploads({ s3, bucket, prefix: 'bk1_' })).toEqual([]);
    const after = JSON.parse(String((await ok(['backup', 'list', 'bk', '--resource', 'bk1', '-m'])).stdout)) as { linstor: { id: string }[] };
    expect(after.linstor.map((b) => b.id)).toEqual([...before.linstor.map((b) => b.id), res.id]);
    // the restarted controller recorded it: the next backup is an incremental based on it
    await new Promise((r) => setTimeout(r, 1100));
    const next = await (await cluster.client.backups.create({ remote: 'bk', resource: 'bk1' })).result();
    expect({ mode: next.mode, base: next.base }).toEqual({ mode: 'incremental', base: res.id });
  }, 180_000);

  it('leaves no upload open when an attempt lost its upload id: the commit aborts the leftovers on its keys', async () => {
    await new Promise((r) => setTimeout(r, 1100)); // backup names are per second
    const op = await cluster.client.backups.create({ remote: 'bk', resource: 'bk1', full: true });
    const key = `bk1_00000_${op.workflowId.split('/').pop()!}`;
    // what an agent killed before its heartbeat carried the upload id leaves: an upload nobody resumes
    const stray = await s3.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: key }));
    expect((await op.describe()).status).toBe('RUNNING');
    const res = await op.result();
    expect(res.volumes[0]!.key).toBe(key);
    expect((await listUnfinishedUploads({ s3, bucket, prefix: key })).map((u) => u.uploadId)).not.toContain(stray.UploadId);
    expect(await listUnfinishedUploads({ s3, bucket, prefix: 'bk1_' })).toEqual([]);
    expect(String((await ok(['backup', 'verify', 'bk', res.id])).stdout)).toMatch(/^SUCCESS: backup \S+ verified/);
  }, 120_000);

  it('is aborted on request: upload aborted, listed as an aborted shipment and not as a backup, snapshot removed', async () => {
    const before = await bucketKeys();
    await new Promise((r) => setTimeout(r, 1100));
    const op = await cluster.client.backups.create({ remote: 'bk', resource: 'bk1', full: true });
    await cluster.eventually('the shipment has stored a part', async () => {
      const u = (await listUnfinishedUploads({ s3, bucket, prefix: 'bk1_' }))[0];
      return Boolean(u) && (await listUploadedParts(s3, bucket, u!.key, u!.uploadId)).size >= 1;
    }, 60_000);
    // while it runs, backup list shows it as LINSTOR does: shipping, success not known yet
    const snapName = op.workflowId.split('/').pop()!;
    type Listed = { id: string; origin_snap: string; origin_node?: string; success: boolean | null; shipping: boolean; restorable: boolean; status: string; workflow_id?: string }[];
    const listed = async () => (JSON.parse(String((await ok(['backup', 'list', 'bk', '--resource', 'bk1', '-m'])).stdout)) as { linstor: Listed }).linstor;
    const running = (await listed()).filter((b) => b.origin_snap === snapName);
    expect(running).toEqual([expect.objectContaining({ id: `bk1_${snapName}`, success: null, shipping: true, restorable: false, status: 'shipping', workflow_id: op.workflowId, origin_node: 'node1' })]);
    expect(String((await ok(['backup', 'list', 'bk', '--resource', 'bk1'])).stdout)).toContain(`Shipping (${op.workflowId})`);
    const aborted = await ok(['backup', 'abort', 'bk1']);
    // the CLI answers once the clean-up is over, not when the cancel was requested
    expect(String(aborted.stdout)).toContain(`SUCCESS: backup ${op.workflowId} aborted: upload aborted, snapshot removed.`);
    expect((await op.describe()).status).toBe('CANCELLED');
    await expect(op.result()).rejects.toThrow(/cancel/i);
    expect(await listUnfinishedUploads({ s3, bucket, prefix: 'bk1_' })).toEqual([]);
    expect(await bucketKeys()).toEqual(before);
    const state = await cluster.sim(['state', 'node1']);
    expect(String(state.stdout)).not.toContain(`bk1_00000_${snapName}`);
    // not a backup, but listed as the aborted shipment it was: neither shipping nor a success
    expect((await listed()).filter((b) => b.origin_snap === snapName)).toEqual([expect.objectContaining({ success: false, shipping: false, status: 'aborted', workflow_id: op.workflowId })]);
    expect(String((await ok(['backup', 'list', 'bk', '--resource', 'bk1'])).stdout)).toContain(`Aborted (${op.workflowId})`);
  }, 120_000);
});

describe('MaxConcurrentBackupsPerNode', () => {
  it('set to 2 on the controller, lets two backups ship from a node at once; the third waits its turn, saying where it stands, and is handed the first slot freed', async () => {
    // LINSTOR's default is -1 (no limit): the limit is the operator's choice
    await ok(['controller', 'set-property', 'BackupShipping/MaxConcurrentBackupsPerNode', '2']);
    for (const r of ['bk2', 'bk3']) {
      await ok(['rd', 'c', r]);
      await ok(['vd', 'c', r, '64M']);
      await ok(['r', 'c', 'node1', r, '--storage-pool', 'pool1']);
      writeVolume('node1', r, 0, randomData(r, 24 * MiB));
    }
    await new Promise((r) => setTimeout(r, 1100));
    const ops = await Promise.all(['bk1', 'bk2', 'bk3'].map((resource) => cluster.client.backups.create({ remote: 'bk', resource, full: true })));
    let queued: { phase: string; queuedBehind?: string[] } | undefined;
    let waiter = '';
    await cluster.eventually('one backup is queued behind the two others', async () => {
      for (const op of ops) {
        const p = (await op.progress()) as { phase: string; queuedBehind?: string[] } | null;
        if (p?.queuedBehind) [queued, waiter] = [p, op.workflowId];
      }
      return queued !== undefined;
    }, 60_000);
    expect(queued!.phase).toMatch(/^queued for a shipping slot on node1: 1st of 1, slots held by backup\/bk\d\/back_\d{8}_\d{6}, backup\/bk\d\/back_\d{8}_\d{6} \(MaxConcurrentBackupsPerNode=2\)$/);
    const results = await Promise.all(ops.map((op) => op.result()));
    expect(results.map((r) => r.mode)).toEqual(['full', 'full', 'full']);
    // the queued backup was woken by the backup that handed it its slot, not by asking again later
    const conn = await Connection.connect({ address: cluster.env.temporalAddress });
    try {
      const history = await new Client({ connection: conn, namespace: cluster.env.namespace }).workflow.getHandle(waiter).fetchHistory();
      const signals = (history.events ?? []).filter((e) => e.workflowExecutionSignaledEventAttributes?.signalName === 'backupSlotGranted');
      expect(signals).toHaveLength(1);
      const slotTries = (history.events ?? []).filter((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'backupAcquireSlot');
      expect(slotTries).toHaveLength(2); // queued, then taken after the signal
    } finally {
      await conn.close();
    }
    const catalog = await Catalog.open(cluster.catalogUrl);
    try {
      expect(await catalog.db.all('SELECT * FROM backup_slot_waiters')).toEqual([]);
      expect(await catalog.remotes.slots()).toEqual([]);
    } finally {
      await catalog.close();
      await ok(['controller', 'set-property', 'BackupShipping/MaxConcurrentBackupsPerNode']);
    }
  }, 180_000);

  it('a backup terminated while it holds the node\'s only slot does not block the queue: the next one takes the slot back', async () => {
    await ok(['node', 'set-property', 'node1', 'BackupShipping/MaxConcurrentBackupsPerNode', '1']);
    const fault = String((await cluster.sim(['fault', 'add', 'node1', 'thin_send', '--hang', '--times', '1'])).stdout).trim();
    const conn = await Connection.connect({ address: cluster.env.temporalAddress });
    try {
      const stuck = await cluster.client.backups.create({ remote: 'bk', resource: 'bk2', full: true });
      await cluster.eventually('the first backup is shipping (its thin_send hangs)', async () => ((await stuck.progress()) as { phase: string } | null)?.phase.startsWith('shipping') ?? false, 60_000);
      const next = await cluster.client.backups.create({ remote: 'bk', resource: 'bk3', full: true });
      await cluster.eventually('the second backup is queued behind it', async () => ((await next.progress()) as { queuedBehind?: string[] } | null)?.queuedBehind?.includes(stuck.workflowId) ?? false, 60_000);
      // the controller's metrics show the node's queue
      const metrics = await scrapeMetrics(`${cluster.controllerUrl}/metrics`);
      expect([metricValue(metrics, 'ferry_backup_slots_in_use', { node: 'node1' }), metricValue(metrics, 'ferry_backup_queue_depth', { node: 'node1' })]).toEqual([1, 1]);
      await new Client({ connection: conn, namespace: cluster.env.namespace }).workflow.getHandle(stuck.workflowId).terminate('test: a slot holder that never gives its slot back');
      // the queued backup asks again within 40 s, finds the holder ended and takes the slot
      expect((await next.result()).mode).toBe('full');
      // the terminated one is listed as a failed shipment, the other as a backup
      const l = JSON.parse(String((await ok(['backup', 'list', 'bk', '-m'])).stdout)) as { linstor: { success: boolean | null; shipping: boolean; status: string; workflow_id?: string; origin_rsc: string }[] };
      expect(l.linstor.filter((b) => b.workflow_id === stuck.workflowId)).toEqual([expect.objectContaining({ origin_rsc: 'bk2', success: false, shipping: false, status: 'failed' })]);
    } finally {
      await conn.close();
      await cluster.sim(['fault', 'clear', 'node1', fault]);
      await ok(['node', 'set-property', 'node1', 'BackupShipping/MaxConcurrentBackupsPerNode']);
    }
  }, 180_000);
});

describe('a replica that is not UpToDate', () => {
  it('is not shipped from: the backup waits while it resyncs, then ships', async () => {
    await ok(['rd', 'c', 'ud0']);
    await ok(['rd', 'set-property', 'ud0', 'DrbdOptions/PeerDevice/c-max-rate', '512K']);
    await ok(['vd', 'c', 'ud0', '8M']);
    await ok(['r', 'c', 'node1', 'node2', 'ud0', '--storage-pool', 'pool1']);
    writeVolume('node1', 'ud0', 0, randomData('ud0', 4 * MiB));
    // node2's copy is thrown away and resynced from node1 (8 MiB at 512 KiB/s)
    expect((await cluster.host('node2', 'drbdadm', ['invalidate', 'ud0'])).exitCode).toBe(0);
    const diskOnNode2 = async () => {
      const [st] = JSON.parse(String((await cluster.host('node2', 'drbdsetup', ['status', 'ud0', '--json'])).stdout)) as { devices: { 'disk-state': string }[] }[];
      return st!.devices[0]!['disk-state'];
    };
    const op = await cluster.client.backups.create({ remote: 'bk', resource: 'ud0', node: 'node2', full: true });
    await cluster.eventually('the backup waits for the replica on node2', async () => ((await op.progress()) as { phase: string } | null)?.phase.startsWith('checking that the replica on node2 is UpToDate') ?? false, 60_000);
    expect(await diskOnNode2()).toBe('Inconsistent');
    const r = await op.result();
    expect(r).toMatchObject({ node: 'node2', mode: 'full' });
    expect(await diskOnNode2()).toBe('UpToDate');
    await ok(['backup', 'verify', 'bk', r.id]);
  }, 180_000);
});

describe('bad requests', () => {
  it('fail clearly and change nothing in the catalog or the bucket', async () => {
    const keys = await bucketKeys();
    const remotes = (await ok(['remote', 'list', '-m'])).stdout;
    await ok(['remote', 'create', 's3', 'badkeys', s3cfg.endpoint, bucket, 'us-east-1', s3cfg.accessKey, 'not-the-secret', '--use-path-style']);
    const wrong = await cluster.ferry(['backup', 'create', 'badkeys', 'bk1']);
    expect(wrong.exitCode).not.toBe(0);
    expect(wrong.stderr).toMatch(/remote 'badkeys'.*access denied/);
    // remote modify: the right secret makes the remote usable; only what was given changes
    expect((await cluster.ferry(['backup', 'list', 'badkeys'])).exitCode).not.toBe(0);
    await ok(['remote', 'modify', 's3', 'badkeys', '--secret-key', s3cfg.secretKey, '--region', 'eu-west-1']);
    expect((await cluster.ferry(['backup', 'list', 'badkeys'])).exitCode).toBe(0);
    // a list filter that is no name is refused, not searched for
    await expect(cluster.client.request('GET', '/v1/remotes/bk/backups?rsc_name=no%20name')).rejects.toThrow(/rsc_name/);
    await expect(cluster.client.request('GET', '/v1/remotes/bk/backups?snap_name=a%22b')).rejects.toThrow(/snap_name/);
    const modified = (JSON.parse(String((await ok(['remote', 'list', '-m'])).stdout)) as { remote_name: string; endpoint: string; bucket: string; region: string }[]).find((r) => r.remote_name === 'badkeys');
    expect(modified).toMatchObject({ region: 'eu-west-1', bucket });
    expect(modified!.endpoint).toContain(new URL(s3cfg.endpoint).host);
    const nothing = await cluster.ferry(['remote', 'modify', 's3', 'badkeys']);
    expect({ code: nothing.exitCode, err: nothing.stderr }).toEqual({ code: 2, err: expect.stringContaining('remote modify needs at least one change') });
    expect((await cluster.ferry(['remote', 'modify', 's3', 'badkeys', '--bucket', 'Bad_Bucket'])).exitCode).toBe(2);
    expect((await cluster.ferry(['remote', 'modify', 's3', 'nosuch', '--region', 'x'])).exitCode).toBe(3);
    await ok(['remote', 'create', 's3', 'nobucket', s3cfg.endpoint, 'ferry-no-such-bucket-here', 'us-east-1', s3cfg.accessKey, s3cfg.secretKey, '--use-path-style']);
    const missing = await cluster.ferry(['backup', 'create', 'nobucket', 'bk1']);
    expect(missing.exitCode).toBe(3);
    expect(missing.stderr).toMatch(/bucket 'ferry-no-such-bucket-here' does not exist/);
    const unknown = await cluster.ferry(['backup', 'create', 'nope', 'bk1']);
    expect(unknown.exitCode).toBe(3);
    expect(unknown.stderr).toMatch(/remote 'nope' not found/);
    const existing = await cluster.ferry(['backup', 'restore', 'bk', 'node1', 'bk1', '--resource', 'bk1']);
    expect(existing.exitCode).toBe(5);
    expect(existing.stderr).toMatch(/resource definition 'bk1' already exists/);
    const badName = await cluster.ferry(['remote', 'create', 's3', 'x', s3cfg.endpoint, 'Bad_Bucket', 'us-east-1', 'a', 'b']);
    expect(badName.exitCode).toBe(2);
    await ok(['remote', 'delete', 'badkeys']);
    await ok(['remote', 'delete', 'nobucket']);
    expect((await ok(['remote', 'list', '-m'])).stdout).toBe(remotes);
    expect(await bucketKeys()).toEqual(keys);
    const snaps = String((await cluster.sim(['state', 'node1'])).stdout).match(/bk1_00000_back_\d{8}_\d{6}/g) ?? [];
    expect(new Set(snaps).size).toBe(1); // only the base of the next incremental
  }, 120_000);
});

describe('damaged backups', () => {
  it('fail a restore clearly and leave no half-made resource behind', async () => {
    // bk1's newest backup: one data object; replace its bytes (same length) behind ferry's back
    const listed = JSON.parse(String((await ok(['backup', 'list', 'bk', '--resource', 'bk1', '-m'])).stdout)) as { linstor: { id: string; status: string; vlms: { s3: { key: string } }[] }[] };
    const l = { linstor: listed.linstor.filter((b) => b.status === 'done') }; // not the aborted shipment
    const key = l.linstor.at(-1)!.vlms[0]!.s3.key;
    const size = (await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }))).ContentLength!;
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: randomData('rot', size) }));
    const verify = await cluster.ferry(['backup', 'verify', 'bk', l.linstor.at(-1)!.id]);
    expect(verify.exitCode).toBe(1);
    expect(verify.stdout).toMatch(/FAILED: .*sha256/);
    const damaged = await cluster.ferry(['backup', 'restore', 'bk', 'node2', 'bk1bad', '--resource', 'bk1']);
    expect(damaged.exitCode).not.toBe(0);
    expect(damaged.stderr).toMatch(/backup data is damaged: checksum mismatch in s3:\/\/[^ ]+ part 1/);
    const damagedDownload = await cluster.ferry(['backup', 'restore', 'bk', 'node2', 'bk1dl', '--resource', 'bk1', '--download-only']);
    expect(damagedDownload.exitCode).not.toBe(0);
    expect(damagedDownload.stderr).toMatch(/backup data is damaged: checksum mismatch in s3:\/\/[^ ]+ part 1/);
    expect((await ok(['s', 'l'])).stdout).not.toContain('bk1dl');
    // the incremental of bk0 loses its data object
    await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: incId.replace('_back_', '_00000_back_') }));
    const missing = await cluster.ferry(['backup', 'restore', 'bk', 'node2', 'bk0again', '--id', incId]);
    expect(missing.exitCode).toBe(3);
    expect(missing.stderr).toMatch(/data object bk0_00000_back_\d{8}_\d{6} of backup bk0_back_\d{8}_\d{6} is missing/);
    expect((await cluster.client.resourceDefinitions.list()).map((d) => d.name).filter((n) => n === 'bk1bad' || n === 'bk0again' || n === 'bk1dl')).toEqual([]);
    const lvs = String((await cluster.sim(['state', 'node2'])).stdout);
    expect(lvs).not.toMatch(/bk1bad_|bk0again_|bk1dl_/);
  }, 120_000);

  it('are deleted with their dependents only with --cascade; --dry-run only lists', async () => {
    const refused = await cluster.ferry(['backup', 'delete', 'id', 'bk', fullId]);
    expect(refused.exitCode).toBe(5);
    expect(refused.stderr).toContain(`backup ${fullId} cannot be deleted: 1 other backup(s) are based on it (${incId})`);
    const dry = await ok(['backup', 'delete', 'id', 'bk', fullId, '--cascade', '--dry-run']);
    expect(dry.stdout).toContain(`Would delete ${incId}, ${fullId}`);
    expect((await bucketKeys()).filter((k) => k.startsWith('bk0_'))).toEqual([`${fullId}.meta`, fullId.replace('_back_', '_00000_back_'), `${incId}.meta`].sort());
    await ok(['backup', 'delete', 'id', 'bk', fullId, '--cascade']);
    expect((await bucketKeys()).filter((k) => k.startsWith('bk0_'))).toEqual([]);
    const l = JSON.parse(String((await ok(['backup', 'list', 'bk', '-m'])).stdout)) as { linstor: { origin_rsc: string }[] };
    expect(l.linstor.filter((b) => b.origin_rsc === 'bk0')).toEqual([]);
  }, 60_000);

  it('are selected as the guide says: filter, all --cluster, id --prefix; stray objects by list --other and s3key', async () => {
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'randomPictureInWrongBucket', Body: 'jpeg' }));
    const other = await ok(['backup', 'list', 'bk', '--other']);
    expect(other.stdout).toContain('randomPictureInWrongBucket');
    expect(other.stdout).not.toMatch(/_back_/);
    const l = JSON.parse(String((await ok(['backup', 'list', 'bk', '-m'])).stdout)) as { linstor: { id: string; origin_rsc: string; origin_node: string; status: string }[] };
    const bk1 = l.linstor.filter((b) => b.origin_rsc === 'bk1' && b.status === 'done');
    expect(bk1.length).toBeGreaterThan(0);
    const bk1Keys = (await bucketKeys()).filter((k) => k.startsWith('bk1_'));
    // a filter by resource and uploading node lists exactly bk1's objects
    const dry = await ok(['backup', 'delete', 'filter', 'bk', '-r', 'bk1', '-n', bk1[0]!.origin_node, '--cascade', '--dry-run']);
    for (const k of bk1Keys) expect(dry.stdout).toContain(k);
    expect(dry.stdout).not.toContain('randomPictureInWrongBucket');
    // this cluster made them all: all --cluster lists them too; a filter that matches nothing, or is not a time, is refused
    const all = await ok(['backup', 'delete', 'all', 'bk', '--cluster', '--dry-run']);
    for (const b of bk1) expect(all.stdout).toContain(b.id);
    const none = await cluster.ferry(['backup', 'delete', 'filter', 'bk', '-r', 'nosuch']);
    expect({ code: none.exitCode, err: none.stderr }).toEqual({ code: 3, err: expect.stringContaining("no backup matches: backups of resource 'nosuch'") });
    const notTime = await cluster.ferry(['backup', 'delete', 'filter', 'bk', '-t', 'yesterday']);
    expect(notTime.exitCode).toBe(2);
    expect(notTime.stderr).toContain("'yesterday' is not a time");
    const empty = await cluster.ferry(['backup', 'delete', 'filter', 'bk']);
    expect(empty.exitCode).toBe(2);
    expect((await bucketKeys()).filter((k) => k.startsWith('bk1_'))).toEqual(bk1Keys);
    // id --prefix deletes every bk1 backup; s3key the stray object, once
    await ok(['backup', 'delete', 'id', 'bk', 'bk1_back_', '--prefix', '--cascade']);
    expect((await bucketKeys()).filter((k) => k.startsWith('bk1_'))).toEqual([]);
    await ok(['backup', 'delete', 's3key', 'bk', 'randomPictureInWrongBucket']);
    expect(await bucketKeys()).not.toContain('randomPictureInWrongBucket');
    const gone = await cluster.ferry(['backup', 'delete', 's3key', 'bk', 'randomPictureInWrongBucket']);
    expect(gone.exitCode).toBe(3);
    expect(gone.stderr).toContain("object 'randomPictureInWrongBucket' not found");
  }, 90_000);
});

describe('secrets', () => {
  it('are absent from every workflow history and every log file', async () => {
    const conn = await Connection.connect({ address: cluster.env.temporalAddress });
    try {
      const client = new Client({ connection: conn, namespace: cluster.env.namespace });
      let histories = 0;
      for await (const wf of client.workflow.list()) {
        const h = JSON.stringify(await client.workflow.getHandle(wf.workflowId, wf.runId).fetchHistory());
        expect(h).not.toContain(s3cfg.accessKey);
        expect(h).not.toContain(s3cfg.secretKey);
        expect(h).not.toContain(Buffer.from(s3cfg.secretKey).toString('base64'));
        histories++;
      }
      expect(histories).toBeGreaterThan(10);
    } finally {
      await conn.close();
    }
    const logs = readdirSync(cluster.env.logDir);
    expect(logs.length).toBeGreaterThanOrEqual(4);
    for (const f of logs) {
      const text = readFileSync(join(cluster.env.logDir, f), 'utf8');
      expect({ f, access: text.includes(s3cfg.accessKey), secret: text.includes(s3cfg.secretKey) }).toEqual({ f, access: false, secret: false });
    }
  }, 120_000);
});
