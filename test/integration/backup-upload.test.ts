// An operator's story of shipping a volume to S3 and back, against the real S3 server of the
// harness and the real zstd: byte-exact round trip with bounded memory, a killed upload resumed
// without re-sending finished parts, a cancelled upload cleaned up, failures named clearly.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { GetObjectCommand, HeadObjectCommand, ListMultipartUploadsCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { execa } from 'execa';
import { createS3Client, S3OperationError } from '../../bucket/s3.js';
import { UploadAbortedError, uploadStream, type UploadedPart } from '../../bucket/upload.js';
import { ChecksumMismatchError, downloadStream } from '../../bucket/download.js';
import { PipelineStageError, restoreFromS3, shipToS3 } from '../../activities/node/backup/pipeline.js';
import { countRequests, createTestBucket, generatorArgv, MiB, s3ConfigFromEnv, s3FromEnv } from './backup-s3-env.js';

let s3: S3Client;
let bucket: string;
let dir: string;

beforeAll(async () => {
  s3 = s3FromEnv();
  bucket = await createTestBucket(s3, 'upload');
  dir = mkdtempSync(join(tmpdir(), 'ferry-backup-upload-'));
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
  s3.destroy();
});

async function sha256OfCommand(argv: [string, ...string[]]): Promise<string> {
  const [file, ...args] = argv;
  const p = execa(file, args, { stdout: 'pipe', buffer: false, encoding: 'buffer' });
  const h = createHash('sha256');
  for await (const c of p.stdout as Readable) h.update(c as Buffer);
  await p;
  return h.digest('hex');
}

const sha256File = (path: string): string => createHash('sha256').update(readFileSync(path)).digest('hex');

