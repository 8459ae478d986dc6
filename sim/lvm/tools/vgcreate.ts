// vgcreate VG PV... — in the simulation a PV is any existing file or block device; its size is the
// PV size (`ferry-sim host init` makes a sparse file per node).
import fs from 'node:fs';
import { parseLvmArgs, opt, optAll } from '../args.js';
import { EXTENT_BYTES, loadState, lvmUuid, parseLvmSize, saveState } from '../store.js';
import { withNodeLock } from '../../lock.js';
import type { ToolContext } from '../../tool.js';
import { ToolExit } from '../../tool.js';
import { ECMD_FAILED, EINVALID_CMD_LINE } from './common.js';

export function main(args: string[], ctx: ToolContext): number {
  const p = parseLvmArgs('vgcreate', args, [
    { long: 'physicalextentsize', short: 's', value: true },
    { long: 'addtag', value: true },
    { long: 'force', short: 'f', value: false },
    { long: 'zero', short: 'Z', value: true },
    { long: 'clustered', short: 'c', value: true },
    { long: 'shared', value: false },
    { long: 'setautoactivation', value: true },
  ]);
  const [vg, ...pvs] = p.positional;
  if (!vg) throw new ToolExit(EINVALID_CMD_LINE, `  Please provide volume group name and physical volumes\n  Run \`vgcreate --help' for more information.\n`);
  if (pvs.length === 0) throw new ToolExit(EINVALID_CMD_LINE, `  Please enter physical volume name(s)\n  Run \`vgcreate --help' for more information.\n`);
  if (!/^[A-Za-z0-9+_.][A-Za-z0-9+_.-]*$/.test(vg)) throw new ToolExit(EINVALID_CMD_LINE, `  New volume group name "${vg}" is invalid.\n  Run \`vgcreate --help' for more information.\n`);
  const peArg = opt(p, 'physicalextentsize');
  const extentBytes = peArg ? parseLvmSize(peArg)?.bytes ?? EXTENT_BYTES : EXTENT_BYTES;
  return withNodeLock(ctx.nodeDir, () => {
    const state = loadState(ctx.nodeDir);
    if (state.vgs[vg]) throw new ToolExit(ECMD_FAILED, `  A volume group called ${vg} already exists.\n`);
    let size = 0;
    const used = new Set(Object.values(state.vgs).flatMap((v) => v.pvs));
    for (const pv of pvs) {
      let st: fs.Stats;
      try {
        st = fs.statSync(pv);
      } catch {
        throw new ToolExit(ECMD_FAILED, `  No device found for ${pv}.\n`);
      }
      if (used.has(pv)) throw new ToolExit(ECMD_FAILED, `  Physical volume '${pv}' is already in volume group '${Object.values(state.vgs).find((v) => v.pvs.includes(pv))!.name}'\n  Unable to add physical volume '${pv}' to volume group '${vg}'\n`);
      // one extent of each PV holds the metadata area, as a real PV loses about 1 MiB
      size += Math.max(0, Math.floor(st.size / extentBytes) - 1) * extentBytes;
    }
    state.vgs[vg] = { name: vg, uuid: lvmUuid(), sizeBytes: size, extentBytes, pvs, tags: optAll(p, 'addtag'), nextThinId: 1, seqno: 1, lvs: {} };
    saveState(ctx.nodeDir, state);
    for (const pv of pvs) ctx.out(`  Physical volume "${pv}" successfully created.\n`);
    ctx.out(`  Volume group "${vg}" successfully created\n`);
    return 0;
  });
}
