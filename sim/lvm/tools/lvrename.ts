// lvrename VG OLD NEW | VG/OLD VG/NEW | VG/OLD NEW
import fs from 'node:fs';
import { parseLvmArgs, splitLvName } from '../args.js';
import { loadState, poolFiles, saveState } from '../store.js';
import { withNodeLock } from '../../lock.js';
import type { ToolContext } from '../../tool.js';
import { ToolExit } from '../../tool.js';
import { checkLvName, ECMD_FAILED, EINVALID_CMD_LINE, vgNotFound } from './common.js';

export function main(args: string[], ctx: ToolContext): number {
  const p = parseLvmArgs('lvrename', args, [{ long: 'noudevsync', value: false }, { long: 'autobackup', short: 'A', value: true }]);
  const pos = p.positional;
  let vgName: string;
  let from: string;
  let to: string;
  if (pos.length === 3) {
    [vgName, from, to] = pos as [string, string, string];
  } else if (pos.length === 2) {
    const a = splitLvName(pos[0]!);
    if (!a) throw new ToolExit(EINVALID_CMD_LINE, `  Please provide a valid volume group name\n  Run \`lvrename --help' for more information.\n`);
    vgName = a.vg;
    from = a.lv;
    const b = pos[1]!.includes('/') ? splitLvName(pos[1]!) : { vg: a.vg, lv: pos[1]! };
    if (!b) throw new ToolExit(EINVALID_CMD_LINE, `  New logical volume name "${pos[1]}" is invalid\n  Run \`lvrename --help' for more information.\n`);
    if (b.vg !== a.vg) throw new ToolExit(EINVALID_CMD_LINE, `  Logical volume names must have the same volume group ("${a.vg}" or "${b.vg}").\n  Run \`lvrename --help' for more information.\n`);
    to = b.lv;
  } else throw new ToolExit(EINVALID_CMD_LINE, `  Old and new logical volume names required\n  Run \`lvrename --help' for more information.\n`);
  checkLvName('lvrename', to);
  return withNodeLock(ctx.nodeDir, () => {
    const state = loadState(ctx.nodeDir);
    const vg = state.vgs[vgName];
    if (!vg) throw vgNotFound(vgName);
    const lv = vg.lvs[from];
    if (!lv) throw new ToolExit(ECMD_FAILED, `  Existing logical volume "${from}" not found in volume group "${vgName}"\n`);
    if (from === to) throw new ToolExit(ECMD_FAILED, `  Old and new logical volume names must differ\n`);
    if (vg.lvs[to]) throw new ToolExit(ECMD_FAILED, `  Logical Volume "${to}" already exists in volume group "${vgName}"\n`);
    if (lv.kind === 'thin-pool') {
      fs.renameSync(poolFiles(ctx.nodeDir, vgName, from).dir, poolFiles(ctx.nodeDir, vgName, to).dir);
      for (const t of Object.values(vg.lvs)) if (t.pool === from) t.pool = to;
    }
    for (const t of Object.values(vg.lvs)) if (t.origin === from) t.origin = to;
    delete vg.lvs[from];
    lv.name = to;
    vg.lvs[to] = lv;
    vg.seqno++;
    saveState(ctx.nodeDir, state);
    ctx.out(`  Renamed "${from}" to "${to}" in volume group "${vgName}"\n`);
    return 0;
  });
}