describe('shipping a volume through zstd to S3 and back', () => {
  it('round-trips 144 MiB of mixed data byte-exact, with per-part checksums and bounded memory', async () => {
    const bytes = 144 * MiB;
    const source = generatorArgv(bytes, 'roundtrip');
    const key = 'db0_00000_back_20240101_000000';
    const baseline = process.memoryUsage().rss;
    let peak = baseline;
    const sampler = setInterval(() => { peak = Math.max(peak, process.memoryUsage().rss); }, 20);
    let progressCalls = 0;
    const t0 = Date.now();
    const shipped = await shipToS3({
      source, s3, bucket, key, zstdLevel: 3, partSize: 8 * MiB, concurrency: 4,
      onProgress: () => { progressCalls += 1; },
    }).finally(() => clearInterval(sampler));
    const shipMs = Date.now() - t0;

    // zstd's own count: the uncompressed stream no longer passes through this process
    expect(shipped.uncompressedBytes).toBe(bytes);
    const sourceSha256 = await sha256OfCommand(source);
    expect(shipped.bytes).toBeLessThan(bytes * 0.6); // zeros and text compress
    expect(shipped.bytes).toBeGreaterThan(bytes * 0.3); // random does not
    expect(shipped.parts.map((p) => p.partNumber)).toEqual(shipped.parts.map((_p, i) => i + 1));
    expect(shipped.parts.slice(0, -1).every((p) => p.size === 8 * MiB)).toBe(true);
    expect(shipped.parts.reduce((a, p) => a + p.size, 0)).toBe(shipped.bytes);
    expect(progressCalls).toBe(shipped.parts.length);
    const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
    expect(head.ContentLength).toBe(shipped.bytes);
    // memory: 4 parts in flight + 1 filling = 40 MiB of buffers; the rest is SDK and jest noise
    const growth = (peak - baseline) / MiB;
    console.log(`ship: ${bytes / MiB} MiB -> ${(shipped.bytes / MiB).toFixed(1)} MiB in ${shipMs} ms, ${shipped.parts.length} parts, RSS growth ${growth.toFixed(0)} MiB`);
    expect(growth).toBeLessThan(160);

    const out = join(dir, 'restored.img');
    const restored = await restoreFromS3({
      s3, bucket, key, parts: shipped.parts, expectedSha256: shipped.sha256,
      sink: ['dd', `of=${out}`, 'bs=1M', 'status=none'],
    });
    expect(restored).toEqual({ bytes: shipped.bytes });
    expect(statSync(out).size).toBe(bytes);
    expect(sha256File(out)).toBe(sourceSha256);
    rmSync(out);
  });

  it('knows the uncompressed size without relaying the stream: zstd counts it, progress reads it live; a bandwidth limit relays and counts it too', async () => {
    const bytes = 24 * MiB;
    const source = generatorArgv(bytes, 'counted');
    const seen: number[] = [];
    const direct = await shipToS3({ source, s3, bucket, key: 'cnt0_00000_back_20240101_000000', partSize: 5 * MiB, onProgress: (p) => { seen.push(p.sourceBytes); } });
    expect(direct.uncompressedBytes).toBe(bytes);
    expect(seen.length).toBe(direct.parts.length);
    expect(seen.every((b, i) => b <= bytes && (i === 0 || b >= seen[i - 1]!))).toBe(true);
    // one part of 5 MiB compressed is more than 5 MiB read
    expect(seen.at(-1)!).toBeGreaterThan(5 * MiB);

    const limited = await shipToS3({ source, s3, bucket, key: 'cnt1_00000_back_20240101_000000', partSize: 5 * MiB, maxSourceBytesPerSec: 200 * MiB });
    expect(limited.uncompressedBytes).toBe(bytes);
    expect(limited.sha256).toBe(direct.sha256); // the same stream either way
  });

  it('loses no compressed bytes while S3 is slow to start the upload, however large or small the stream', async () => {
    const client = createS3Client(s3ConfigFromEnv());
    // zstd has compressed several MiB before the uploader reads its first byte
    client.middlewareStack.add((next, ctx) => async (args) => {
      if (ctx.commandName === 'CreateMultipartUploadCommand') await new Promise((r) => setTimeout(r, 500));
      return next(args);
    }, { step: 'initialize', name: 'slowCreate' });
    const bytes = 48 * MiB;
    const source = generatorArgv(bytes, 'slowstart');
    const key = 'slow0_00000_back_20240101_000000';
    const shipped = await shipToS3({ source, s3: client, bucket, key, partSize: 5 * MiB });
    expect(shipped.uncompressedBytes).toBe(bytes);
    const out = join(dir, 'slow.img');
    await restoreFromS3({ s3, bucket, key, parts: shipped.parts, sink: ['dd', `of=${out}`, 'bs=1M', 'status=none'] });
    expect(sha256File(out)).toBe(await sha256OfCommand(source));
    rmSync(out);

    // a stream so small that zstd has exited before the uploader reads: node resumes the stdout of
    // an exited child, so an unread pipe would drop these bytes (a scheduled backup once failed so)
    const tiny = await shipToS3({ source: ['head', '-c', '56', '/dev/urandom'], s3: client, bucket, key: 'slow1_00000_back_20240101_000000', partSize: 5 * MiB });
    expect(tiny.uncompressedBytes).toBe(56);
    expect(tiny.bytes).toBeGreaterThan(56);
    const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: 'slow1_00000_back_20240101_000000' }));
    expect(head.ContentLength).toBe(tiny.bytes);
    client.destroy();
  });

  it('resumes an interrupted upload without sending finished parts again', async () => {
    const client = createS3Client(s3ConfigFromEnv());
    const requests = countRequests(client);
    const source = generatorArgv(72 * MiB, 'resume');
    const key = 'db1_00000_back_20240101_000000';
    const ac = new AbortController();
    let uploadId: string | undefined;
    let reported: readonly UploadedPart[] = [];
    // first attempt: the "agent" dies after 4 parts; what it heartbeated is all we keep
    const first = await shipToS3({
      source, s3: client, bucket, key, partSize: 5 * MiB, concurrency: 2, keepUploadOnAbort: true, signal: ac.signal,
      onUploadId: (id) => { uploadId = id; },
      onProgress: (p) => { reported = p.parts; if (p.parts.length >= 4) ac.abort(new Error('agent killed')); },
    }).then(() => undefined, (e: unknown) => e);
    expect(first).toBeInstanceOf(UploadAbortedError);
    expect((first as UploadAbortedError).uploadAborted).toBe(false);
    expect(uploadId).toBeDefined();
    const firstParts = new Set(reported.map((p) => p.partNumber));
    expect(firstParts.size).toBeGreaterThanOrEqual(4);
    const list = await client.send(new ListMultipartUploadsCommand({ Bucket: bucket, Prefix: key }));
    expect(list.Uploads?.map((u) => u.UploadId)).toContain(uploadId);

    // second attempt with the heartbeat details
    requests.reset();
    const second = await shipToS3({ source, s3: client, bucket, key, partSize: 5 * MiB, concurrency: 2, resume: { uploadId: uploadId!, completedParts: reported } });
    expect(second.resumed).toBe(true);
    expect(second.uploadId).toBe(uploadId);
    expect(new Set(second.reusedParts)).toEqual(firstParts);
    expect(requests.counts.get('ListPartsCommand')).toBe(1);
    expect(requests.counts.get('CreateMultipartUploadCommand')).toBeUndefined();
    expect(requests.uploadedPartNumbers.filter((n) => firstParts.has(n))).toEqual([]);
    expect(requests.uploadedPartNumbers.length).toBe(second.parts.length - firstParts.size);
    expect(second.uncompressedBytes).toBe(72 * MiB);

    // the resumed object is the same stream, byte for byte
    const h = createHash('sha256');
    for await (const c of downloadStream({ s3, bucket, key, parts: second.parts, expectedSha256: second.sha256 })) h.update(c as Buffer);
    expect(h.digest('hex')).toBe(second.sha256);
    client.destroy();
  });

  it('re-uploads a reported part whose bytes differ this time (non-deterministic source)', async () => {
    const key = 'db2_00000_back_20240101_000000';
    const partA = Buffer.alloc(5 * MiB, 1);
    const ac = new AbortController();
    let reported: readonly UploadedPart[] = [];
    const err = await uploadStream({
      s3, bucket, key, partSize: 5 * MiB, concurrency: 1, keepUploadOnAbort: true, signal: ac.signal,
      source: Readable.from([partA, Buffer.alloc(5 * MiB, 2), Buffer.alloc(5 * MiB, 3)]),
      onProgress: (_b, parts) => { reported = parts; if (parts.length === 2) ac.abort(); },
    }).catch((e: unknown) => e as UploadAbortedError);
    expect(err).toBeInstanceOf(UploadAbortedError);
    const second = await uploadStream({
      s3, bucket, key, partSize: 5 * MiB, concurrency: 1, resume: { uploadId: (err as UploadAbortedError).uploadId, completedParts: reported },
      source: Readable.from([partA, Buffer.alloc(5 * MiB, 9), Buffer.alloc(1000, 3)]),
    });
    expect(second.reusedParts).toEqual([1]);
    const body = Buffer.from(await (await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }))).Body!.transformToByteArray());
    expect(body.length).toBe(10 * MiB + 1000);
    expect(body[5 * MiB]).toBe(9);
  });

  it('starts a new upload when the one to resume is gone', async () => {
    const r = await uploadStream({
      s3, bucket, key: 'db3_00000_back_20240101_000000', partSize: 5 * MiB,
      resume: { uploadId: 'no-such-upload-id', completedParts: [{ partNumber: 1, etag: 'x', size: 5 * MiB, sha256: '0'.repeat(64) }] },
      source: Readable.from([Buffer.from('small')]),
    });
    expect(r.resumed).toBe(false);
    expect(r.bytes).toBe(5);
    expect(r.reusedParts).toEqual([]);
  });

  it('aborts the multipart upload when cancelled', async () => {
    const key = 'db4_00000_back_20240101_000000';
    const ac = new AbortController();
    let id: string | undefined;
    const err = await shipToS3({
      source: generatorArgv(64 * MiB, 'cancel'), s3, bucket, key, partSize: 5 * MiB, concurrency: 2, signal: ac.signal,
      onUploadId: (u) => { id = u; }, onProgress: (p) => { if (p.parts.length >= 2) ac.abort(); },
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UploadAbortedError);
    expect((err as UploadAbortedError).uploadAborted).toBe(true);
    const list = await s3.send(new ListMultipartUploadsCommand({ Bucket: bucket, Prefix: key }));
    expect((list.Uploads ?? []).map((u) => u.UploadId)).not.toContain(id);
    await expect(s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }))).rejects.toThrow();
  });
});

