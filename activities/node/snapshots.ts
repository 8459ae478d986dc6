// Node activities of snapshots: thin snapshots of a resource's LVs, I/O suspension around them,
// rollback of the LVs to a snapshot and new LVs from a snapshot (restore). Every activity is
// check-then-act on the host's state, so a retry after a crash converges.
//
// Snapshot LVs are named as LINSTOR's LVM-thin provider names them: `<rsc>_<vlmNr:05d>_<snap>`.
// They keep lvm2's activation skip flag but are activated (thin_send of a backup needs that).
import { Context } from '@temporalio/activity';
import { ConflictError, NotFoundError } from '../../core/errors.js';
import { down, isUnknownCommandError, resumeIo, status, suspendIo } from './host/drbd.js';
import { addTags, ensureThinSnapshot, getLogicalVolume, removeLogicalVolume, setActivationSkip } from './host/lvm.js';

/** `<rsc>_<vlmNr:05d>_<snap>`. */
export function snapshotLvName(resource: string, volumeNumber: number, snapshot: string): string {
  return `${resource}_${String(volumeNumber).padStart(5, '0')}_${snapshot}`;
}

export interface SnapshotVolumeRef {
  vlmNr: number;
  vg: string;
  /** The resource's LV of this volume (the snapshot's origin), e.g. `db0_00000`. */
  lv: string;
}

export interface CreateSnapshotInput {
  resource: string;
  snapshot: string;
  volumes: SnapshotVolumeRef[];
}

export interface SnapshotLv {
  vlmNr: number;
  vg: string;
  lv: string;
  created: boolean;
}

export interface DeleteSnapshotInput {
  resource: string;
  snapshot: string;
  volumes: { vlmNr: number; vg: string }[];
}

/** Volumes whose LV is replaced by (rollback) or created as (restore) a thin snapshot of a snapshot LV. */
export interface LvFromSnapshotInput {
  /** Unique per operation (the workflow run): an LV tagged with it is already done. */
  token: string;
  volumes: { vg: string; snapshotLv: string; lv: string }[];
}

/** Heartbeats when running as an activity (the functions are also called directly in tests). */
function beat(details: unknown): void {
  let ctx: Context | undefined;
  try {
    ctx = Context.current();
  } catch {
    return;
  }
  ctx.heartbeat(details);
}

/** lvm2 tags allow these characters only. */
function tokenTag(token: string): string {
  return `ferry-from-snapshot=${token.replace(/[^A-Za-z0-9_+.\-/=!:&#]/g, '_')}`.slice(0, 1024);
}

export function createSnapshotNodeActivities(deps: { node: string }) {
  return {
    /**
     * Thin snapshot of every volume's LV (`lvcreate -s`). Idempotent: a snapshot LV of that name
     * and origin is success; an LV of that name that is not a snapshot of the origin is a ConflictError.
     */
    async createSnapshot(input: CreateSnapshotInput): Promise<SnapshotLv[]> {
      const out: SnapshotLv[] = [];
      for (const v of input.volumes) {
        const name = snapshotLvName(input.resource, v.vlmNr, input.snapshot);
        const origin = await getLogicalVolume(v.vg, v.lv);
        const existing = await getLogicalVolume(v.vg, name);
        if (!origin && !existing) throw new NotFoundError('volume', `${v.vg}/${v.lv}`, `logical volume ${v.vg}/${v.lv} of resource '${input.resource}' not found on ${deps.node}`);
        const r = await ensureThinSnapshot({ vg: v.vg, origin: v.lv, name, tags: [`ferry-snapshot=${input.snapshot}`] });
        out.push({ vlmNr: v.vlmNr, vg: v.vg, lv: name, created: r.created });
        beat({ done: out.length, of: input.volumes.length });
      }
      return out;
    },

    /** Removes the snapshot LVs of every volume; absent ones count as removed. Returns those removed now. */
    async deleteSnapshot(input: DeleteSnapshotInput): Promise<string[]> {
      const removed: string[] = [];
      for (const v of input.volumes) {
        const name = snapshotLvName(input.resource, v.vlmNr, input.snapshot);
        if (await removeLogicalVolume(v.vg, name)) removed.push(`${v.vg}/${name}`);
      }
      return removed;
    },

    /**
     * `drbdadm suspend-io`. Returns false when the resource is not up here (nothing to suspend) or
     * when this host's drbdadm has no suspend-io (then the snapshot is only crash-consistent per
     * replica; the caller records that).
     */
    async suspendResourceIo(resource: string): Promise<{ suspended: boolean; reason?: string }> {
      if (!(await status(resource))) return { suspended: false, reason: 'not up on this node' };
      try {
        await suspendIo(resource);
        return { suspended: true };
      } catch (e) {
        if (isUnknownCommandError(e)) return { suspended: false, reason: `drbdadm on ${deps.node} has no suspend-io` };
        throw e;
      }
    },

    /** `drbdadm resume-io`; not up / no such command = nothing suspended = success. */
    async resumeResourceIo(resource: string): Promise<void> {
      if (!(await status(resource))) return;
      try {
        await resumeIo(resource);
      } catch (e) {
        if (isUnknownCommandError(e)) return;
        throw e;
      }
    },

    /** Refuses (ConflictError) when the resource is Primary here: it is in use. */
    async assertResourceUnused(resource: string): Promise<void> {
      const s = await status(resource);
      if (s && s.role === 'Primary') throw new ConflictError('resource', resource, 'in-use', `resource '${resource}' is in use (Primary) on ${deps.node}; make it Secondary (unmount, stop its users) first`);
    },

    /** `drbdadm down` (not up = success). */
    async downResource(resource: string): Promise<void> {
      await down(resource);
    },

    /**
     * Makes each `lv` a writable thin snapshot of `snapshotLv` (rollback: the old LV is removed
     * first; restore: it does not exist yet). The resource must be down here. An LV tagged with
     * this operation's token is already done.
     */
    async replaceLvsFromSnapshot(input: LvFromSnapshotInput): Promise<void> {
      const tag = tokenTag(input.token);
      for (const v of input.volumes) {
        const snap = await getLogicalVolume(v.vg, v.snapshotLv);
        const cur = await getLogicalVolume(v.vg, v.lv);
        if (cur && cur.tags.includes(tag)) continue;
        if (!snap) throw new NotFoundError('volume', `${v.vg}/${v.snapshotLv}`, `snapshot LV ${v.vg}/${v.snapshotLv} not found on ${deps.node}`);
        if (cur) await removeLogicalVolume(v.vg, v.lv);
        await ensureThinSnapshot({ vg: v.vg, origin: v.snapshotLv, name: v.lv, activate: true });
        // a normal volume again: activated with the VG, no activation skip
        await setActivationSkip(v.vg, v.lv, false);
        await addTags(v.vg, v.lv, [tag]);
        beat({ lv: v.lv });
      }
    },
  };
}

export type SnapshotNodeActivities = ReturnType<typeof createSnapshotNodeActivities>;
