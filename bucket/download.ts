// Reads a backup data object as a Readable: ranged GETs (one per part of the .meta's part list, or
// fixed-size ranges for objects without one, e.g. made by LINSTOR), a bounded number fetched ahead
// in parallel, each range verified against its SHA-256 before any of its bytes are passed on,
// and the whole-stream SHA-256 checked at the end. A range that fails (network, short read,
// checksum) is fetched again; a range that fails its checksum twice fails the stream with a
// ChecksumMismatchError naming the key and the part.
//
// Memory: at most `concurrency` ranges are buffered, plus the one being consumed; the next range is
// requested only when the consumer takes data (Readable backpressure).
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { GetObjectCommand, HeadObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { MiB, s3Call, S3OperationError } from './s3.js';

export interface DownloadPart {
  partNumber: number;
  size: number;
  sha256: string;
}

export interface DownloadStreamOptions {
  s3: S3Client;
  bucket: string;
  key: string;
  /** the object's parts as recorded in the .meta; without them the object is read unverified in `rangeSize` ranges */
  parts?: readonly DownloadPart[];
  /** hex SHA-256 of the whole object; checked after the last byte (not when starting mid-object) */
  expectedSha256?: string;
  /** range size when no part list is given; default 16 MiB */
  rangeSize?: number;
  /** ranges fetched ahead; default 4 */
  concurrency?: number;
  /** resume: first part number to read (with `parts`), or byte offset (without); default the start */
  startPart?: number;
  startOffset?: number;
  /** attempts per range; default 3 */
  attempts?: number;
  signal?: AbortSignal;
  onProgress?: (doneBytes: number, rangesDone: number) => void;
}

export class ChecksumMismatchError extends Error {
  override readonly name = 'ChecksumMismatchError';
  constructor(readonly bucket: string, readonly key: string, readonly partNumber: number | undefined, readonly expected: string, readonly actual: string) {
    super(`checksum mismatch in s3://${bucket}/${key} ${partNumber !== undefined ? `part ${partNumber}` : '(whole object)'}: expected sha256 ${expected}, got ${actual}`);
  }
}

export class ObjectSizeMismatchError extends Error {
  override readonly name = 'ObjectSizeMismatchError';
  constructor(readonly bucket: string, readonly key: string, readonly expected: number, readonly actual: number) {
    super(`s3://${bucket}/${key} has ${actual} bytes, the backup metadata says ${expected}`);
  }
}

interface Range {
  partNumber: number | undefined;
  start: number;
  size: number;
  sha256: string | undefined;
}

/**
 * Reads one range fully into memory, as the chunks the HTTP body delivered (hashed as they arrive,
 * not copied into one buffer), and checks its hash; throws ChecksumMismatchError or a mapped S3 error.
 */
export async function fetchRangeChunks(s3: S3Client, bucket: string, key: string, r: Range, signal?: AbortSignal): Promise<Buffer[]> {
  const chunks: Buffer[] = [];
  const hash = r.sha256 !== undefined ? createHash('sha256') : undefined;
  if (r.size > 0) {
    const res = await s3Call({ s3, operation: 'GetObject', bucket, key, partNumber: r.partNumber }, () =>
      s3.send(new GetObjectCommand({ Bucket: bucket, Key: key, Range: `bytes=${r.start}-${r.start + r.size - 1}` }), { abortSignal: signal }));
    let off = 0;
    const body = res.Body as AsyncIterable<Uint8Array> | undefined;
    if (!body) throw new Error(`S3 GetObject s3://${bucket}/${key} returned no body`);
    for await (const chunk of body) {
      if (off + chunk.length > r.size) throw new Error(`S3 GetObject s3://${bucket}/${key} returned more than the ${r.size} bytes asked for`);
      const b = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.length);
      hash?.update(b);
      chunks.push(b);
      off += b.length;
    }
    if (off !== r.size) throw new Error(`S3 GetObject s3://${bucket}/${key} returned ${off} of ${r.size} bytes at offset ${r.start}`);
  }
  if (hash && r.sha256 !== undefined) {
    const actual = hash.digest('hex');
    if (actual !== r.sha256) throw new ChecksumMismatchError(bucket, key, r.partNumber, r.sha256, actual);
  }
  return chunks;
}