describe('failures are named', () => {
  it('a failing source: exit code and stderr tail, and no object is completed', async () => {
    const key = 'bad0_00000_back_20240101_000000';
    const source: [string, ...string[]] = ['sh', '-c', 'head -c 12000000 /dev/zero; echo "thin_send: device busy" >&2; exit 7'];
    const err = await shipToS3({ source, s3, bucket, key, partSize: 5 * MiB }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PipelineStageError);
    expect(err).toMatchObject({ stage: 'source', exitCode: 7 });
    expect((err as Error).message).toMatch(/source command `sh -c .*` exited with code 7: thin_send: device busy/);
    await expect(s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }))).rejects.toThrow();
  });

  it('a failing sink on restore: exit code and stderr tail', async () => {
    const key = 'bad1_00000_back_20240101_000000';
    const shipped = await shipToS3({ source: generatorArgv(8 * MiB, 'sink'), s3, bucket, key, partSize: 5 * MiB });
    const err = await restoreFromS3({
      s3, bucket, key, parts: shipped.parts, sink: ['sh', '-c', 'head -c 1000 >/dev/null; echo "thin_recv: no space" >&2; exit 3'],
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PipelineStageError);
    expect(err).toMatchObject({ stage: 'sink', exitCode: 3 });
    expect((err as Error).message).toContain('thin_recv: no space');
  });

  it('a corrupted object: the download names the key and part, and the sink never completes', async () => {
    const key = 'bad2_00000_back_20240101_000000';
    const shipped = await shipToS3({ source: generatorArgv(20 * MiB, 'corrupt'), s3, bucket, key, partSize: 5 * MiB });
    expect(shipped.parts.length).toBeGreaterThanOrEqual(2);
    const body = Buffer.from(await (await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }))).Body!.transformToByteArray());
    body[shipped.parts[0]!.size + 100]! ^= 0xff; // one bit flip in part 2
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
    const out = join(dir, 'corrupt.img');
    const err = await restoreFromS3({ s3, bucket, key, parts: shipped.parts, expectedSha256: shipped.sha256, sink: ['dd', `of=${out}`, 'bs=1M', 'status=none'] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ChecksumMismatchError);
    expect((err as Error).message).toMatch(new RegExp(`s3://${bucket}/${key} part 2`));
    expect((err as ChecksumMismatchError).partNumber).toBe(2);
    // nothing after part 1 reached the sink
    expect(statSync(out, { throwIfNoEntry: false })?.size ?? 0).toBeLessThan(shipped.uncompressedBytes);
  });

  it('wrong credentials: a clear error without the keys in it', async () => {
    const cfg = s3ConfigFromEnv();
    for (const bad of [
      { ...cfg, accessKey: 'FERRYWRONGACCESSKEY1', secretKey: 'ferry-wrong-secret-0123456789' },
      { ...cfg, secretKey: 'ferry-wrong-secret-0123456789' },
    ]) {
      const client = createS3Client(bad);
      const err = await uploadStream({ s3: client, bucket, key: 'x', source: Readable.from([Buffer.from('x')]), partSize: 5 * MiB }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(S3OperationError);
      expect(err).toMatchObject({ kind: 'access-denied', retryable: false });
      const text = `${(err as Error).message}\n${(err as Error).stack}\n${JSON.stringify(err)}`;
      expect((err as Error).message).toMatch(/access denied .*check the remote's access key/);
      for (const secret of [bad.secretKey, bad.accessKey, cfg.secretKey]) expect(text).not.toContain(secret);
      client.destroy();
    }
  });

  it('wrong credentials on a whole shipment: the access-denied error comes back, with zstd stopped, however much it had compressed', async () => {
    // S3 refuses, slowly, before the uploader reads anything: meanwhile zstd fills its output buffers
    // with incompressible bytes and waits for a reader that never comes
    const client = createS3Client({ ...s3ConfigFromEnv(), secretKey: 'ferry-wrong-secret-0123456789' });
    client.middlewareStack.add((next, context) => async (args) => {
      if (context.commandName === 'HeadBucketCommand') await new Promise((r) => setTimeout(r, 1500));
      return next(args);
    }, { step: 'initialize', name: 'slowHeadBucket' });
    const source: [string, ...string[]] = ['head', '-c', String(64 * MiB), '/dev/urandom'];
    const err = await shipToS3({ source, s3: client, bucket, key: 'bad3_00000_back_20240101_000000', partSize: 5 * MiB })
      .catch((e: unknown) => e);
    client.destroy();
    expect(err).toBeInstanceOf(S3OperationError);
    expect(err).toMatchObject({ kind: 'access-denied', retryable: false });
  }, 60_000);

  it('a part refused midway: the shipment fails with that error and leaves no completed object', async () => {
    const key = 'bad4_00000_back_20240101_000000';
    const client = createS3Client(s3ConfigFromEnv());
    client.middlewareStack.add((next, context) => async (args) => {
      const input = args.input as { PartNumber?: number };
      if (context.commandName === 'UploadPartCommand' && input.PartNumber === 2) {
        throw Object.assign(new Error('Access Denied'), { name: 'AccessDenied', $fault: 'client', $metadata: { httpStatusCode: 403 } });
      }
      return next(args);
    }, { step: 'initialize', name: 'refusePart2' });
    const err = await shipToS3({ source: generatorArgv(48 * MiB, 'refused'), s3: client, bucket, key, partSize: 5 * MiB, concurrency: 1 })
      .catch((e: unknown) => e);
    client.destroy();
    expect(err).toBeInstanceOf(S3OperationError);
    expect((err as Error).message).toMatch(/UploadPart .*access denied/);
    await expect(s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }))).rejects.toThrow();
  });

  it('a missing bucket: a clear error', async () => {
    const err = await uploadStream({ s3, bucket: 'ferry-no-such-bucket-x1', key: 'k', source: Readable.from([Buffer.from('x')]), partSize: 5 * MiB }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(S3OperationError);
    expect(err).toMatchObject({ kind: 'no-such-bucket' });
    expect((err as Error).message).toBe("S3 HeadBucket s3://ferry-no-such-bucket-x1 failed: bucket 'ferry-no-such-bucket-x1' does not exist");
    const dl = await (async () => { for await (const _c of downloadStream({ s3, bucket: 'ferry-no-such-bucket-x1', key: 'k' })) { /* none */ } })().catch((e: unknown) => e);
    expect((dl as Error).message).toMatch(/ferry-no-such-bucket-x1/);
  });
});
