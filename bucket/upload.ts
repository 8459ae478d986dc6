// Streams a Readable (in production: `thin_send … | zstd` stdout) into one S3 multipart upload.
//
// Why the low-level multipart calls and not @aws-sdk/lib-storage's Upload: Upload always creates a
// new multipart upload and cannot be handed an existing UploadId plus the parts already stored, so a
// restarted activity would re-send every byte; it also gives no per-part hook where ferry can
// compute and record the SHA-256 that goes into the .meta and the Temporal heartbeat. With
// CreateMultipartUpload / UploadPart / ListParts / CompleteMultipartUpload we control resume,
// checksums (x-amz-checksum-sha256 per part, verified by the server) and memory.
//
// Memory: at most `concurrency` part buffers are in flight plus the one being filled; while all
// slots are busy the source is not read, so backpressure reaches the producing process.
//
// Resume: given the UploadId and the parts a previous attempt reported (heartbeat details), the
// parts the server still has with the same ETag and size are trusted; the source, which must be
// deterministic (thin_send of the same snapshots through the same zstd level), is read again from
// the start, every part is hashed, and a part whose size and SHA-256 equal the recorded ones is
// not uploaded again. A part that differs is uploaded (overwriting its part number), so a source
// that turned out not to be deterministic costs bandwidth, never correctness.
//
// Cancellation (AbortSignal): in-flight requests are aborted and, unless keepUploadOnAbort is set,
// the multipart upload is aborted too (no orphan parts). Other failures keep the upload so that
// a retry can resume it; orphans left by a process that died are found by listUnfinishedUploads.
import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import {
  AbortMultipartUploadCommand, CompleteMultipartUploadCommand, CreateMultipartUploadCommand, HeadBucketCommand, ListPartsCommand, UploadPartCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { MiB, normalizeEtag, s3Call, s3Error, S3OperationError } from './s3.js';

export const MIN_PART_SIZE = 5 * MiB;
export const MAX_PART_SIZE = 5 * 1024 * MiB;
export const MAX_PARTS = 10_000;
export const DEFAULT_PART_SIZE = 16 * MiB;
export const DEFAULT_CONCURRENCY = 4;

export interface UploadedPart {
  partNumber: number;
  etag: string;
  size: number;
  /** hex SHA-256 of the part's bytes */
  sha256: string;
}

export interface UploadResumeState {
  uploadId: string;
  completedParts: readonly UploadedPart[];
}

export interface UploadStreamOptions {
  s3: S3Client;
  bucket: string;
  key: string;
  source: Readable | AsyncIterable<Uint8Array>;
  /** bytes per part, 5 MiB..5 GiB; default 16 MiB. A resume must use the size of the first attempt. */
  partSize?: number;
  /** parts uploaded at once; default 4 */
  concurrency?: number;
  resume?: UploadResumeState;
  /** after every finished (or reused) part: bytes done and all parts done so far, by part number */
  onProgress?: (doneBytes: number, parts: readonly UploadedPart[]) => void;
  /** as soon as the upload id is known (record it before any part is sent) */
  onUploadId?: (uploadId: string) => void;
  signal?: AbortSignal;
  /** on abort, leave the multipart upload for a later resume instead of aborting it */
  keepUploadOnAbort?: boolean;
  /** awaited after the last part and before CompleteMultipartUpload, with the bytes read from the source; a throw leaves the upload uncompleted (e.g. the producing process failed) */
  beforeComplete?: (streamBytes: number) => Promise<void>;
  /** send x-amz-checksum-sha256 per part for the server to verify; default true */
  serverChecksums?: boolean;
  contentType?: string;
}

export interface UploadResult {
  uploadId: string;
  parts: UploadedPart[];
  /** hex SHA-256 of the whole stream (= the stored object) */
  sha256: string;
  bytes: number;
  /** ETag of the completed object */
  etag: string;
  /** part numbers taken over from the resumed upload without sending them again */
  reusedParts: number[];
  /** false when a resume was asked for but the upload no longer existed (started afresh) */
  resumed: boolean;
}

/** Thrown when the signal aborts the upload; carries what was done, for a later resume. */
export class UploadAbortedError extends Error {
  override readonly name = 'UploadAbortedError';
  constructor(readonly uploadId: string, readonly parts: UploadedPart[], readonly uploadAborted: boolean, readonly reason: unknown) {
    super(`upload ${uploadAborted ? 'cancelled and multipart upload aborted' : 'interrupted; multipart upload kept for resume'} after ${parts.length} parts`);
  }
}

export class UploadConfigError extends Error {
  override readonly name = 'UploadConfigError';
}

const sha256Hex = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');
const hexToBase64 = (hex: string): string => Buffer.from(hex, 'hex').toString('base64');

/**
 * Hands SigV4 the part's SHA-256 that was already computed (x-amz-content-sha256): over plain HTTP
 * the signer otherwise hashes every part body once more, which was a sixth of the shipping agent's
 * CPU (bench/RESULTS.md). The payload stays signed; the value is the same the signer would compute.
 */
function withPayloadSha256(cmd: UploadPartCommand, shaHex: string): UploadPartCommand {
  cmd.middlewareStack.add((next) => async (args) => {
    const req = args.request as { headers?: Record<string, string> };
    if (req.headers) req.headers['x-amz-content-sha256'] = shaHex;
    return next(args);
  }, { step: 'build', name: 'ferryPayloadSha256' });
  return cmd;
}

/** Parts the server holds for an upload (ListParts, all pages); the last listing of a part number wins. */
export async function listUploadedParts(s3: S3Client, bucket: string, key: string, uploadId: string, signal?: AbortSignal): Promise<Map<number, { etag: string; size: number }>> {
  const out = new Map<number, { etag: string; size: number }>();
  let marker: string | undefined;
  for (;;) {
    const res = await s3Call({ s3, operation: 'ListParts', bucket, key }, () =>
      s3.send(new ListPartsCommand({ Bucket: bucket, Key: key, UploadId: uploadId, PartNumberMarker: marker, MaxParts: 1000 }), { abortSignal: signal }));
    for (const p of res.Parts ?? []) {
      if (p.PartNumber !== undefined) out.set(p.PartNumber, { etag: normalizeEtag(p.ETag), size: p.Size ?? -1 });
    }
    if (!res.IsTruncated || res.NextPartNumberMarker === undefined || res.NextPartNumberMarker === marker) break;
    marker = res.NextPartNumberMarker;
  }
  return out;
}

/** Aborts a multipart upload; an upload that no longer exists counts as aborted. */
export async function abortUpload(s3: S3Client, bucket: string, key: string, uploadId: string): Promise<void> {
  try {
    await s3.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId: uploadId }));
  } catch (err) {
    const e = s3Error(err, { s3, operation: 'AbortMultipartUpload', bucket, key });
    if (e.kind !== 'no-such-upload') throw e;
  }
}

