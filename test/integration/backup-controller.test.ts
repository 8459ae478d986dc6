// The controller's view of a bucket: list backups by resource, commit .meta last, verify a backup
// and its chain by reading the objects, delete with LINSTOR's cascade rules, find and abort orphaned
// multipart uploads. Real S3 (the harness's SeaweedFS), real zstd, data made by the node pipeline.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { execa } from 'execa';
import { CreateMultipartUploadCommand, DeleteObjectCommand, GetObjectCommand, HeadObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { backupId, dataKey, metaKey } from '../../core/backup-names.js';
import { buildBackupMeta, type BackupMeta } from '../../core/backup-meta.js';
import { restoreFromS3, shipToS3 } from '../../activities/node/backup/pipeline.js';
import { ChecksumMismatchError, downloadStream } from '../../bucket/download.js';
import { UploadAbortedError, uploadStream } from '../../bucket/upload.js';
import { createS3Client } from '../../bucket/s3.js';
import {
  abortUnfinishedUploads, BackupCommitError, BackupHasDependentsError, BackupNotFoundError, deleteBackup, listBackups, listUnfinishedUploads, readBackupMeta,
  verifyBackup, writeBackupMeta,
} from '../../bucket/index.js';
import { countRequests, createTestBucket, generatorArgv, MiB, s3ConfigFromEnv, s3FromEnv } from './backup-s3-env.js';

let s3: S3Client;
let bucket: string;

const day = (d: number): number => Date.UTC(2024, 0, d, 3, 0, 0);

/** Ships `vols` volumes of a small generated volume and commits the backup, as a shipment would. */
async function makeBackup(rsc: string, ts: number, base?: { id: string; chain: readonly string[] }, vols = 1): Promise<{ id: string; meta: BackupMeta }> {
  const id = backupId({ rsc, startTimestamp: ts });
  const volumes = [];
  for (let vlmNr = 0; vlmNr < vols; vlmNr += 1) {
    const key = dataKey({ rsc, startTimestamp: ts, vlmNr });
    const r = await shipToS3({ source: generatorArgv(14 * MiB, `${id}/${vlmNr}`), s3, bucket, key, partSize: 5 * MiB, zstdLevel: 1 });
    volumes.push({ vlmNr, sizeKiB: 14 * 1024, dataKey: key, uncompressedBytes: r.uncompressedBytes, compressedBytes: r.bytes, partSize: 5 * MiB, parts: r.parts, sha256: r.sha256 });
  }
  const meta = buildBackupMeta({ rscName: rsc, nodeName: 'node-1', startTimestamp: ts, finishTimestamp: ts + 1000, id, base, volumes, compressionLevel: 1 });
  await writeBackupMeta({ s3, bucket, id, meta });
  return { id, meta };
}

async function flipByte(key: string, offset: number): Promise<void> {
  const body = Buffer.from(await (await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }))).Body!.transformToByteArray());
  body[offset]! ^= 0x01;
  await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
}

const exists = (key: string): Promise<boolean> => s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key })).then(() => true, () => false);

let F: { id: string; meta: BackupMeta };
let I1: { id: string; meta: BackupMeta };
let I2: { id: string; meta: BackupMeta };
let F2: { id: string; meta: BackupMeta };

beforeAll(async () => {
  s3 = s3FromEnv();
  bucket = await createTestBucket(s3, 'ctrl');
  F = await makeBackup('db0', day(1), undefined, 2);
  I1 = await makeBackup('db0', day(2), { id: F.id, chain: F.meta.ferry!.chain });
  I2 = await makeBackup('db0', day(3), { id: I1.id, chain: I1.meta.ferry!.chain });
  F2 = await makeBackup('db0', day(4));
  await makeBackup('db0_x', day(1)); // shares the prefix "db0_"
  // an unfinished backup of db0: data without .meta
  await s3.send(new PutObjectCommand({ Bucket: bucket, Key: dataKey({ rsc: 'db0', startTimestamp: day(5), vlmNr: 0 }), Body: 'partial' }));
  await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'randomPictureInWrongBucket.jpg', Body: 'jpeg' }));
});
afterAll(() => s3.destroy());

