// Node activities of a resource: apply the controller's layout to this host, check-then-act so a
// retry after a crash converges. Thin LVs through host/lvm.ts; DRBD through host/drbd.ts (the
// .res file, create-md, adjust, new-current-uuid, down, status).
import { Context } from '@temporalio/activity';
import { lvDevicePath, type DrbdResourceConfig } from '../../core/drbd-config.js';
import type { ResourceLayout } from '../controller/resources.js';
import * as drbd from './host/drbd.js';
import { ensureThinVolume, getLogicalVolume, removeLogicalVolume } from './host/lvm.js';
import { isFullySynced, type DrbdResourceStatus } from './host/parse-drbd.js';
import { allocatedBytes } from '../../core/host-usage.js';

/** The thin LV of a volume: `<rsc>_<vlmNr:05d>`, as LINSTOR names it. */
export function volumeLvName(resource: string, volumeNumber: number): string {
  return `${resource}_${String(volumeNumber).padStart(5, '0')}`;
}

/** DRBD's internal meta data at the end of the LV: activity log + bitmaps for 7 peers, rounded to 4 MiB. */
export function lvSizeFor(usableBytes: number, maxPeers = 7): number {
  const bitmap = Math.ceil(usableBytes / 4096 / 8) * maxPeers;
  const md = 4 * 1024 * 1024 + bitmap;
  const mib4 = 4 * 1024 * 1024;
  return Math.ceil((usableBytes + md) / mib4) * mib4;
}

export interface VolumeReport {
  volumeNumber: number;
  backingDisk: string | null;
  allocatedBytes: number | null;
  diskState: string;
  inUse: boolean;
}

function drbdConfig(layout: ResourceLayout): DrbdResourceConfig {
  return {
    name: layout.resource,
    port: layout.port,
    nodes: layout.nodes.map((n) => ({
      name: n.node,
      nodeId: n.nodeId,
      address: n.address,
      volumes: layout.volumes.map((v) => ({
        volume: v.volumeNumber,
        minor: v.minor,
        disk: n.diskless || !n.vg ? null : lvDevicePath(n.vg, volumeLvName(layout.resource, v.volumeNumber)),
      })),
    })),
    options: { ...layout.options, net: { ...layout.options?.net, 'cram-hmac-alg': 'sha1', 'shared-secret': layout.secret } },
  };
}

/** `drbdsetup status --json`; null when the resource is not up on this host. */
function drbdStatus(resource: string): Promise<DrbdResourceStatus | null> {
  return drbd.status(resource, { timeoutMs: 30_000 });
}

/**
 * Poll intervals: 50 ms doubling to `maxMs`, so a state reached quickly is seen quickly and a long
 * wait (peers still being configured, many creates at once) does not ask the host twice a second.
 */
function backoff(maxMs = 500): { next(): number } {
  let ms = 50;
  return {
    next() {
      const now = ms;
      ms = Math.min(ms * 2, maxMs);
      return now;
    },
  };
}

