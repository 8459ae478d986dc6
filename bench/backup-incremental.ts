// Incremental backup efficiency, against a real S3 (SeaweedFS started here) and a simulated host:
//   a thin volume with mixed data (repeating-pattern regions that zstd compresses, per-MiB unique
//   noise that it cannot, unallocated zeros), snapshot s1, full backup (thin_send s1 | zstd | S3),
//   then ~5% of the volume rewritten in chunk-aligned runs at random places, snapshot s2, incremental
//   backup (thin_send s1 s2 | zstd | S3).
// Goal (issue 7): bytes uploaded for the incremental / `zstd` (same level) of exactly the changed
// chunks, read back from s2 in the order thin_send sends them, ≤ 1.05.
//
//   npx tsc -p tsconfig.json && AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED=true node dist/bench/backup-incremental.js [MiB=256] [percent=5] [seed=1]
import { appendFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { CreateBucketCommand } from '@aws-sdk/client-s3';
import { startS3 } from '../scripts/stack.js';
import { createS3Client } from '../bucket/s3.js';
import { shipToS3 } from '../activities/node/backup/pipeline.js';
import { SimCluster, expectOk } from '../test/sim/lvm-helpers.js';

const MiB = 1024 * 1024;
const LEVEL = 3;

/** xorshift32: the same "random" places for a seed */
function rng(seed: number): () => number {
  let x = seed | 1;
  return () => {
    x ^= x << 13; x ^= x >>> 17; x ^= x << 5;
    return (x >>> 0) / 2 ** 32;
  };
}

async function main(): Promise<void> {
  const volMiB = Number(process.argv[2] ?? 256);
  const percent = Number(process.argv[3] ?? 5);
  const seed = Number(process.argv[4] ?? 1);
  const dir = mkdtempSync(join(tmpdir(), 'ferry-bench-incr-'));
  const c = new SimCluster({ tools: 'process' });
  const s3svc = await startS3({ dataDir: join(dir, 's3') });
  const s3 = createS3Client({ endpoint: s3svc.endpoint, accessKey: s3svc.accessKey, secretKey: s3svc.secretKey });
  const lines: string[] = [];
  const log = (s: string): void => { console.log(s); lines.push(s); };
  try {
    const bucket = 'bench-incremental';
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    await c.initHost('n1', ['--size', `${volMiB * 2 + 256}M`]);
    expectOk(await c.tool('n1', 'lvcreate', ['-V', `${volMiB}M`, '-T', 'vg/thinpool', '-n', 'vol']));
    const lvs = expectOk(await c.tool('n1', 'lvs', ['--noheadings', '--units', 'b', '--nosuffix', '-o', 'chunk_size', 'vg/thinpool'])).stdout.trim();
    const chunk = Number(lvs);
    if (!Number.isInteger(chunk) || chunk <= 0) throw new Error(`chunk size not understood: ${lvs}`);
    const write = async (offset: number, length: number, pattern: string): Promise<void> => {
      expectOk(await c.sim(['io', 'write', '--node', 'n1', '--vg', 'vg', '--lv', 'vol', '--offset', String(offset), '--length', String(length), '--pattern', pattern]));
    };
    // per 8 MiB: 4 MiB of one repeating 1 MiB pattern (compresses in-stream), 2 MiB of per-MiB
    // unique noise, 2 MiB left unallocated
    for (let o = 0; o < volMiB * MiB; o += 8 * MiB) {
      await write(o, 4 * MiB, 'rep');
      await write(o + 4 * MiB, MiB, `n${o}`);
      await write(o + 5 * MiB, MiB, `m${o}`);
    }
    expectOk(await c.tool('n1', 'lvcreate', ['-s', 'vg/vol', '-n', 's1', '-K', '-ay']));
    const env = { ...process.env, ...c.env('n1') } as Record<string, string>;
    const full = await shipToS3({ source: ['thin_send', 'vg/s1'], env, s3, bucket, key: 'vol_00000_back_20240101_000000', zstdLevel: LEVEL, partSize: 5 * MiB });
    log(`volume ${volMiB} MiB, pool chunk ${chunk / 1024} KiB, zstd -${LEVEL}; full backup: ${(full.uncompressedBytes / MiB).toFixed(1)} MiB thin_send stream → ${(full.bytes / MiB).toFixed(1)} MiB stored`);

    // ~percent of the volume's chunks, in runs of 1..16 chunks, no overlaps; half compressible
    const total = Math.floor((volMiB * MiB) / chunk);
    const want = Math.round((total * percent) / 100);
    const taken = new Set<number>();
    const runs: { first: number; n: number; pattern: string }[] = [];
    const r = rng(seed);
    let changed = 0;
    while (changed < want) {
      const n = Math.min(want - changed, 1 + Math.floor(r() * 16));
      const first = Math.floor(r() * (total - n));
      let free = true;
      for (let i = first - 1; i <= first + n; i += 1) if (taken.has(i)) free = false; // keep runs apart
      if (!free) continue;
      for (let i = first; i < first + n; i += 1) taken.add(i);
      runs.push({ first, n, pattern: runs.length % 2 === 0 ? 'rep2' : `u${runs.length}` });
      changed += n;
    }
    runs.sort((a, b) => a.first - b.first);
    for (const run of runs) await write(run.first * chunk, run.n * chunk, run.pattern);
    expectOk(await c.tool('n1', 'lvcreate', ['-s', 'vg/vol', '-n', 's2', '-K', '-ay']));

    const incr = await shipToS3({ source: ['thin_send', 'vg/s1', 'vg/s2'], env, s3, bucket, key: 'vol_00000_back_20240102_000000', zstdLevel: LEVEL, partSize: 5 * MiB });
    // the reference: exactly the changed chunks of s2, in volume order (as thin_send sends them), through zstd alone
    const ref = join(dir, 'changed.bin');
    for (const run of runs) {
      const part = join(dir, 'run.bin');
      expectOk(await c.sim(['io', 'read', '--node', 'n1', '--vg', 'vg', '--lv', 's2', '--offset', String(run.first * chunk), '--length', String(run.n * chunk), '--out', part]));
      appendFileSync(ref, readFileSync(part));
    }
    const changedBytes = changed * chunk;
    if (readFileSync(ref).length !== changedBytes) throw new Error('reference read back a different size');
    const z = await execa('zstd', ['-c', '-q', '-T0', `-${LEVEL}`, ref], { encoding: 'buffer' });
    const refZ = z.stdout.length;
    log(`changed: ${runs.length} runs, ${changed} chunks = ${(changedBytes / MiB).toFixed(2)} MiB (${((100 * changed) / total).toFixed(1)}% of the volume)`);
    log(`incremental: thin_send stream ${incr.uncompressedBytes} B (${(incr.uncompressedBytes / changedBytes).toFixed(4)} x changed), stored ${incr.bytes} B`);
    log(`zstd -${LEVEL} of the changed chunks alone: ${refZ} B`);
    log(`ratio stored / zstd(changed chunks) = ${(incr.bytes / refZ).toFixed(4)} (goal ≤ 1.05); stored / full stored = ${(incr.bytes / full.bytes).toFixed(4)}`);
    process.stdout.write(`\n--- for bench/RESULTS.md ---\n${lines.join('\n')}\n`);
  } finally {
    s3.destroy();
    await s3svc.stop();
    c.cleanup();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