describe('listing backups', () => {
  it('lists one resource by its prefix only, paginated, committed and unfinished', async () => {
    const client = createS3Client(s3ConfigFromEnv());
    const prefixes: (string | undefined)[] = [];
    client.middlewareStack.add((next, ctx) => async (args) => {
      if (ctx.commandName === 'ListObjectsV2Command') prefixes.push((args.input as { Prefix?: string }).Prefix);
      return next(args);
    }, { step: 'initialize' });
    const { backups, other } = await listBackups({ s3: client, bucket, rsc: 'db0', pageSize: 2 });
    expect(backups.map((b) => b.id)).toEqual([F.id, I1.id, I2.id, F2.id, 'db0_back_20240105_030000']);
    expect(backups.map((b) => b.committed)).toEqual([true, true, true, true, false]);
    expect(backups[0]!.dataObjects.map((d) => d.vlmNr)).toEqual([0, 1]);
    expect(backups[0]!.size).toBe(F.meta.ferry!.volumes['0']!.compressedBytes + F.meta.ferry!.volumes['1']!.compressedBytes);
    expect(other).toEqual([]);
    // 6 db0 keys + 4 more + db0_x's 2 keys under "db0_" at 2 a page: several pages, all with the prefix
    expect(prefixes.length).toBeGreaterThan(3);
    expect(new Set(prefixes)).toEqual(new Set(['db0_']));
    client.destroy();
  });

  it('lists the whole bucket with the keys that are not backups', async () => {
    const { backups, other } = await listBackups({ s3, bucket });
    expect(backups.filter((b) => b.rsc === 'db0_x').map((b) => b.id)).toEqual(['db0_x_back_20240101_030000']);
    expect(other.map((o) => o.key)).toEqual(['randomPictureInWrongBucket.jpg']);
  });
});

