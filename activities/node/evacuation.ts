// Node activities of evacuation, eviction and disk migration: how far a replica's resync is, from
// `drbdsetup status --json` on this host (host/drbd.ts). Read-only, so trivially idempotent.
import { isFullySynced } from './host/parse-drbd.js';
import { status } from './host/drbd.js';
import { removeLogicalVolume } from './host/lvm.js';
import { volumeLvName } from './resources.js';

export interface ResyncProgress {
  /** The resource is up here. */
  up: boolean;
  /** Every local disk and every diskful peer is UpToDate. */
  upToDate: boolean;
  /** Local disk states, by volume. */
  diskStates: string[];
  /** Lowest percent-in-sync over this host's volumes (as its SyncTarget peers report it), 0..100. */
  percentInSync: number;
  /** DRBD's own estimate of the seconds left, when it reports one. */
  etaSeconds: number | null;
}

export function createEvacuationNodeActivities(_deps: { node: string }) {
  return {
    /** One look at the resource's DRBD state on this host. */
    async resyncProgress(resource: string): Promise<ResyncProgress> {
      const s = await status(resource);
      if (!s) return { up: false, upToDate: false, diskStates: [], percentInSync: 0, etaSeconds: null };
      const upToDate = isFullySynced(s);
      const peers = s.connections.flatMap((c) => c.peerDevices);
      // while this host is SyncTarget, the peer device towards its source carries the progress
      const syncing = peers.filter((p) => /SyncTarget|PausedSyncT|WFBitMapT/.test(p.replicationState));
      const pct = syncing.map((p) => p.percentResyncDone ?? p.percentInSync ?? 0);
      const localInconsistent = s.devices.some((d) => d.diskState !== 'UpToDate' && d.diskState !== 'Diskless');
      const percentInSync = upToDate || !localInconsistent ? 100 : pct.length ? Math.min(...pct) : 0;
      const etas = syncing.map((p) => p.estimatedSecondsToFinish).filter((x): x is number => x !== null);
      return { up: true, upToDate, diskStates: s.devices.map((d) => d.diskState), percentInSync, etaSeconds: etas.length ? Math.max(...etas) : null };
    },

    /** toggle-disk to diskless: the LVs of a replica whose disk DRBD detached (absent = done). */
    async removeResourceVolumes(input: { resource: string; vg: string; volumeNumbers: number[] }): Promise<void> {
      for (const n of input.volumeNumbers) await removeLogicalVolume(input.vg, volumeLvName(input.resource, n));
    },
  };
}

export type EvacuationNodeActivities = ReturnType<typeof createEvacuationNodeActivities>;
