// ferry-sim pool fill|unfill NODE VG/POOL: make a thin pool (nearly) full without writing data.
import fs from 'node:fs';
import type { Command } from 'commander';
import { withNodeLock } from '../lock.js';
import { simNodeDir } from '../paths.js';
import { loadState, PoolMeta, poolFiles } from '../lvm/store.js';
import { parseBytes } from './parse.js';
import type { GlobalOptions } from './program.js';

function setLimit(root: string, node: string, target: string, remainingBytes: number | null): string {
  const [vg, pool] = target.split('/');
  if (!vg || !pool) throw new Error(`expected VG/POOL, got ${target}`);
  const dir = simNodeDir(node, root);
  return withNodeLock(dir, () => {
    const rec = loadState(dir).vgs[vg]?.lvs[pool];
    if (!rec || rec.kind !== 'thin-pool') throw new Error(`no thin pool ${vg}/${pool} on ${node}`);
    const files = poolFiles(dir, vg, pool);
    if (!fs.existsSync(files.meta)) throw new Error(`pool files of ${vg}/${pool} missing`);
    const meta = PoolMeta.read(files.meta);
    const h = meta.header;
    h.limitChunks = remainingBytes === null ? 0 : Math.max(1, Math.min(h.totalChunks, h.usedChunks + Math.floor(remainingBytes / rec.chunkBytes!)));
    if (remainingBytes !== null && h.limitChunks === 0) h.limitChunks = 1;
    h.generation = (h.generation + 1) >>> 0;
    meta.write(files.meta);
    const cap = h.limitChunks > 0 ? h.limitChunks : h.totalChunks;
    return `${vg}/${pool}: ${h.usedChunks}/${cap} chunks used (${((h.usedChunks / cap) * 100).toFixed(2)}%)`;
  });
}

export function register(program: Command, globals: () => GlobalOptions): void {
  const pool = program.command('pool').description('thin pool capacity');
  pool
    .command('fill')
    .description('leave only --remaining bytes free in a thin pool (default 0: full)')
    .argument('<node>', 'node name')
    .argument('<vg/pool>', 'thin pool')
    .option('--remaining <size>', 'free space left', parseBytes, 0)
    .action((node: string, target: string, o: { remaining: number }) => {
      process.stdout.write(setLimit(globals().root, node, target, o.remaining) + '\n');
    });
  pool
    .command('unfill')
    .description('give a filled thin pool its full capacity back')
    .argument('<node>', 'node name')
    .argument('<vg/pool>', 'thin pool')
    .action((node: string, target: string) => {
      process.stdout.write(setLimit(globals().root, node, target, null) + '\n');
    });
}