describe('committing and verifying', () => {
  it('refuses to commit a .meta whose data objects are not there', async () => {
    const ts = day(20);
    const meta = buildBackupMeta({
      rscName: 'db9', nodeName: 'n', startTimestamp: ts, finishTimestamp: ts, id: backupId({ rsc: 'db9', startTimestamp: ts }),
      base: { id: 'db9_back_20240101_000000', chain: ['db9_back_20240101_000000'] },
      volumes: [{ vlmNr: 0, sizeKiB: 1, dataKey: dataKey({ rsc: 'db9', startTimestamp: ts, vlmNr: 0 }), uncompressedBytes: 1, compressedBytes: 1, partSize: 5 * MiB, parts: [{ partNumber: 1, size: 1, sha256: '0'.repeat(64) }], sha256: '0'.repeat(64), uncompressedSha256: '0'.repeat(64) }],
    });
    const err = await writeBackupMeta({ s3, bucket, id: backupId({ rsc: 'db9', startTimestamp: ts }), meta }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BackupCommitError);
    expect((err as Error).message).toMatch(/data object db9_00000_back_20240120_030000 is missing; parent backup db9_back_20240101_000000 is not in the bucket/);
    expect(await exists(metaKey({ rsc: 'db9', startTimestamp: ts }))).toBe(false);
  });

  it('verifies an incremental and its whole chain by reading every part', async () => {
    const r = await verifyBackup({ s3, bucket, id: I2.id });
    expect(r.problems).toEqual([]);
    expect(r.ok).toBe(true);
    expect(r.chain).toEqual([F.id, I1.id, I2.id]);
    expect(r.backups.map((b) => [b.id, b.objects])).toEqual([[I2.id, 1], [I1.id, 1], [F.id, 2]]);
    const total = [F, I1, I2].reduce((a, b) => a + Object.values(b.meta.ferry!.volumes).reduce((x, v) => x + v.compressedBytes, 0), 0);
    expect(r.backups.reduce((a, b) => a + b.bytesRead, 0)).toBe(total);
  });

  it('finds a corrupted part, a missing object and a broken chain; the download refuses the corrupted part', async () => {
    const A = await makeBackup('vfy', day(1));
    const B = await makeBackup('vfy', day(2), { id: A.id, chain: A.meta.ferry!.chain });
    const C = await makeBackup('vfy', day(3), { id: B.id, chain: B.meta.ferry!.chain });
    const bVol = B.meta.ferry!.volumes['0']!;
    await flipByte(bVol.dataKey, bVol.parts[0]!.size + 7); // part 2 of B

    let r = await verifyBackup({ s3, bucket, id: C.id });
    expect(r.ok).toBe(false);
    expect(r.problems).toEqual([expect.objectContaining({ backupId: B.id, key: bVol.dataKey, partNumber: 2, problem: expect.stringMatching(/^part 2: sha256 [0-9a-f]{64}, expected /) })]);
    // presence-only mode does not read data, so it does not see it
    expect((await verifyBackup({ s3, bucket, id: C.id, readData: false })).ok).toBe(true);

    const dl = downloadStream({ s3, bucket, key: bVol.dataKey, parts: bVol.parts, expectedSha256: bVol.sha256 });
    const err = await (async () => { for await (const _c of dl) { /* consume */ } })().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ChecksumMismatchError);
    expect((err as Error).message).toContain(`s3://${bucket}/${bVol.dataKey} part 2`);

    await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: C.meta.ferry!.volumes['0']!.dataKey }));
    await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: `${A.id}.meta` }));
    r = await verifyBackup({ s3, bucket, id: C.id, readData: false });
    expect(r.problems.map((p) => p.problem)).toEqual([
      'data object is missing',
      `parent of ${B.id}: metadata object is missing (chain broken)`,
    ]);
    expect(r.chain).toEqual([B.id, C.id]);
  });

  it('verifies and restores a backup written by ferry before format version 2 (uncompressedSha256 recorded)', async () => {
    const ts = day(9);
    const id = backupId({ rsc: 'old1', startTimestamp: ts });
    const key = dataKey({ rsc: 'old1', startTimestamp: ts, vlmNr: 0 });
    const source = generatorArgv(14 * MiB, 'format-v1');
    const r = await shipToS3({ source, s3, bucket, key, partSize: 5 * MiB, zstdLevel: 1 });
    const rawSha = createHash('sha256');
    for await (const c of execa(source[0], source.slice(1), { buffer: false, encoding: 'buffer' }).stdout as Readable) rawSha.update(c as Buffer);
    const uncompressedSha256 = rawSha.digest('hex');
    // the .meta exactly as ferry wrote it before version 2
    const v2 = buildBackupMeta({ rscName: 'old1', nodeName: 'node-1', startTimestamp: ts, finishTimestamp: ts + 1000, id, volumes: [{ vlmNr: 0, sizeKiB: 14 * 1024, dataKey: key, uncompressedBytes: r.uncompressedBytes, compressedBytes: r.bytes, partSize: 5 * MiB, parts: r.parts, sha256: r.sha256 }], compressionLevel: 1 });
    const v1 = JSON.parse(JSON.stringify(v2)) as { ferry: { formatVersion: number; volumes: Record<string, Record<string, unknown>> } };
    v1.ferry.formatVersion = 1;
    v1.ferry.volumes['0']!.uncompressedSha256 = uncompressedSha256;
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: metaKey({ rsc: 'old1', startTimestamp: ts }), Body: JSON.stringify(v1) }));

    const read = (await readBackupMeta(s3, bucket, id)).meta;
    expect(read.ferry?.formatVersion).toBe(1);
    expect(read.ferry?.volumes['0']?.uncompressedSha256).toBe(uncompressedSha256);
    const v = await verifyBackup({ s3, bucket, id });
    expect(v.problems).toEqual([]);
    expect(v.ok).toBe(true);
    // restore: the node pipeline with the part list from that .meta gives back the bytes its uncompressedSha256 names
    const dir = mkdtempSync(join(tmpdir(), 'ferry-meta-v1-'));
    try {
      await restoreFromS3({ s3, bucket, key, parts: read.ferry!.volumes['0']!.parts, sink: ['dd', `of=${join(dir, 'vol')}`, 'bs=1M', 'status=none'] });
      expect(createHash('sha256').update(readFileSync(join(dir, 'vol'))).digest('hex')).toBe(uncompressedSha256);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('verifies a LINSTOR-made backup (no ferry checksums) for presence, with a warning', async () => {
    const key = 'legacy_00000_back_20210824_072543';
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: 'zstd frames' }));
    const linstorMeta = { rscName: 'legacy', nodeName: 'n1', startTimestamp: 1629789943000, finishTimestamp: 1629789999000, layerData: {}, rscDfn: { snapDfnProps: {}, rscDfnProps: {}, flags: 0, vlmDfns: { 0: { size: 1024, flags: 0 } } }, rsc: { flags: 0 }, backups: { 0: [{ name: key, finishedTimestamp: 1629789999000, node: 'n1' }] }, clusterId: 'c', snapDfnUuid: 'u' };
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'legacy_back_20210824_072543.meta', Body: JSON.stringify(linstorMeta) }));
    const r = await verifyBackup({ s3, bucket, id: 'legacy_back_20210824_072543' });
    expect(r.ok).toBe(true);
    expect(r.warnings.map((w) => w.problem)).toEqual(['no checksums recorded (not written by ferry): checked presence only']);
    expect((await readBackupMeta(s3, bucket, 'legacy_back_20210824_072543.meta')).meta.ferry).toBeUndefined();
  });

  it('reports a backup that does not exist', async () => {
    const r = await verifyBackup({ s3, bucket, id: 'nope_back_20240101_000000' });
    expect(r).toMatchObject({ ok: false, chain: [], problems: [{ backupId: 'nope_back_20240101_000000', problem: 'metadata object is missing' }] });
    await expect(readBackupMeta(s3, bucket, 'nope_back_20240101_000000')).rejects.toBeInstanceOf(BackupNotFoundError);
  });
});

