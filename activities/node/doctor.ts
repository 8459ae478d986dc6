// Node activities of `ferry doctor`: what this host has (read-only: lvs, drbdsetup status, the .res
// files), and the few removals `doctor --repair` makes of what the catalog does not know. No
// generic command: each activity runs a fixed host adapter.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { resFileUsage, type HostReport } from '../../core/doctor.js';
import { resourceFileName } from '../../core/drbd-config.js';
import * as drbd from './host/drbd.js';
import { listLogicalVolumes, removeLogicalVolume } from './host/lvm.js';

export function createDoctorNodeActivities(deps: { node: string }) {
  return {
    /** Thin LVs of the given `vg/thinPool`s, DRBD resources up, .res files with their ports and minors. */
    async inspectHost(input: { pools: { vg: string; thinPool: string }[] }): Promise<HostReport> {
      const pools = new Set(input.pools.map((p) => `${p.vg}/${p.thinPool}`));
      const lvs = (await listLogicalVolumes())
        .filter((lv) => lv.kind === 'thin' && lv.pool !== null && pools.has(`${lv.vg}/${lv.pool}`))
        .map((lv) => ({ vg: lv.vg, name: lv.name, pool: lv.pool, origin: lv.origin }));
      const drbdUp = (await drbd.statusAll({ timeoutMs: 30_000 })).map((s) => ({ resource: s.name, minors: s.devices.map((d) => d.minor).sort((a, b) => a - b) }));
      const dir = drbd.drbdConfDir();
      const resFiles: HostReport['resFiles'] = [];
      for (const resource of await drbd.listResourceFiles({ dir })) {
        const text = await readFile(join(dir, resourceFileName(resource)), 'utf8').catch(() => '');
        resFiles.push({ resource, ...resFileUsage(text) });
      }
      return { node: deps.node, lvs, drbdUp, resFiles };
    },

    /** `drbdadm down` of a resource the catalog does not know here, and its .res file. */
    async doctorDownResource(input: { resource: string }): Promise<void> {
      await drbd.down(input.resource, { timeoutMs: 60_000 });
      await drbd.removeResourceFile(input.resource);
    },

    async doctorRemoveResourceFile(input: { resource: string }): Promise<void> {
      await drbd.removeResourceFile(input.resource);
    },

    /** `lvremove` of an LV the catalog does not know; absent is success. */
    async doctorRemoveLv(input: { vg: string; lv: string }): Promise<boolean> {
      return removeLogicalVolume(input.vg, input.lv);
    },
  };
}

export type DoctorNodeActivities = ReturnType<typeof createDoctorNodeActivities>;
