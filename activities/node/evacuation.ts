// Node activities of evacuation, eviction and disk migration: how far a replica's resync is, from
// `drbdsetup status --json` on this host (host/drbd.ts). Read-only, so trivially idempotent.
import { Context } from '@temporalio/activity';
import { nextResyncLookMs } from '../../core/resync.js';
import { isFullySynced } from './host/parse-drbd.js';
import { down, listResourceFiles, removeResourceFile, status } from './host/drbd.js';
import { listLogicalVolumes, removeLogicalVolume } from './host/lvm.js';
import { createResourceNodeActivities, volumeLvName, type VolumeReport } from './resources.js';
import type { ResourceLayout } from '../controller/resources.js';

const RESOURCE_NAME = /^[A-Za-z_][A-Za-z0-9_-]{0,47}$/;

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
  /** With `report`: once UpToDate, what reportResourceVolumes says of the replica (to record). */
  volumes?: VolumeReport[];
}

/** One look at the resource's DRBD state on this host. */
async function lookOnce(resource: string): Promise<ResyncProgress> {
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
}

export function createEvacuationNodeActivities(deps: { node: string }) {
  const resources = createResourceNodeActivities(deps);
  return {
    /**
     * The resource's DRBD state on this host; with `waitMs`, looks again (heartbeating, see
     * nextResyncLookMs) until it is UpToDate or `waitMs` passed, so the workflow learns of the end of a
     * resync soon after without a timer and an activity per look. With `report` (the resource's
     * layout), an UpToDate answer carries the replica's volumes as reportResourceVolumes gives them.
     */
    async resyncProgress(resource: string, opts: { waitMs?: number; report?: ResourceLayout } = {}): Promise<ResyncProgress> {
      const until = Date.now() + Math.max(0, Math.min(opts.waitMs ?? 0, 20_000));
      let prev: { at: number; pct: number } | null = null;
      for (;;) {
        const p = await lookOnce(resource);
        if (p.upToDate && opts.report) return { ...p, volumes: await resources.reportResourceVolumes(opts.report) };
        const at = Date.now();
        if (p.upToDate || at >= until) return p;
        Context.current().heartbeat({ percentInSync: p.percentInSync });
        await Context.current().sleep(Math.min(nextResyncLookMs(prev, { at, pct: p.percentInSync }), Math.max(until - at, 20)));
        prev = { at, pct: p.percentInSync };
      }
    },

    /**
     * `node restore` of an EVICTED node: the resources the cluster moved away while it was gone
     * are taken down here and their .res and LVs (volumes and snapshots) removed. `candidates`
     * are the names the controller knows (resources moved away, every resource definition); any
     * other `.res` on this host is a candidate too (a resource deleted meanwhile). Nothing of a
     * `keep` resource (still placed here) is touched. Absent = done, so a retry converges.
     */
    async removeStaleResources(input: { keep: string[]; candidates: string[] }): Promise<{ resources: string[]; lvs: string[] }> {
      const keep = new Set(input.keep);
      // ferry's names only (LINSTOR's rule), so a name is a plain regex prefix
      const names = [...new Set([...input.candidates, ...(await listResourceFiles())])].filter((r) => !keep.has(r) && RESOURCE_NAME.test(r)).sort();
      const lvPattern = (r: string) => new RegExp(`^${r}_\\d{5}(_.+)?$`);
      const kept = [...keep].map(lvPattern);
      const lvs = await listLogicalVolumes();
      const removedLvs: string[] = [];
      const removed: string[] = [];
      for (const r of names) {
        const mine = lvPattern(r);
        const victims = lvs.filter((lv) => mine.test(lv.name) && !kept.some((k) => k.test(lv.name)));
        const hadRes = (await listResourceFiles()).includes(r);
        if (!hadRes && victims.length === 0) continue;
        await down(r, { timeoutMs: 60_000 });
        await removeResourceFile(r);
        // snapshots (`<rsc>_<vol>_<snap>`) before their volumes
        for (const lv of victims.sort((a, b) => b.name.length - a.name.length)) {
          await removeLogicalVolume(lv.vg, lv.name);
          removedLvs.push(`${lv.vg}/${lv.name}`);
        }
        removed.push(r);
      }
      return { resources: removed, lvs: removedLvs };
    },

    /** toggle-disk to diskless: the LVs of a replica whose disk DRBD detached (absent = done). */
    async removeResourceVolumes(input: { resource: string; vg: string; volumeNumbers: number[] }): Promise<void> {
      for (const n of input.volumeNumbers) await removeLogicalVolume(input.vg, volumeLvName(input.resource, n));
    },
  };
}

export type EvacuationNodeActivities = ReturnType<typeof createEvacuationNodeActivities>;
