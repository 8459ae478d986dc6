// Node activities of `vd set-size` (grow only): the thin LV of one volume grows to the size DRBD
// needs for the new usable size (its internal meta data included), then DRBD takes the new size
// with `drbdadm resize`. Both are check-then-act, so a retry after a crash converges.
import { resize as drbdResize, status as drbdStatus } from './host/drbd.js';
import { extendLogicalVolume } from './host/lvm.js';
import { lvSizeFor, volumeLvName } from './resources.js';

export function createResizeNodeActivities(_deps: { node: string }) {
  return {
    /** Grows this node's LV of the volume (no-op when it is big enough already); returns the LV size. */
    async growResourceVolume(input: { resource: string; vg: string; volumeNumber: number; sizeBytes: number }): Promise<number> {
      return extendLogicalVolume(input.vg, volumeLvName(input.resource, input.volumeNumber), lvSizeFor(input.sizeBytes));
    },

    /**
     * `drbdadm resize RES/VOL` once every diskful replica's LV grew: DRBD agrees the new size with
     * its connected peers (a repeat finds nothing to grow). Returns the device's usable size.
     */
    async resizeDrbdVolume(input: { resource: string; volumeNumber: number }): Promise<number | null> {
      await drbdResize(input.resource, { volume: input.volumeNumber });
      const dev = (await drbdStatus(input.resource))?.devices.find((d) => d.volume === input.volumeNumber);
      return dev?.sizeKiB === null || dev?.sizeKiB === undefined ? null : dev.sizeKiB * 1024;
    },
  };
}

export type ResizeNodeActivities = ReturnType<typeof createResizeNodeActivities>;
