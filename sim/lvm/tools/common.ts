// Messages and helpers shared by the simulated LVM commands (wording as lvm2 prints it).
import { ToolExit } from '../../tool.js';
import type { LvmState, LvRecord, VgRecord } from '../store.js';

export const ECMD_FAILED = 5;
export const EINVALID_CMD_LINE = 3;

export function vgNotFound(vg: string): ToolExit {
  return new ToolExit(ECMD_FAILED, `  Volume group "${vg}" not found\n  Cannot process volume group ${vg}\n`);
}

export function lvNotFound(vg: string, lv: string): ToolExit {
  return new ToolExit(ECMD_FAILED, `  Failed to find logical volume "${vg}/${lv}"\n`);
}

export function failed(message: string, code = ECMD_FAILED): ToolExit {
  return new ToolExit(code, message.split('\n').filter((l) => l !== '').map((l) => `  ${l}`).join('\n') + '\n');
}

export function getVg(state: LvmState, vg: string): VgRecord {
  const v = state.vgs[vg];
  if (!v) throw vgNotFound(vg);
  return v;
}

export function getLv(state: LvmState, vg: string, lv: string): { vg: VgRecord; lv: LvRecord } {
  const v = getVg(state, vg);
  const l = v.lvs[lv];
  if (!l) throw lvNotFound(vg, lv);
  return { vg: v, lv: l };
}

/** LVM's name rules (lvm2 rejects these names). */
export function checkLvName(tool: string, name: string): void {
  if (!/^[A-Za-z0-9+_.][A-Za-z0-9+_.-]*$/.test(name) || name === '.' || name === '..' || name.length > 127) {
    throw new ToolExit(EINVALID_CMD_LINE, `  Logical volume name "${name}" is invalid.\n  Run \`${tool} --help' for more information.\n`);
  }
  for (const reserved of ['_cdata', '_cmeta', '_corig', '_mimage', '_mlog', '_pmspare', '_rimage', '_rmeta', '_tdata', '_tmeta', '_vorigin', '_vdata']) {
    if (name.includes(reserved)) {
      throw new ToolExit(EINVALID_CMD_LINE, `  Names including "${reserved}" are reserved. Please choose a different LV name.\n  Run \`${tool} --help' for more information.\n`);
    }
  }
  if (name.startsWith('snapshot') || name.startsWith('pvmove')) {
    throw new ToolExit(EINVALID_CMD_LINE, `  Names starting "${name.startsWith('snapshot') ? 'snapshot' : 'pvmove'}" are reserved. Please choose a different LV name.\n  Run \`${tool} --help' for more information.\n`);
  }
}

export function extents(bytes: number, extentBytes: number): number {
  return Math.ceil(bytes / extentBytes);
}