export function createResourceNodeActivities(deps: { node: string }) {
  const self = (layout: ResourceLayout) => {
    const me = layout.nodes.find((n) => n.node === deps.node);
    if (!me) throw new Error(`node '${deps.node}' is not part of resource '${layout.resource}'`);
    return me;
  };

  /** Polls `drbdsetup status --json` until every local disk and diskful peer is UpToDate (heartbeating); returns that status. */
  const waitFullySynced = async (resource: string): Promise<DrbdResourceStatus> => {
    const poll = backoff(1000);
    for (;;) {
      const s = await drbdStatus(resource);
      if (s && isFullySynced(s)) return s;
      const done = s?.connections.flatMap((c) => c.peerDevices.map((p) => p.percentInSync ?? 0)) ?? [];
      Context.current().heartbeat({ diskStates: s?.devices.map((d) => d.diskState) ?? [], percentInSync: done });
      await Context.current().sleep(poll.next());
    }
  };

  /** The replica's volumes as `status` (this host's DRBD state, null when down) and its LVs show them. */
  const reportVolumes = async (layout: ResourceLayout, s: DrbdResourceStatus | null): Promise<VolumeReport[]> => {
    const me = self(layout);
    const out: VolumeReport[] = [];
    for (const v of layout.volumes) {
      const dev = s?.devices.find((d) => d.volume === v.volumeNumber);
      let allocated: number | null = null;
      let backing: string | null = null;
      if (!me.diskless && me.vg) {
        const lv = await getLogicalVolume(me.vg, volumeLvName(layout.resource, v.volumeNumber));
        if (lv) {
          backing = lvDevicePath(me.vg, lv.name);
          allocated = allocatedBytes(lv.sizeBytes, lv.dataPercent);
        }
      }
      out.push({ volumeNumber: v.volumeNumber, backingDisk: backing, allocatedBytes: allocated, diskState: dev?.diskState ?? 'Unknown', inUse: s?.role === 'Primary' });
    }
    return out;
  };

  const activities = {
    /**
     * Everything this host does to take its part of a layout, in one activity (as a LINSTOR
     * satellite applies a resource): for a replica new here its thin LVs and meta data, then the
     * .res and `drbdadm adjust`. Each step is check-then-act, so a retry converges.
     */
    async applyResource(input: { layout: ResourceLayout; isNew: boolean }): Promise<void> {
      if (input.isNew) await activities.ensureResourceVolumes(input.layout);
      await activities.writeDrbdResourceFile(input.layout);
      if (input.isNew) await activities.createDrbdMetadata(input.layout);
      await activities.adjustDrbd(input.layout.resource);
    },

    /**
     * resource-create's whole part on this host in one activity: applyResource; on the one node
     * the controller names, skipInitialSync once its diskful peers are connected; then
     * settleResource. The nodes' activities run at once, each on its own host, so the skip waits
     * for the peers' own applyResource as it did as a step of its own. Every step converges on retry.
     */
    async deployReplica(input: { layout: ResourceLayout; isNew: boolean; skipInitialSync?: { diskfulPeers: number } }): Promise<VolumeReport[]> {
      await activities.applyResource(input);
      if (input.skipInitialSync) await activities.skipInitialSync({ resource: input.layout.resource, diskfulPeers: input.skipInitialSync.diskfulPeers });
      return activities.settleResource(input.layout);
    },

    /** waitUpToDate, then reportResourceVolumes (from the status of the last look): what to record once this replica is in sync. */
    async settleResource(layout: ResourceLayout): Promise<VolumeReport[]> {
      return reportVolumes(layout, await waitFullySynced(layout.resource));
    },

    /** Thin LVs of this node's volumes (idempotent: an LV of the right pool and size is success). */
    async ensureResourceVolumes(layout: ResourceLayout): Promise<void> {
      const me = self(layout);
      if (me.diskless || !me.vg || !me.thinPool) return;
      for (const v of layout.volumes) {
        await ensureThinVolume({ vg: me.vg, pool: me.thinPool, name: volumeLvName(layout.resource, v.volumeNumber), sizeBytes: lvSizeFor(v.sizeBytes) });
      }
    },

    /** Writes `<rsc>.res` (atomically, only when it changed). */
    async writeDrbdResourceFile(layout: ResourceLayout): Promise<boolean> {
      self(layout);
      return drbd.writeResourceFile(drbdConfig(layout));
    },

    /** `drbdadm create-md` unless valid meta data exists already (then drbdadm refuses without --force: success). */
    async createDrbdMetadata(layout: ResourceLayout): Promise<void> {
      const me = self(layout);
      if (me.diskless) return;
      const status = await drbdStatus(layout.resource);
      if (status && status.devices.every((d) => d.diskState !== 'Diskless')) return; // attached: meta data exists
      // valid meta data already there (a retry) counts as done
      await drbd.createMetadata(layout.resource, { maxPeers: 7, timeoutMs: 60_000 });
    },

    /** `drbdadm adjust`: brings the resource up and in line with the .res. */
    async adjustDrbd(resource: string): Promise<void> {
      await drbd.adjust(resource, { timeoutMs: 60_000 });
    },

    /**
     * Skips the initial sync of new thin volumes, as LINSTOR does: `new-current-uuid --clear-bitmap`
     * on one node once it sees its diskful peers connected. Does nothing when a disk is past
     * Inconsistent already (a retry, or a resource that synced). Heartbeats while it waits.
     */
    async skipInitialSync(input: { resource: string; diskfulPeers: number }): Promise<'cleared' | 'not-needed'> {
      const poll = backoff(1000);
      for (;;) {
        const s = await drbdStatus(input.resource);
        if (s && s.devices.some((d) => d.diskState !== 'Inconsistent')) return 'not-needed';
        const connected = s ? s.connections.filter((c) => c.connectionState === 'Connected' && c.peerDevices.every((p) => p.peerDiskState === 'Inconsistent')).length : 0;
        if (s && connected >= input.diskfulPeers) break;
        Context.current().heartbeat({ connected });
        await Context.current().sleep(poll.next());
      }
      await drbd.skipInitialSync(input.resource, { timeoutMs: 60_000 });
      return 'cleared';
    },

    /** Polls `drbdsetup status --json` until every local disk and diskful peer is UpToDate; heartbeats progress. */
    async waitUpToDate(resource: string): Promise<void> {
      await waitFullySynced(resource);
    },

    /** What this host has of the resource: backing LV, allocation, disk state, in use. */
    async reportResourceVolumes(layout: ResourceLayout): Promise<VolumeReport[]> {
      return reportVolumes(layout, await drbdStatus(layout.resource));
    },
    /** `drbdadm down`, remove the .res, remove the LVs. Each step skipped when already done. */
    async removeResourceFromHost(input: { resource: string; vg: string | null; volumeNumbers: number[] }): Promise<void> {
      await drbd.down(input.resource, { timeoutMs: 60_000 });
      await drbd.removeResourceFile(input.resource);
      if (input.vg) for (const n of input.volumeNumbers) await removeLogicalVolume(input.vg, volumeLvName(input.resource, n));
    },
  };
  return activities;
}

export type ResourceNodeActivities = ReturnType<typeof createResourceNodeActivities>;
