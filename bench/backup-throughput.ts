// Backup data path throughput, side by side on the same bytes, against a real S3 (SeaweedFS
// started here with startS3):
//   a  zstd alone on the stream → /dev/null
//   b  multipart upload of the already-compressed bytes: ferry's uploader with concurrency 1 and N,
//      and @aws-sdk/lib-storage's Upload for reference
//   c  ferry's pipeline: source | zstd | upload (in a child process, for its peak RSS)
//   restore: one plain GET | zstd -d → /dev/null (and → dd, the sink ferry feeds), vs ferry's verified
//            ranged download | zstd -d | dd
// Goal: c ≥ 0.9 × min(a, b) in MB/s of the uncompressed stream.
//
//   npx tsc -p tsconfig.json && AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED=true node dist/bench/backup-throughput.js [GiB=1] [concurrency=4] [--split-cpus]
//
// --split-cpus: the S3 server runs on CPU 1 only, this bench and everything it starts (zstd, the ship and
// restore children) on CPU 0 only, for every step alike. It models S3 on another machine, as in production:
// without it the S3 server, zstd and the agent share the same two CPUs in c but not in a or b.
import { createReadStream, mkdtempSync, rmSync, statSync, writeFileSync, createWriteStream } from 'node:fs';
import { createCipheriv, createHash } from 'node:crypto';
import { tmpdir, cpus } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { CreateBucketCommand, GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { startS3 } from '../scripts/stack.js';
import { createS3Client } from '../bucket/s3.js';
import { uploadStream } from '../bucket/upload.js';
import { restoreFromS3, shipToS3, type ShipResult } from '../activities/node/backup/pipeline.js';

const MiB = 1024 * 1024;
const MB = 1e6;
const PART = 16 * MiB;

/** Volume-like data: per MiB, zeros / AES-CTR noise / text records / noise / zeros-with-sparse-writes. */
async function generate(path: string, bytes: number): Promise<void> {
  const out = createWriteStream(path);
  const cipher = createCipheriv('aes-256-ctr', createHash('sha256').update('bench').digest(), Buffer.alloc(16));
  const zeros = Buffer.alloc(MiB);
  const text = Buffer.alloc(MiB);
  for (let o = 0, i = 0; o < MiB; i += 1) o += text.write(`${i}\t2024-01-01T00:00:${i % 60}Z\tcustomer-${i * 7919 % 10007}\tstatus=ok\tamount=${(i * 31) % 100000}\n`, o);
  for (let block = 0; block * MiB < bytes; block += 1) {
    const kind = block % 5;
    let buf: Buffer;
    if (kind === 0) buf = zeros;
    else if (kind === 1 || kind === 3) buf = cipher.update(zeros);
    else if (kind === 2) buf = text;
    else { buf = Buffer.alloc(MiB); cipher.update(zeros.subarray(0, 4096)).copy(buf, (block * 4096) % (MiB - 4096)); }
    if (!out.write(buf)) await new Promise<void>((r) => out.once('drain', () => r()));
  }
  await new Promise<void>((res, rej) => out.end((err?: Error | null) => (err ? rej(err) : res())));
}

async function timed<T>(fn: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const t = process.hrtime.bigint();
  const value = await fn();
  return { ms: Number(process.hrtime.bigint() - t) / 1e6, value };
}

const rate = (bytes: number, ms: number): string => `${(bytes / MB / (ms / 1000)).toFixed(0)} MB/s`;

async function childMode(): Promise<void> {
  const [, , , mode, file, bucket, key, conc, extra] = process.argv;
  const s3 = createS3Client({ endpoint: process.env.BENCH_S3_ENDPOINT!, accessKey: process.env.BENCH_S3_ACCESS_KEY!, secretKey: process.env.BENCH_S3_SECRET_KEY! });
  let out: unknown;
  const t = process.hrtime.bigint();
  if (mode === 'ship') {
    out = await shipToS3({ source: ['cat', file!], s3, bucket: bucket!, key: key!, partSize: PART, concurrency: Number(conc), zstdLevel: 3 });
  } else {
    const meta = JSON.parse(extra!) as ShipResult;
    out = await restoreFromS3({ s3, bucket: bucket!, key: key!, parts: meta.parts, expectedSha256: meta.sha256, sink: ['dd', 'of=/dev/null', 'bs=1M', 'status=none'], concurrency: Number(conc) });
  }
  const ms = Number(process.hrtime.bigint() - t) / 1e6;
  const ru = process.resourceUsage();
  process.stdout.write(JSON.stringify({ ms, maxRssKiB: ru.maxRSS, cpuMs: (ru.userCPUTime + ru.systemCPUTime) / 1000, result: out }));
  s3.destroy();
}

interface ChildOut { ms: number; maxRssKiB: number; cpuMs: number; result: ShipResult }

// BENCH_CPU_PROF=DIR: the ship and restore children write V8 CPU profiles (.cpuprofile) into DIR
async function inChild(mode: 'ship' | 'restore', env: Record<string, string>, args: string[]): Promise<ChildOut> {
  const prof = process.env.BENCH_CPU_PROF ? ['--cpu-prof', '--cpu-prof-dir', process.env.BENCH_CPU_PROF, '--cpu-prof-name', `${mode}-${Date.now()}.cpuprofile`] : [];
  const r = await execa('node', [...prof, fileURLToPath(import.meta.url), '--child', mode, ...args], { env: { ...process.env, ...env } });
  return JSON.parse(r.stdout) as ChildOut;
}

async function main(): Promise<void> {
  if (process.argv[2] === '--child') return childMode();
  const splitCpus = process.argv.includes('--split-cpus');
  const positional = process.argv.slice(2).filter((a) => !a.startsWith('--'));
  const gib = Number(positional[0] ?? 1);
  const concurrency = Number(positional[1] ?? 4);
  const bytes = Math.round(gib * 1024) * MiB;
  const dir = mkdtempSync(join(tmpdir(), 'ferry-bench-backup-'));
  const s3svc = await startS3({ dataDir: join(dir, 's3') });
  if (splitCpus) {
    if (cpus().length < 2) throw new Error('--split-cpus needs at least 2 CPUs');
    // -a: every thread of the process; children inherit the affinity of the thread that starts them
    await execa('taskset', ['-a', '-p', '-c', '1', String(s3svc.process.pid)], { stdout: 'ignore' });
    await execa('taskset', ['-a', '-p', '-c', '0', String(process.pid)], { stdout: 'ignore' });
  }
  const env = { BENCH_S3_ENDPOINT: s3svc.endpoint, BENCH_S3_ACCESS_KEY: s3svc.accessKey, BENCH_S3_SECRET_KEY: s3svc.secretKey };
  const s3: S3Client = createS3Client({ endpoint: s3svc.endpoint, accessKey: s3svc.accessKey, secretKey: s3svc.secretKey });
  const lines: string[] = [];
  const log = (s: string): void => { console.log(s); lines.push(s); };
  try {
    const bucket = 'bench-backup';
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    const raw = join(dir, 'volume.img');
    const zst = join(dir, 'volume.img.zst');
    await generate(raw, bytes);
    await execa('cat', [raw], { stdout: 'ignore', buffer: false }); // page cache warm for every contender
    log(`data: ${(bytes / MiB).toFixed(0)} MiB volume-like (40% noise, 20% zeros, 20% text, 20% sparse), ${cpus().length} CPUs, part ${PART / MiB} MiB, zstd -3 -T0${splitCpus ? ', split CPUs: S3 server on CPU 1, zstd and ferry on CPU 0' : ''}`);

    const a = await timed(() => execa('zstd', ['-c', '-q', '-T0', '-3', raw], { stdout: 'ignore', buffer: false }));
    await execa('zstd', ['-q', '-f', '-T0', '-3', raw, '-o', zst], { buffer: false });
    const zbytes = statSync(zst).size;
    log(`a  zstd alone                         ${(a.ms / 1000).toFixed(2)} s  ${rate(bytes, a.ms)} (in)  → ${(zbytes / MiB).toFixed(0)} MiB (${(bytes / zbytes).toFixed(2)}x)`);

    const b1 = await timed(() => uploadStream({ s3, bucket, key: 'b1', source: createReadStream(zst), partSize: PART, concurrency: 1 }));
    log(`b  upload compressed, ferry c=1       ${(b1.ms / 1000).toFixed(2)} s  ${rate(zbytes, b1.ms)} (stored)  = ${rate(bytes, b1.ms)} of volume`);
    const bN = await timed(() => uploadStream({ s3, bucket, key: 'bN', source: createReadStream(zst), partSize: PART, concurrency }));
    log(`b  upload compressed, ferry c=${concurrency}       ${(bN.ms / 1000).toFixed(2)} s  ${rate(zbytes, bN.ms)} (stored)  = ${rate(bytes, bN.ms)} of volume`);
    const bL = await timed(() => new Upload({ client: s3, params: { Bucket: bucket, Key: 'bL', Body: createReadStream(zst) }, partSize: PART, queueSize: concurrency }).done());
    log(`b  upload compressed, lib-storage q=${concurrency} ${(bL.ms / 1000).toFixed(2)} s  ${rate(zbytes, bL.ms)} (stored)  = ${rate(bytes, bL.ms)} of volume`);

    const c = await inChild('ship', env, [raw, bucket, 'volume_00000_back_20240101_000000', String(concurrency)]);
    const slower = Math.max(a.ms, bN.ms);
    log(`c  ferry cat|zstd|upload c=${concurrency}        ${(c.ms / 1000).toFixed(2)} s  ${rate(bytes, c.ms)} (in)  peak RSS ${(c.maxRssKiB / 1024).toFixed(0)} MiB  node CPU ${(c.cpuMs / 1000).toFixed(2)} s  ratio c/min(a,b) = ${(slower / c.ms).toFixed(2)}`);
    const shipped = c.result;
    if (shipped.uncompressedBytes !== bytes) throw new Error(`pipeline read ${shipped.uncompressedBytes} bytes, expected ${bytes}`);

    const d = await timed(async () => {
      const res = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'volume_00000_back_20240101_000000' }));
      const z = execa('zstd', ['-d', '-c', '-q'], { stdin: 'pipe', stdout: 'ignore' });
      await pipeline(res.Body as NodeJS.ReadableStream, z.stdin!);
      await z;
    });
    log(`r  one GET | zstd -d > /dev/null      ${(d.ms / 1000).toFixed(2)} s  ${rate(bytes, d.ms)} (out)`);
    // the same with the sink ferry has to feed (zstd writes into dd directly, as ferry's restore does)
    const d2 = await timed(async () => {
      const res = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'volume_00000_back_20240101_000000' }));
      const z = execa('zstd', ['-d', '-c', '-q'], { stdin: 'pipe', stdout: 'pipe', buffer: false });
      const sink = execa('dd', ['of=/dev/null', 'bs=1M', 'status=none'], { stdin: z.stdout, buffer: false });
      z.stdout.destroy();
      await pipeline(res.Body as NodeJS.ReadableStream, z.stdin!);
      await Promise.all([z, sink]);
    });
    log(`r  one GET | zstd -d | dd             ${(d2.ms / 1000).toFixed(2)} s  ${rate(bytes, d2.ms)} (out)`);
    const e = await inChild('restore', env, [raw, bucket, 'volume_00000_back_20240101_000000', String(concurrency), JSON.stringify({ parts: shipped.parts, sha256: shipped.sha256 })]);
    log(`r  ferry verified ranged c=${concurrency} | zstd -d | dd  ${(e.ms / 1000).toFixed(2)} s  ${rate(bytes, e.ms)} (out)  peak RSS ${(e.maxRssKiB / 1024).toFixed(0)} MiB  node CPU ${(e.cpuMs / 1000).toFixed(2)} s  ratio = ${(d.ms / e.ms).toFixed(2)} (vs the same sink: ${(d2.ms / e.ms).toFixed(2)})`);
    writeFileSync(join(dir, 'summary.txt'), lines.join('\n'));
    process.stdout.write(`\n--- for bench/RESULTS.md ---\n${lines.join('\n')}\n`);
  } finally {
    s3.destroy();
    await s3svc.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
