// lvremove [-f] VG/LV... | VG
import { parseLvmArgs, has, splitLvName } from '../args.js';
import { loadState, poolFiles, removeThin, saveState } from '../store.js';
import type { LvmState, VgRecord } from '../store.js';
import { withNodeLock } from '../../lock.js';
import type { ToolContext } from '../../tool.js';
import { ToolExit } from '../../tool.js';
import { ECMD_FAILED, EINVALID_CMD_LINE } from './common.js';
import fs from 'node:fs';

export function main(args: string[], ctx: ToolContext): number {
  const p = parseLvmArgs('lvremove', args, [
    { long: 'force', short: 'f', value: false },
    { long: 'select', short: 'S', value: true },
    { long: 'noudevsync', value: false },
    { long: 'autobackup', short: 'A', value: true },
  ]);
  if (p.positional.length === 0) throw new ToolExit(EINVALID_CMD_LINE, `  No logical volume specified.\n  Run \`lvremove --help' for more information.\n`);
  const force = has(p, 'force') || has(p, 'yes');
  return withNodeLock(ctx.nodeDir, () => {
    const state = loadState(ctx.nodeDir);
    let exit = 0;
    const targets: { vg: VgRecord; lv: string }[] = [];
    for (const a of p.positional) {
      const s = a.includes('/') ? splitLvName(a) : null;
      if (s) {
        const vg = state.vgs[s.vg];
        if (!vg) {
          ctx.err(`  Volume group "${s.vg}" not found\n  Cannot process volume group ${s.vg}\n`);
          exit = ECMD_FAILED;
          continue;
        }
        if (!vg.lvs[s.lv]) {
          ctx.err(`  Failed to find logical volume "${s.vg}/${s.lv}"\n`);
          exit = ECMD_FAILED;
          continue;
        }
        targets.push({ vg, lv: s.lv });
      } else {
        const vg = state.vgs[a];
        if (!vg) {
          ctx.err(`  Volume group "${a}" not found\n  Cannot process volume group ${a}\n`);
          exit = ECMD_FAILED;
          continue;
        }
        // thin LVs first, then pools
        const names = Object.values(vg.lvs).sort((x, y) => (x.kind === y.kind ? 0 : x.kind === 'thin' ? -1 : 1)).map((l) => l.name);
        for (const n of names) targets.push({ vg, lv: n });
      }
    }
    for (const t of targets) {
      if (!t.vg.lvs[t.lv]) continue; // removed with its pool already
      if (!removeOne(ctx, state, t.vg, t.lv, force)) exit = ECMD_FAILED;
    }
    saveState(ctx.nodeDir, state);
    return exit;
  });
}

function removeOne(ctx: ToolContext, state: LvmState, vg: VgRecord, name: string, force: boolean): boolean {
  const lv = vg.lvs[name]!;
  if (lv.openBy && lv.openBy.length > 0) {
    ctx.err(`  Logical volume ${vg.name}/${name} in use.\n`);
    return false;
  }
  if (lv.kind === 'thin-pool') {
    const deps = Object.values(vg.lvs).filter((l) => l.kind === 'thin' && l.pool === name);
    const busy = deps.find((d) => d.openBy && d.openBy.length > 0);
    if (busy) {
      ctx.err(`  Logical volume ${vg.name}/${busy.name} in use.\n`);
      return false;
    }
    if (deps.length > 0 && !force) {
      ctx.out(`Removing pool "${name}" will remove ${deps.length} dependent volume(s). Proceed? [y/n]: [n]\n`);
      ctx.err(`  Logical volume "${name}" not removed.\n`);
      return false;
    }
    for (const d of deps) {
      delete vg.lvs[d.name];
      ctx.out(`  Logical volume "${d.name}" successfully removed.\n`);
    }
    fs.rmSync(poolFiles(ctx.nodeDir, vg.name, name).dir, { recursive: true, force: true });
    delete vg.lvs[name];
    vg.seqno++;
    ctx.out(`  Logical volume "${name}" successfully removed.\n`);
    return true;
  }
  if (lv.active && !force) {
    ctx.out(`Do you really want to remove active logical volume ${vg.name}/${name}? [y/n]: [n]\n`);
    ctx.err(`  Logical volume ${vg.name}/${name} not removed.\n`);
    return false;
  }
  removeThin(poolFiles(ctx.nodeDir, vg.name, lv.pool!), lv.thinId!);
  delete vg.lvs[name];
  for (const other of Object.values(vg.lvs)) if (other.origin === name) other.origin = '';
  vg.seqno++;
  void state;
  ctx.out(`  Logical volume "${name}" successfully removed.\n`);
  return true;
}
