// Node activities: run on the agent of one host, on that host's task queue, and apply or report
// host state. Each is idempotent.
import type { HostInventory } from '../../catalog/nodes.js';
import { listLogicalVolumes, listVolumeGroups } from './host/lvm.js';
import { poolFreeBytes } from '../../core/host-usage.js';

export function createNodeActivities(deps: { node: string; now?: () => number }) {
  const now = deps.now ?? Date.now;
  return {
    /** What the host has: volume groups and thin pools with their capacity (`vgs`, `lvs`). */
    async inventory(): Promise<HostInventory> {
      const vgs = await listVolumeGroups();
      const lvs = await listLogicalVolumes();
      const thinPools = lvs
        .filter((lv) => lv.kind === 'thin-pool')
        .map((lv) => ({
          vg: lv.vg,
          pool: lv.name,
          totalBytes: lv.sizeBytes,
          freeBytes: poolFreeBytes(lv.sizeBytes, lv.dataPercent),
        }));
      return {
        volumeGroups: vgs.map((vg) => ({ name: vg.name, sizeBytes: vg.sizeBytes, freeBytes: vg.freeBytes })),
        thinPools,
        takenAt: now(),
      };
    },
  };
}

export type NodeActivities = ReturnType<typeof createNodeActivities>;
