// lvchange -ay|-an [-K] [-ky|-kn] [--addtag T] [--deltag T] VG/LV... | VG
import { parseLvmArgs, opt, optAll, has, splitLvName } from '../args.js';
import { loadState, saveState } from '../store.js';
import type { LvRecord, VgRecord } from '../store.js';
import { withNodeLock } from '../../lock.js';
import type { ToolContext } from '../../tool.js';
import { ToolExit } from '../../tool.js';
import { ECMD_FAILED, EINVALID_CMD_LINE } from './common.js';

function yn(v: string | undefined, label: string): boolean | undefined {
  if (v === undefined) return undefined;
  if (/^(y|ay|ly|yes)$/i.test(v)) return true;
  if (/^(n|an|ln|no)$/i.test(v)) return false;
  throw new ToolExit(EINVALID_CMD_LINE, `  Invalid argument for ${label}: ${v}\n  Error during parsing of command line.\n`);
}

export function main(args: string[], ctx: ToolContext): number {
  const p = parseLvmArgs('lvchange', args, [
    { long: 'activate', short: 'a', value: true },
    { long: 'setactivationskip', short: 'k', value: true },
    { long: 'ignoreactivationskip', short: 'K', value: false },
    { long: 'addtag', value: true },
    { long: 'deltag', value: true },
    { long: 'force', short: 'f', value: false },
    { long: 'monitor', value: true },
    { long: 'refresh', value: false },
    { long: 'select', short: 'S', value: true },
    { long: 'noudevsync', value: false },
  ]);
  const activate = yn(opt(p, 'activate'), '--activate');
  const skip = yn(opt(p, 'setactivationskip'), '--setactivationskip');
  const ignoreSkip = has(p, 'ignoreactivationskip');
  const addTags = optAll(p, 'addtag');
  const delTags = optAll(p, 'deltag');
  if (activate === undefined && skip === undefined && addTags.length === 0 && delTags.length === 0 && !has(p, 'refresh') && !has(p, 'monitor')) {
    throw new ToolExit(EINVALID_CMD_LINE, `  No command with matching syntax recognised.  Run 'lvchange --help' for more information.\n`);
  }
  if (p.positional.length === 0) throw new ToolExit(EINVALID_CMD_LINE, `  No logical volume specified.\n  Run \`lvchange --help' for more information.\n`);
  return withNodeLock(ctx.nodeDir, () => {
    const state = loadState(ctx.nodeDir);
    let exit = 0;
    const targets: { vg: VgRecord; lv: LvRecord }[] = [];
    for (const a of p.positional) {
      const s = a.includes('/') ? splitLvName(a) : null;
      const vgName = s ? s.vg : a;
      const vg = state.vgs[vgName];
      if (!vg) {
        ctx.err(`  Volume group "${vgName}" not found\n  Cannot process volume group ${vgName}\n`);
        exit = ECMD_FAILED;
        continue;
      }
      if (s) {
        const lv = vg.lvs[s.lv];
        if (!lv) {
          ctx.err(`  Failed to find logical volume "${s.vg}/${s.lv}"\n`);
          exit = ECMD_FAILED;
          continue;
        }
        targets.push({ vg, lv });
      } else for (const lv of Object.values(vg.lvs)) targets.push({ vg, lv });
    }
    for (const { vg, lv } of targets) {
      let changed = false;
      if (skip !== undefined && lv.skipActivation !== skip) {
        lv.skipActivation = skip;
        changed = true;
      }
      for (const t of addTags) {
        if (!lv.tags.includes(t)) {
          lv.tags.push(t);
          changed = true;
        }
      }
      for (const t of delTags) {
        if (lv.tags.includes(t)) {
          lv.tags = lv.tags.filter((x) => x !== t);
          changed = true;
        }
      }
      if (activate === true) {
        // An LV with the activation skip flag is silently left inactive unless -K is given.
        if (!lv.skipActivation || ignoreSkip) lv.active = true;
      } else if (activate === false) {
        if (lv.openBy && lv.openBy.length > 0) {
          ctx.err(`  Logical volume ${vg.name}/${lv.name} in use.\n`);
          exit = ECMD_FAILED;
          continue;
        }
        if (lv.kind === 'thin-pool') {
          const busy = Object.values(vg.lvs).some((t) => t.kind === 'thin' && t.pool === lv.name && t.active && !targets.some((x) => x.lv === t));
          if (busy) {
            // lvm deactivates the pool only once its thin volumes are inactive; it stays active otherwise
            continue;
          }
        }
        lv.active = false;
      }
      if (changed) {
        vg.seqno++;
        ctx.out(`  Logical volume ${vg.name}/${lv.name} changed.\n`);
      }
    }
    saveState(ctx.nodeDir, state);
    return exit;
  });
}
