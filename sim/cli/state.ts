// ferry-sim state NODE: the node's simulated state as JSON.
import fs from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { readFaults } from '../faults.js';
import { simNodeDir } from '../paths.js';
import { capacityChunks, loadState, PoolMeta, poolFiles, countMapped, mapPath, readMap } from '../lvm/store.js';
import type { GlobalOptions } from './program.js';

export function nodeState(root: string, node: string): Record<string, unknown> {
  const dir = simNodeDir(node, root);
  if (!fs.existsSync(dir)) throw new Error(`no simulated node ${node} under ${root}`);
  const lvm = loadState(dir);
  const pools: Record<string, unknown> = {};
  const thinUsage: Record<string, unknown> = {};
  for (const vg of Object.values(lvm.vgs)) {
    for (const lv of Object.values(vg.lvs)) {
      const files = poolFiles(dir, vg.name, lv.kind === 'thin-pool' ? lv.name : lv.pool!);
      if (lv.kind === 'thin-pool') {
        try {
          const h = PoolMeta.read(files.meta).header;
          pools[`${vg.name}/${lv.name}`] = { chunkBytes: lv.chunkBytes, totalChunks: h.totalChunks, usedChunks: h.usedChunks, capacityChunks: capacityChunks(h), filled: h.limitChunks > 0 };
        } catch (e) {
          pools[`${vg.name}/${lv.name}`] = { error: (e as Error).message };
        }
      } else if (lv.thinId !== undefined) {
        try {
          const m = readMap(mapPath(files, lv.thinId));
          thinUsage[`${vg.name}/${lv.name}`] = { chunks: m.length, allocatedChunks: countMapped(m) };
        } catch (e) {
          thinUsage[`${vg.name}/${lv.name}`] = { error: (e as Error).message };
        }
      }
    }
  }
  let drbd: unknown;
  try {
    drbd = JSON.parse(fs.readFileSync(path.join(dir, 'drbd', 'state.json'), 'utf8'));
  } catch {
    drbd = undefined;
  }
  return { node, dir, lvm, pools, thinVolumes: thinUsage, faults: readFaults(dir), netCut: fs.existsSync(path.join(dir, 'net-cut')), drbd };
}

export function register(program: Command, globals: () => GlobalOptions): void {
  program
    .command('state')
    .description("dump a node's simulated state (LVM, pools, faults, DRBD) as JSON")
    .argument('<node>', 'node name')
    .action((node: string) => {
      process.stdout.write(JSON.stringify(nodeState(globals().root, node), null, 2) + '\n');
    });
}