describe('deleting backups', () => {
  it('refuses to delete a backup others are based on, naming them', async () => {
    const err = await deleteBackup({ s3, bucket, id: I1.id }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BackupHasDependentsError);
    expect((err as BackupHasDependentsError).dependents).toEqual([I2.id]);
    expect((err as Error).message).toBe(`backup ${I1.id} cannot be deleted: 1 other backup(s) are based on it (${I2.id}); use --cascade to delete them too`);
    expect(await exists(`${I1.id}.meta`)).toBe(true);
  });

  it('dry-runs a cascade: lists the keys, descendants first, deletes nothing', async () => {
    const plan = await deleteBackup({ s3, bucket, id: F.id, cascade: true, dryRun: true });
    expect(plan.deleted).toBe(false);
    expect(plan.backups).toEqual([I2.id, I1.id, F.id]);
    expect(plan.keys).toEqual([
      `${I2.id}.meta`, I2.meta.ferry!.volumes['0']!.dataKey,
      `${I1.id}.meta`, I1.meta.ferry!.volumes['0']!.dataKey,
      `${F.id}.meta`, F.meta.ferry!.volumes['0']!.dataKey, F.meta.ferry!.volumes['1']!.dataKey,
    ]);
    for (const k of plan.keys) expect(await exists(k)).toBe(true);
  });

  it('deletes with cascade: the children go, the parents and other chains stay', async () => {
    const res = await deleteBackup({ s3, bucket, id: I1.id, cascade: true });
    expect(res.backups).toEqual([I2.id, I1.id]);
    for (const k of res.keys) expect(await exists(k)).toBe(false);
    const left = (await listBackups({ s3, bucket, rsc: 'db0' })).backups.map((b) => b.id);
    expect(left).toEqual([F.id, F2.id, 'db0_back_20240105_030000']);
    expect((await verifyBackup({ s3, bucket, id: F.id, readData: false })).ok).toBe(true);
  });

  it('deletes a leaf and an unfinished backup without cascade', async () => {
    expect((await deleteBackup({ s3, bucket, id: F2.id })).keys).toHaveLength(2);
    const res = await deleteBackup({ s3, bucket, id: 'db0_back_20240105_030000' });
    expect(res.keys).toEqual(['db0_00000_back_20240105_030000']);
    expect((await listBackups({ s3, bucket, rsc: 'db0' })).backups.map((b) => b.id)).toEqual([F.id]);
    await expect(deleteBackup({ s3, bucket, id: F2.id })).rejects.toBeInstanceOf(BackupNotFoundError);
  });
});

describe('orphaned multipart uploads', () => {
  it('lists the uploads a killed shipment left, and aborts them', async () => {
    const key = dataKey({ rsc: 'orph', startTimestamp: day(1), vlmNr: 0 });
    const ac = new AbortController();
    const err = await uploadStream({
      s3, bucket, key, partSize: 5 * MiB, keepUploadOnAbort: true, signal: ac.signal,
      source: Readable.from([Buffer.alloc(5 * MiB), Buffer.alloc(5 * MiB), Buffer.alloc(MiB)]),
      onProgress: () => ac.abort(),
    }).catch((e: unknown) => e as UploadAbortedError);
    expect(err).toBeInstanceOf(UploadAbortedError);
    const id = (err as UploadAbortedError).uploadId;
    const counter = countRequests(s3);
    const found = await listUnfinishedUploads({ s3, bucket, prefix: 'orph_' });
    expect(found.map((u) => [u.key, u.uploadId])).toEqual([[key, id]]);
    expect(counter.counts.get('ListMultipartUploadsCommand')).toBe(1);
    expect(await listUnfinishedUploads({ s3, bucket, prefix: 'orph_', olderThanMs: 3_600_000 })).toEqual([]);
    expect((await abortUnfinishedUploads({ s3, bucket, prefix: 'orph_', dryRun: true })).aborted).toHaveLength(1);
    expect(await listUnfinishedUploads({ s3, bucket, prefix: 'orph_' })).toHaveLength(1);
    expect((await abortUnfinishedUploads({ s3, bucket, prefix: 'orph_' })).aborted.map((u) => u.uploadId)).toEqual([id]);
    expect(await listUnfinishedUploads({ s3, bucket, prefix: 'orph_' })).toEqual([]);
  });

  it('aborts the uploads of exactly one key, not of a longer key that starts with it', async () => {
    const key = dataKey({ rsc: 'exact', startTimestamp: day(1), vlmNr: 0 });
    const mine = await s3.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: key }));
    const longer = await s3.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: `${key}x` }));
    expect((await listUnfinishedUploads({ s3, bucket, key })).map((u) => u.uploadId)).toEqual([mine.UploadId]);
    expect((await abortUnfinishedUploads({ s3, bucket, key })).aborted.map((u) => u.uploadId)).toEqual([mine.UploadId]);
    expect((await listUnfinishedUploads({ s3, bucket, prefix: key })).map((u) => [u.key, u.uploadId])).toEqual([[`${key}x`, longer.UploadId]]);
    await abortUnfinishedUploads({ s3, bucket, prefix: key });
  });
});
