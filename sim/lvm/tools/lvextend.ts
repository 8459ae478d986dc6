// lvextend / lvresize -L [+]SIZE VG/LV (thin volumes and thin pools; shrinking is not simulated).
import { parseLvmArgs, opt, splitLvName } from '../args.js';
import { displaySize, loadState, parseLvmSize, PoolMeta, poolFiles, resizeThinMap, roundUpTo, saveState } from '../store.js';
import { vgUsedBytes } from '../report.js';
import { withNodeLock } from '../../lock.js';
import type { ToolContext } from '../../tool.js';
import { ToolExit } from '../../tool.js';
import { ECMD_FAILED, EINVALID_CMD_LINE, failed, getLv } from './common.js';

function run(tool: 'lvextend' | 'lvresize', args: string[], ctx: ToolContext): number {
  const p = parseLvmArgs(tool, args, [
    { long: 'size', short: 'L', value: true },
    { long: 'extents', short: 'l', value: true },
    { long: 'force', short: 'f', value: false },
    { long: 'resizefs', short: 'r', value: false },
    { long: 'nofsck', short: 'n', value: false },
    { long: 'poolmetadatasize', value: true },
    { long: 'noudevsync', value: false },
  ]);
  const target = p.positional[0];
  const sizeText = opt(p, 'size');
  if (!target) throw new ToolExit(EINVALID_CMD_LINE, `  Please specify a logical volume path.\n  Run \`${tool} --help' for more information.\n`);
  if (sizeText === undefined) throw new ToolExit(EINVALID_CMD_LINE, `  Please specify either size or extents.\n  Run \`${tool} --help' for more information.\n`);
  const parsed = parseLvmSize(sizeText);
  if (!parsed) throw new ToolExit(EINVALID_CMD_LINE, `  Invalid argument for --size: ${sizeText}\n  Error during parsing of command line.\n`);
  const s = splitLvName(target);
  if (!s) throw new ToolExit(EINVALID_CMD_LINE, `  Please specify a logical volume path.\n  Run \`${tool} --help' for more information.\n`);
  return withNodeLock(ctx.nodeDir, () => {
    const state = loadState(ctx.nodeDir);
    const { vg, lv } = getLv(state, s.vg, s.lv);
    const ext = vg.extentBytes;
    const oldSize = lv.sizeBytes;
    let newSize = parsed.sign === '+' ? oldSize + parsed.bytes : parsed.sign === '-' ? oldSize - parsed.bytes : parsed.bytes;
    const rounded = roundUpTo(newSize, ext);
    if (rounded !== newSize) ctx.out(`  Rounding size to boundary between physical extents: ${displaySize(rounded)}.\n`);
    newSize = rounded;
    const oldExt = Math.ceil(oldSize / ext);
    const newExt = Math.ceil(newSize / ext);
    if (newSize === oldSize) throw new ToolExit(ECMD_FAILED, `  New size (${newExt} extents) matches existing size (${oldExt} extents).\n`);
    if (newSize < oldSize) {
      if (tool === 'lvextend') throw new ToolExit(ECMD_FAILED, `  New size given (${newExt} extents) not larger than existing size (${oldExt} extents)\n`);
      throw failed(`Thin volume reduction is not simulated.`);
    }
    const what = lv.kind === 'thin-pool' ? `${vg.name}/${lv.name}_tdata` : `${vg.name}/${lv.name}`;
    if (lv.kind === 'thin-pool') {
      const free = vg.sizeBytes - vgUsedBytes(vg);
      if (newSize - oldSize > free) {
        throw failed(`Insufficient free space: ${Math.ceil((newSize - oldSize) / ext)} extents needed, but only ${Math.floor(free / ext)} available`);
      }
      const files = poolFiles(ctx.nodeDir, vg.name, lv.name);
      const meta = PoolMeta.read(files.meta);
      meta.grow(Math.floor(newSize / lv.chunkBytes!));
      meta.header.generation = (meta.header.generation + 1) >>> 0;
      meta.write(files.meta);
    } else {
      const pool = vg.lvs[lv.pool!]!;
      resizeThinMap(poolFiles(ctx.nodeDir, vg.name, pool.name), lv.thinId!, newSize, pool.chunkBytes!);
    }
    lv.sizeBytes = newSize;
    vg.seqno++;
    saveState(ctx.nodeDir, state);
    ctx.out(`  Size of logical volume ${what} changed from ${displaySize(oldSize)} (${oldExt} extents) to ${displaySize(newSize)} (${newExt} extents).\n`);
    ctx.out(`  Logical volume ${vg.name}/${lv.name} successfully resized.\n`);
    return 0;
  });
}

export function lvextendMain(args: string[], ctx: ToolContext): number {
  return run('lvextend', args, ctx);
}

export function lvresizeMain(args: string[], ctx: ToolContext): number {
  return run('lvresize', args, ctx);
}