/** fetchRangeChunks as one buffer. */
export async function fetchRange(s3: S3Client, bucket: string, key: string, r: Range, signal?: AbortSignal): Promise<Buffer> {
  return Buffer.concat(await fetchRangeChunks(s3, bucket, key, r, signal));
}

async function fetchWithRetry(opts: DownloadStreamOptions, r: Range, signal: AbortSignal): Promise<Buffer[]> {
  const attempts = opts.attempts ?? 3;
  let mismatches = 0;
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await fetchRangeChunks(opts.s3, opts.bucket, opts.key, r, signal);
    } catch (err) {
      signal.throwIfAborted();
      // a checksum failure may be a flipped bit on the wire; twice in a row it is the object
      if (err instanceof ChecksumMismatchError && ++mismatches >= 2) throw err;
      const permanent = err instanceof S3OperationError && !err.retryable;
      if (permanent || attempt >= attempts) throw err;
      await new Promise((res) => setTimeout(res, 100 * 2 ** attempt));
    }
  }
}

/** Byte ranges to read, from the part list or from the object size. */
async function planRanges(opts: DownloadStreamOptions, signal: AbortSignal): Promise<Range[]> {
  const { s3, bucket, key } = opts;
  const head = await s3Call({ s3, operation: 'HeadObject', bucket, key }, () => s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }), { abortSignal: signal }));
  const size = head.ContentLength ?? 0;
  const ranges: Range[] = [];
  if (opts.parts) {
    const expected = opts.parts.reduce((a, p) => a + p.size, 0);
    if (expected !== size) throw new ObjectSizeMismatchError(bucket, key, expected, size);
    let start = 0;
    for (const p of opts.parts) {
      if (p.partNumber >= (opts.startPart ?? 1)) ranges.push({ partNumber: p.partNumber, start, size: p.size, sha256: p.sha256 });
      start += p.size;
    }
  } else {
    const step = opts.rangeSize ?? 16 * MiB;
    for (let start = opts.startOffset ?? 0; start < size; start += step) ranges.push({ partNumber: undefined, start, size: Math.min(step, size - start), sha256: undefined });
  }
  return ranges;
}

/** The object as a byte stream; errors (S3, ChecksumMismatchError, ObjectSizeMismatchError) destroy the stream. */
export function downloadStream(opts: DownloadStreamOptions): Readable {
  const concurrency = Math.max(1, opts.concurrency ?? 4);
  const inner = new AbortController();
  const onOuterAbort = (): void => inner.abort(opts.signal?.reason);
  opts.signal?.addEventListener('abort', onOuterAbort, { once: true });

  async function* generate(): AsyncGenerator<Buffer> {
    const ahead: Promise<Buffer[]>[] = [];
    try {
      const ranges = await planRanges(opts, inner.signal);
      const fromStart = (opts.startPart ?? 1) <= 1 && (opts.startOffset ?? 0) === 0;
      // the whole-object hash only when it is asked for (with a part list, the parts' hashes cover it)
      const whole = fromStart && opts.expectedSha256 !== undefined ? createHash('sha256') : undefined;
      let next = 0;
      let done = 0;
      let doneRanges = 0;
      const refill = (): void => {
        while (ahead.length < concurrency && next < ranges.length) {
          const p = fetchWithRetry(opts, ranges[next++]!, inner.signal);
          p.catch(() => undefined); // observed when its turn comes
          ahead.push(p);
        }
      };
      refill();
      while (ahead.length > 0) {
        const chunks = await ahead.shift()!;
        refill();
        for (const c of chunks) {
          whole?.update(c);
          done += c.length;
          yield c;
        }
        doneRanges += 1;
        opts.onProgress?.(done, doneRanges);
      }
      if (whole && opts.expectedSha256 !== undefined) {
        const actual = whole.digest('hex');
        if (actual !== opts.expectedSha256) throw new ChecksumMismatchError(opts.bucket, opts.key, undefined, opts.expectedSha256, actual);
      }
    } finally {
      // consumer gone or failure: stop what is still being fetched
      if (ahead.length > 0) inner.abort(new Error('download stopped'));
      opts.signal?.removeEventListener('abort', onOuterAbort);
    }
  }

  return Readable.from(generate(), { objectMode: false, highWaterMark: 1 });
}