export async function uploadStream(opts: UploadStreamOptions): Promise<UploadResult> {
  const { s3, bucket, key } = opts;
  const partSize = opts.partSize ?? DEFAULT_PART_SIZE;
  const concurrency = opts.concurrency ?? DEFAULT_CONCURRENCY;
  const serverChecksums = opts.serverChecksums ?? true;
  if (!Number.isInteger(partSize) || partSize < MIN_PART_SIZE || partSize > MAX_PART_SIZE) {
    throw new UploadConfigError(`part size ${partSize} is outside ${MIN_PART_SIZE}..${MAX_PART_SIZE} bytes (S3 limits)`);
  }
  if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 64) throw new UploadConfigError(`concurrency ${concurrency} is outside 1..64`);
  opts.signal?.throwIfAborted();

  // requests are cancelled by this controller: on the caller's signal or on the first failure
  const inner = new AbortController();
  const onOuterAbort = (): void => {
    inner.abort(opts.signal?.reason);
    // wake a loop that waits for the next chunk of a slow producer
    const src = opts.source as Partial<Readable>;
    if (typeof src.destroy === 'function') src.destroy();
  };
  opts.signal?.addEventListener('abort', onOuterAbort, { once: true });

  // 1. the upload: resumed if it still exists, else a new one
  let uploadId: string | undefined;
  let resumed = false;
  const reusable = new Map<number, UploadedPart>();
  try {
    if (opts.resume) {
      try {
        const onServer = await listUploadedParts(s3, bucket, key, opts.resume.uploadId, inner.signal);
        uploadId = opts.resume.uploadId;
        resumed = true;
        for (const p of opts.resume.completedParts) {
          const s = onServer.get(p.partNumber);
          if (s && s.etag === normalizeEtag(p.etag) && s.size === p.size) reusable.set(p.partNumber, { ...p, etag: s.etag });
        }
      } catch (err) {
        if (!(err instanceof S3OperationError && err.kind === 'no-such-upload')) throw err;
      }
    }
    if (!uploadId) {
      // some servers (SeaweedFS) accept CreateMultipartUpload on a bucket that does not exist
      await s3Call({ s3, operation: 'HeadBucket', bucket }, () => s3.send(new HeadBucketCommand({ Bucket: bucket }), { abortSignal: inner.signal }));
      const created = await s3Call({ s3, operation: 'CreateMultipartUpload', bucket, key }, () =>
        s3.send(new CreateMultipartUploadCommand({
          Bucket: bucket, Key: key, ContentType: opts.contentType ?? 'application/zstd', ...(serverChecksums ? { ChecksumAlgorithm: 'SHA256' } : {}),
        }), { abortSignal: inner.signal }));
      if (!created.UploadId) throw new S3OperationError(`S3 CreateMultipartUpload s3://${bucket}/${key} returned no upload id`, { kind: 'other', code: 'NoUploadId', httpStatus: undefined, operation: 'CreateMultipartUpload', bucket, key });
      uploadId = created.UploadId;
    }
  } catch (err) {
    opts.signal?.removeEventListener('abort', onOuterAbort);
    throw err;
  }
  const id = uploadId;
  opts.onUploadId?.(id);

  // 2. the parts
  const done = new Map<number, UploadedPart>();
  const reusedParts: number[] = [];
  let doneBytes = 0;
  const inflight = new Set<Promise<void>>();
  let failure: unknown;
  const whole = createHash('sha256');
  let total = 0;
  let partNumber = 0;

  const report = (p: UploadedPart): void => {
    done.set(p.partNumber, p);
    doneBytes += p.size;
    opts.onProgress?.(doneBytes, [...done.values()].sort((a, b) => a.partNumber - b.partNumber));
  };

  const sendPart = async (n: number, body: Buffer, sha: string): Promise<void> => {
    const res = await s3Call({ s3, operation: 'UploadPart', bucket, key, partNumber: n }, () =>
      s3.send(withPayloadSha256(new UploadPartCommand({
        Bucket: bucket, Key: key, UploadId: id, PartNumber: n, Body: body, ContentLength: body.length,
        ...(serverChecksums ? { ChecksumSHA256: hexToBase64(sha) } : {}),
      }), sha), { abortSignal: inner.signal }));
    report({ partNumber: n, etag: normalizeEtag(res.ETag), size: body.length, sha256: sha });
  };

  // Part buffers are reused once their part is stored: a fresh 16 MiB allocation per part is mapped
  // and page-faulted anew and left to the GC, which cost the shipping agent more CPU than copying
  // the stream into it (bench/RESULTS.md). At most concurrency + 1 are kept, as many as are live.
  const spare: Buffer[] = [];
  const takeBuffer = (): Buffer => spare.pop() ?? Buffer.allocUnsafe(partSize);
  const giveBack = (b: Buffer | undefined): void => {
    if (b && b.length === partSize && spare.length <= concurrency) spare.push(b);
  };

  /** `body` is a view of `owner` (a part buffer), which is given back once the part is stored */
  const dispatch = async (body: Buffer, owner?: Buffer): Promise<void> => {
    partNumber += 1;
    if (partNumber > MAX_PARTS) throw new UploadConfigError(`stream needs more than ${MAX_PARTS} parts of ${partSize} bytes: use a larger part size`);
    const n = partNumber;
    const sha = sha256Hex(body);
    const prev = reusable.get(n);
    if (prev && prev.size === body.length && prev.sha256 === sha) {
      reusedParts.push(n);
      giveBack(owner);
      report(prev);
      return;
    }
    while (inflight.size >= concurrency && failure === undefined) await Promise.race(inflight);
    if (failure !== undefined) return;
    const p: Promise<void> = sendPart(n, body, sha).then(
      () => { inflight.delete(p); giveBack(owner); },
      (err: unknown) => {
        inflight.delete(p);
        if (failure === undefined) failure = err;
        inner.abort(err);
      },
    );
    inflight.add(p);
  };

  try {
    let buf: Buffer | undefined;
    let fill = 0;
    for await (const raw of opts.source) {
      if (failure !== undefined || inner.signal.aborted) break;
      const chunk = typeof raw === 'string' ? Buffer.from(raw) : raw;
      whole.update(chunk);
      total += chunk.length;
      let off = 0;
      while (off < chunk.length) {
        buf ??= takeBuffer();
        const n = Math.min(partSize - fill, chunk.length - off);
        buf.set(chunk.subarray(off, off + n), fill);
        fill += n;
        off += n;
        if (fill === partSize) {
          const full = buf;
          buf = undefined;
          fill = 0;
          await dispatch(full, full);
        }
      }
    }
    if (failure === undefined && !inner.signal.aborted && (fill > 0 || partNumber === 0)) {
      await dispatch((buf ?? Buffer.alloc(0)).subarray(0, fill), buf);
    }
    await Promise.all(inflight);
    if (failure !== undefined) throw failure;
    inner.signal.throwIfAborted();
    await opts.beforeComplete?.(total);
    inner.signal.throwIfAborted();
    const parts = [...done.values()].sort((a, b) => a.partNumber - b.partNumber);
    const completed = await s3Call({ s3, operation: 'CompleteMultipartUpload', bucket, key }, () =>
      s3.send(new CompleteMultipartUploadCommand({
        Bucket: bucket, Key: key, UploadId: id,
        MultipartUpload: { Parts: parts.map((p) => ({ PartNumber: p.partNumber, ETag: `"${p.etag}"`, ...(serverChecksums ? { ChecksumSHA256: hexToBase64(p.sha256) } : {}) })) },
      }), { abortSignal: inner.signal }));
    return { uploadId: id, parts, sha256: whole.digest('hex'), bytes: total, etag: normalizeEtag(completed.ETag), reusedParts, resumed };
  } catch (err) {
    await Promise.allSettled(inflight);
    const parts = [...done.values()].sort((a, b) => a.partNumber - b.partNumber);
    if (opts.signal?.aborted) {
      const abortIt = !opts.keepUploadOnAbort;
      if (abortIt) await abortUpload(s3, bucket, key, id);
      throw new UploadAbortedError(id, parts, abortIt, opts.signal.reason);
    }
    throw err;
  } finally {
    opts.signal?.removeEventListener('abort', onOuterAbort);
    // stop the producer if we stopped early
    const src = opts.source as Partial<Readable>;
    if (typeof src.destroy === 'function' && src.readableEnded === false) src.destroy();
  }
}
