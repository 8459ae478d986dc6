// ferry-sim host init NODE: a node with a disk, a volume group and a thin pool, made the way an
// operator would (vgcreate, lvcreate).
import fs from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { simNodeDir } from '../paths.js';
import { EXTENT_BYTES } from '../lvm/store.js';
import { parseBytes } from './parse.js';
import { runSimTool } from './run-tool.js';
import type { GlobalOptions } from './program.js';

export function register(program: Command, globals: () => GlobalOptions): void {
  const host = program.command('host').description('simulated storage hosts');
  host
    .command('init')
    .description('create a node directory with a disk, a volume group and a thin pool')
    .argument('<node>', 'node name')
    .option('--vg <name>', 'volume group name', 'vg')
    .option('--pool <name>', 'thin pool name', 'thinpool')
    .option('--size <size>', 'size of the node disk / volume group', '20G')
    .option('--pool-size <size>', 'thin pool size (default: all free space of the VG)')
    .option('--chunk-size <size>', 'thin pool chunk size', '64K')
    .action((node: string, o: { vg: string; pool: string; size: string; poolSize?: string; chunkSize: string }) => {
      const { root } = globals();
      const dir = simNodeDir(node, root);
      const disks = path.join(dir, 'disks');
      fs.mkdirSync(disks, { recursive: true });
      const disk = path.join(disks, `${o.vg}-pv0.img`);
      const size = parseBytes(o.size);
      if (!fs.existsSync(disk)) {
        const fd = fs.openSync(disk, 'w');
        fs.ftruncateSync(fd, size + EXTENT_BYTES); // one extent for the PV's metadata area
        fs.closeSync(fd);
      }
      const steps: [string, string[]][] = [
        ['vgcreate', [o.vg, disk]],
        [
          'lvcreate',
          o.poolSize
            ? ['--type', 'thin-pool', '-L', `${parseBytes(o.poolSize)}b`, '--chunksize', `${parseBytes(o.chunkSize)}b`, '-n', o.pool, o.vg]
            : ['--type', 'thin-pool', '-l', '100%FREE', '--chunksize', `${parseBytes(o.chunkSize)}b`, '-n', o.pool, o.vg],
        ],
      ];
      // idempotent: a host that has its volume group and thin pool already is left as it is
      const exists = (tool: string, target: string) => runSimTool(root, node, tool, ['--noheadings', target]).exitCode === 0;
      const have = { vgcreate: exists('vgs', o.vg), lvcreate: exists('lvs', `${o.vg}/${o.pool}`) };
      for (const [tool, args] of steps) {
        if (have[tool as keyof typeof have]) continue;
        const r = runSimTool(root, node, tool, args);
        process.stdout.write(r.stdout);
        process.stderr.write(r.stderr);
        if (r.exitCode !== 0) {
          process.exitCode = r.exitCode;
          return;
        }
      }
    });
}
