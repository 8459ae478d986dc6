// The two data paths of a backup, as processes connected by pipes, no temp files:
//   ship:    <source argv> | zstd -c -T<threads> -<level>  → multipart upload (bucket/upload.ts)
//   restore: ranged verified download (bucket/download.ts) → zstd -d → <sink argv>
// Commands are argument arrays run by execa (no shell). The uncompressed stream never passes
// through this process: when shipping, the source writes into zstd's stdin directly and zstd counts
// the bytes it read (its `-vv` summary); when restoring, zstd writes into the sink directly. Relaying
// the uncompressed stream through node (and hashing it) cost more CPU than the upload itself on a
// 2-CPU host (bench/RESULTS.md). Only a bandwidth limit (maxSourceBytesPerSec) still relays it.
// Backpressure holds end to end (a slow S3 or sink stops reads from the producer). Every stage's exit code, signal and the tail of its stderr
// are reported in a PipelineStageError; a failure in one stage stops all the others.
import { readFileSync } from 'node:fs';
import { PassThrough, Transform, type Readable, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { execa, type ResultPromise } from 'execa';
import type { S3Client } from '../../../bucket/s3.js';
import { UploadAbortedError, uploadStream, type UploadedPart, type UploadResult, type UploadResumeState } from '../../../bucket/upload.js';
import { ChecksumMismatchError, downloadStream, ObjectSizeMismatchError, type DownloadPart } from '../../../bucket/download.js';
import { S3OperationError } from '../../../bucket/s3.js';

export type Argv = readonly [string, ...string[]];
export type PipelineStage = 'source' | 'zstd' | 'sink';

const STDERR_TAIL_BYTES = 4096;

export class PipelineStageError extends Error {
  override readonly name = 'PipelineStageError';
  constructor(
    readonly stage: PipelineStage,
    readonly argv: readonly string[],
    readonly exitCode: number | undefined,
    readonly signal: string | undefined,
    readonly stderrTail: string,
  ) {
    super(`${stage} command \`${argv.join(' ')}\` ${exitCode !== undefined ? `exited with code ${exitCode}` : `was killed by ${signal ?? 'a signal'}`}${stderrTail ? `: ${stderrTail.trim().split('\n').slice(-5).join(' | ')}` : ''}`);
  }
}

type Sub = ResultPromise<{ stdin: 'pipe' | 'ignore'; stdout: 'pipe' | 'ignore'; stderr: 'pipe'; buffer: false; reject: false; encoding: 'buffer' }>;

interface Stage {
  name: PipelineStage;
  argv: readonly string[];
  proc: Sub;
  stderr: () => string;
  /** resolves to the stage's error, or undefined when it exited 0 */
  outcome: Promise<PipelineStageError | undefined>;
}

function spawnStage(name: PipelineStage, argv: Argv, io: { stdin: 'pipe' | 'ignore' | Readable; stdout: 'pipe' | 'ignore' }, env: Record<string, string> | undefined, killed: () => boolean): Stage {
  const [file, ...args] = argv;
  const proc = execa(file, args, {
    stdin: io.stdin, stdout: io.stdout, stderr: 'pipe', buffer: false, reject: false, encoding: 'buffer',
    ...(env ? { env } : {}), forceKillAfterDelay: 2000,
  }) as Sub;
  let tail = Buffer.alloc(0);
  proc.stderr?.on('data', (d: Buffer) => {
    tail = Buffer.concat([tail, d]);
    if (tail.length > STDERR_TAIL_BYTES) tail = tail.subarray(tail.length - STDERR_TAIL_BYTES);
  });
  const stderr = (): string => tail.toString('utf8');
  const outcome = proc.then((r) => {
    if (r.exitCode === 0 && !r.failed) return undefined;
    if (killed()) return undefined; // we stopped it because something else failed
    const why = r.exitCode === undefined && !r.signal ? `${r.shortMessage ?? ''}\n` : '';
    return new PipelineStageError(name, argv, r.exitCode, r.signal, `${why}${stderr()}`);
  });
  return { name, argv, proc, stderr, outcome };
}

function kill(stages: Stage[], signal: NodeJS.Signals = 'SIGTERM'): void {
  for (const s of stages) if (s.proc.exitCode === null && s.proc.signalCode === null) s.proc.kill(signal);
}

// zstd exits 70 ("Write error : cannot write block", silent with -q) when its reader went away.
const brokenPipe = (e: PipelineStageError): boolean =>
  e.signal === 'SIGPIPE' || /broken pipe|EPIPE/i.test(e.stderrTail) || (e.stage === 'zstd' && e.exitCode === 70);

/**
 * The stage error that explains the failure: in pipeline order (a producer's failure explains its
 * consumer's), but a stage that only died of a broken pipe is a victim of its consumer, so last.
 */
async function firstStageError(stages: Stage[]): Promise<PipelineStageError | undefined> {
  const errors = (await Promise.all(stages.map((s) => s.outcome))).filter((o): o is PipelineStageError => o !== undefined);
  return errors.find((e) => !brokenPipe(e)) ?? errors[0];
}

function counting(count: { bytes: number }): Transform {
  return new Transform({
    transform(chunk: Buffer, _enc, cb) {
      count.bytes += chunk.length;
      cb(null, chunk);
    },
  });
}

/**
 * zstd's own count of the bytes it read and wrote, from the summary line of `zstd -vv` (exact bytes
 * at that verbosity: `/*stdin*\\ :35.12%   (1073741824 B => 377143234 B, /*stdout*\\)`; zstd before
 * 1.5 wrote `(1073741824 => 377143234 bytes, ...)`). Undefined when no summary line is found.
 */
export function parseZstdSummary(stderr: string): { read: number; written: number } | undefined {
  const all = [...stderr.matchAll(/\(\s*(\d+)\s*B?\s*=>\s*(\d+)\s*(?:B|bytes)\s*,/g)];
  const last = all.at(-1);
  if (!last) return undefined;
  const read = Number(last[1]);
  const written = Number(last[2]);
  return Number.isSafeInteger(read) && Number.isSafeInteger(written) ? { read, written } : undefined;
}

/** Bytes a live process has read so far (Linux /proc/PID/io rchar), for progress only. */
function bytesReadBy(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const m = /^rchar:\s*(\d+)$/m.exec(readFileSync(`/proc/${pid}/io`, 'utf8'));
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * What zstd reads before its input (the loader's reads of its libraries, the CPU count): rchar of a
 * zstd that has started but been given no input yet, once it stops growing. Measured once per
 * binary and subtracted from the live count, so progress never claims more than the source holds.
 */
const startupReads = new Map<string, Promise<number>>();
function zstdStartupReads(argv: Argv, env: Record<string, string> | undefined): Promise<number> {
  const key = argv[0]!;
  let known = startupReads.get(key);
  if (!known) {
    known = (async () => {
      const probe = execa(argv[0]!, argv.slice(1), { stdin: 'pipe', stdout: 'ignore', stderr: 'ignore', reject: false, ...(env ? { env } : {}) });
      let last = -1;
      let steady = 0;
      for (let i = 0; i < 100 && steady < 3; i++) {
        await new Promise((r) => setTimeout(r, 10));
        const now = bytesReadBy(probe.pid) ?? -1;
        steady = now === last && now >= 0 ? steady + 1 : 0;
        last = now;
      }
      probe.stdin?.end();
      await probe;
      return Math.max(0, last);
    })();
    startupReads.set(key, known);
  }
  return known;
}

export class ZstdSummaryError extends Error {
  override readonly name = 'ZstdSummaryError';
}

export interface ShipProgress {
  /** bytes read from the source (uncompressed) so far, as far as known (zstd's read count on Linux) */
  sourceBytes: number;
  /** compressed bytes stored in finished parts */
  uploadedBytes: number;
  parts: readonly UploadedPart[];
}

export interface ShipOptions {
  source: Argv;
  s3: S3Client;
  bucket: string;
  key: string;
  /** zstd level 1..19; default 3 */
  zstdLevel?: number;
  /** zstd worker threads, 0 = one per core; default 0 */
  zstdThreads?: number;
  zstdPath?: string;
  partSize?: number;
  concurrency?: number;
  resume?: UploadResumeState;
  onUploadId?: (uploadId: string) => void;
  onProgress?: (p: ShipProgress) => void;
  signal?: AbortSignal;
  keepUploadOnAbort?: boolean;
  /** environment for the source and zstd (default: this process's) */
  env?: Record<string, string>;
  /** bandwidth limit: at most this many source (uncompressed) bytes per second; default none */
  maxSourceBytesPerSec?: number;
}

/** Passes bytes on at no more than `rate` bytes per second (backpressure reaches the producer). */
function throttle(rate: number): Transform {
  const started = Date.now();
  let passed = 0;
  return new Transform({
    transform(chunk: Buffer, _enc, cb) {
      passed += chunk.length;
      const due = started + (passed / rate) * 1000;
      const wait = due - Date.now();
      if (wait > 0) setTimeout(() => cb(null, chunk), wait);
      else cb(null, chunk);
    },
  });
}

export interface ShipResult extends UploadResult {
  /** bytes of the uncompressed stream, as counted by zstd (or by this process when throttling) */
  uncompressedBytes: number;
}

/**
 * `source | zstd` into a multipart upload of s3://bucket/key. Completes the upload only if every
 * stage exited 0 and zstd's count of the bytes it wrote equals the bytes uploaded.
 */
export async function shipToS3(opts: ShipOptions): Promise<ShipResult> {
  const level = opts.zstdLevel ?? 3;
  if (!Number.isInteger(level) || level < 1 || level > 19) throw new RangeError(`zstd level ${level} is outside 1..19`);
  const threads = opts.zstdThreads ?? 0;
  opts.signal?.throwIfAborted();
  let stopping = false;
  const killed = (): boolean => stopping;
  const rate = opts.maxSourceBytesPerSec;
  const throttled = rate !== undefined && rate > 0;
  const zstdArgv: Argv = [opts.zstdPath ?? 'zstd', '-c', '-vv', '--no-progress', '--check', `-T${threads}`, `-${level}`];
  const startup = throttled ? 0 : await zstdStartupReads(zstdArgv, opts.env);
  const source = spawnStage('source', opts.source, { stdin: 'ignore', stdout: 'pipe' }, opts.env, killed);
  // -vv: the summary line with exact byte counts; no progress display (stderr is a pipe anyway)
  const zstd = spawnStage('zstd', zstdArgv, { stdin: throttled ? 'pipe' : source.proc.stdout as Readable, stdout: 'pipe' }, opts.env, killed);
  // zstd's output gets a reader at once, before the uploader starts reading (after HeadBucket and
  // CreateMultipartUpload): a child's stdout that nobody reads is set flowing, data dropped, by
  // execa one tick after the spawn and by node itself when the child exits (a stream of a few bytes
  // is all written by then). The pass-through buffers up to its high-water mark, then backpressure
  // reaches zstd.
  const compressed = new PassThrough({ highWaterMark: 1024 * 1024 });
  pipeline(zstd.proc.stdout as Readable, compressed).catch(() => undefined);
  const stages = [source, zstd];
  const relayed = { bytes: 0 };
  let feed: Promise<void> = Promise.resolve();
  if (throttled) {
    feed = pipeline(source.proc.stdout as Readable, throttle(rate), counting(relayed), zstd.proc.stdin as Writable);
    feed.catch(() => undefined);
  } else {
    // zstd reads the source's stdout itself; this process keeps no reader on it
    (source.proc.stdout as Readable).destroy();
  }
  // live from /proc while zstd runs (less what it read before its input), then from its summary line
  const live = (): number | undefined => {
    const rchar = bytesReadBy(zstd.proc.pid);
    return rchar === undefined ? undefined : Math.max(0, rchar - startup);
  };
  const sourceBytes = (): number => (throttled ? relayed.bytes : parseZstdSummary(zstd.stderr())?.read ?? live() ?? 0);
  let seenSource = 0;
  let uploaded = 0;
  let parts: readonly UploadedPart[] = [];
  let counted: { read: number; written: number } | undefined;
  try {
    const result = await uploadStream({
      s3: opts.s3, bucket: opts.bucket, key: opts.key, source: compressed,
      partSize: opts.partSize, concurrency: opts.concurrency, resume: opts.resume, signal: opts.signal,
      keepUploadOnAbort: opts.keepUploadOnAbort, onUploadId: opts.onUploadId,
      onProgress: (bytes, p) => {
        uploaded = bytes;
        parts = p;
        seenSource = Math.max(seenSource, sourceBytes());
        opts.onProgress?.({ sourceBytes: seenSource, uploadedBytes: uploaded, parts });
      },
      beforeComplete: async (streamBytes) => {
        const stageErr = await firstStageError(stages);
        if (stageErr) throw stageErr;
        await feed;
        counted = parseZstdSummary(zstd.stderr());
        if (!counted) throw new ZstdSummaryError(`zstd printed no byte counts (\`${zstdArgv.join(' ')}\`): ${zstd.stderr().trim().split('\n').slice(-3).join(' | ')}`);
        if (counted.written !== streamBytes) throw new ZstdSummaryError(`zstd read ${counted.read} bytes and wrote ${counted.written}, but ${streamBytes} reached the upload`);
        if (throttled && counted.read !== relayed.bytes) throw new ZstdSummaryError(`zstd read ${counted.read} bytes but ${relayed.bytes} were passed to it`);
      },
    });
    return { ...result, uncompressedBytes: counted!.read };
  } catch (err) {
    // cancelled: whatever the stages did after that is a consequence
    if (err instanceof UploadAbortedError || opts.signal?.aborted) stopping = true;
    // a stage that failed on its own explains an upload that saw a short or broken stream
    // (zstd dying of a broken pipe because the upload stopped reading is a consequence, not a cause)
    const early = stopping ? undefined : await Promise.race([firstStageError(stages).then((e) => (e && !brokenPipe(e) ? e : undefined)), new Promise<undefined>((r) => setTimeout(() => r(undefined), 200))]);
    stopping = true;
    kill(stages);
    // an upload that failed before reading all of zstd's output (HeadBucket refused, a part failed,
    // cancelled) leaves that output buffered and zstd's stdout paused: the stream never ends, and
    // neither would the wait for zstd. Dropping it lets both go.
    compressed.destroy();
    await Promise.allSettled(stages.map((s) => s.proc));
    if (early && !(err instanceof PipelineStageError)) throw early;
    throw err;
  } finally {
    stopping = true;
    kill(stages);
  }
}

export interface RestoreOptions {
  s3: S3Client;
  bucket: string;
  key: string;
  /** part list from the .meta (ferry backups); without it the object is read unverified */
  parts?: readonly DownloadPart[];
  /** hex SHA-256 of the stored object (checked only when there is no part list: the parts' checks cover it) */
  expectedSha256?: string;
  sink: Argv;
  zstdPath?: string;
  concurrency?: number;
  onProgress?: (downloadedBytes: number) => void;
  signal?: AbortSignal;
  env?: Record<string, string>;
}

export interface RestoreResult {
  /** compressed bytes read from S3 */
  bytes: number;
}

/**
 * Verified download → `zstd -d` → sink. zstd writes straight into the sink's stdin (the
 * decompressed stream does not pass through this process: relaying it cost more than the download
 * itself on a 2-CPU host, bench/RESULTS.md). What reaches zstd is verified part by part before a
 * byte of it is passed on, and zstd checks the frame's own content checksum (`--check`, written by
 * the shipping side) as it decompresses. On a checksum failure the sink is killed before it can see
 * the end of its input.
 */
export async function restoreFromS3(opts: RestoreOptions): Promise<RestoreResult> {
  opts.signal?.throwIfAborted();
  let stopping = false;
  const killed = (): boolean => stopping;
  let downloaded = 0;
  const dl = downloadStream({
    s3: opts.s3, bucket: opts.bucket, key: opts.key, parts: opts.parts, ...(opts.parts ? {} : { expectedSha256: opts.expectedSha256 }),
    concurrency: opts.concurrency, signal: opts.signal,
    onProgress: (b) => { downloaded = b; opts.onProgress?.(downloaded); },
  });
  const zstd = spawnStage('zstd', [opts.zstdPath ?? 'zstd', '-d', '-c', '-q', '--check'], { stdin: 'pipe', stdout: 'pipe' }, opts.env, killed);
  // the sink reads zstd's stdout itself; this process keeps no reader on it
  const sink = spawnStage('sink', opts.sink, { stdin: zstd.proc.stdout as Readable, stdout: 'ignore' }, opts.env, killed);
  (zstd.proc.stdout as Readable).destroy();
  const stages = [zstd, sink];
  // registered before the pipeline's own listeners: the sink must die before zstd sees EOF
  dl.once('error', (err: unknown) => {
    // a pipe error here only means zstd went away: its exit status tells why
    const code = (err as { code?: unknown }).code;
    if (code === 'EPIPE' || code === 'ERR_STREAM_PREMATURE_CLOSE' || code === 'ERR_STREAM_DESTROYED') return;
    stopping = true;
    kill([sink], 'SIGKILL');
    kill([zstd], 'SIGKILL');
  });
  const onAbort = (): void => { stopping = true; kill([sink], 'SIGKILL'); kill([zstd]); dl.destroy(); };
  opts.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    const fetched = await pipeline(dl, zstd.proc.stdin as Writable).then(() => undefined, (e: unknown) => e);
    // the download's own failure (checksum, S3) is the root cause; broken pipes are consequences
    if (fetched instanceof ChecksumMismatchError || fetched instanceof ObjectSizeMismatchError || fetched instanceof S3OperationError) throw fetched;
    await Promise.allSettled(stages.map((s) => s.proc));
    opts.signal?.throwIfAborted();
    const stageErr = await firstStageError(stages);
    if (stageErr) throw stageErr;
    if (fetched !== undefined) throw fetched;
    return { bytes: downloaded };
  } catch (err) {
    stopping = true;
    kill(stages, 'SIGKILL');
    await Promise.allSettled(stages.map((s) => s.proc));
    throw err;
  } finally {
    opts.signal?.removeEventListener('abort', onAbort);
    stopping = true;
    kill(stages);
  }
}
