// The dispatch table of simulated tools: name -> module loader. Add a tool by adding one line.
import type { ToolModule } from './tool.js';

export const tools: Record<string, () => Promise<ToolModule>> = {
  vgs: () => import('./lvm/tools/report.js').then((m) => ({ main: m.vgsMain })),
  lvs: () => import('./lvm/tools/report.js').then((m) => ({ main: m.lvsMain })),
  vgcreate: () => import('./lvm/tools/vgcreate.js'),
  lvcreate: () => import('./lvm/tools/lvcreate.js'),
  lvremove: () => import('./lvm/tools/lvremove.js'),
  lvextend: () => import('./lvm/tools/lvextend.js').then((m) => ({ main: m.lvextendMain })),
  lvresize: () => import('./lvm/tools/lvextend.js').then((m) => ({ main: m.lvresizeMain })),
  lvchange: () => import('./lvm/tools/lvchange.js'),
  lvrename: () => import('./lvm/tools/lvrename.js'),
  thin_send: () => import('./lvm/tools/thin-send.js'),
  thin_recv: () => import('./lvm/tools/thin-recv.js'),
  drbdadm: () => import('./drbd/tools.js').then((m) => ({ main: m.drbdadmMain })),
  drbdsetup: () => import('./drbd/tools.js').then((m) => ({ main: m.drbdsetupMain })),
  drbdmeta: () => import('./drbd/tools.js').then((m) => ({ main: m.drbdmetaMain })),
};

export function registerTool(name: string, load: () => Promise<ToolModule>): void {
  tools[name] = load;
}
