// The kernel side of the simulated DRBD: what drbdadm and drbdsetup ask of "the module" (bring a
// resource up/down, attach/detach, promote, connect, invalidate, new UUIDs). Each operation runs
// inside withWorld (all node locks of the resource held) and throws DrbdError with DRBD's wording.
import { loadState } from '../lvm/store.js';
import { NoSuchVolumeError, setLvOpen } from '../lvm/volume.js';
import { resyncRateOf } from './conf.js';
import type { ConfResource } from './conf.js';
import {
  configuredPeers,
  connectedPeers,
  defaultRate,
  diskStateOnAttach,
  DrbdError,
  newPeerRuntime,
  rotateUuid,
  setDiskState,
  withWorld,
} from './engine.js';
import type { World } from './engine.js';
import { loadDrbdState, mdKey, splitDevice, UUID_JUST_CREATED } from './state.js';
import type { MdRecord, ResRuntime, VolRuntime } from './state.js';

const HOLDER = (res: string, vol: string): string => `drbd:${res}/${vol}`;

/** The LV record behind /dev/vg/lv on a node, or null. */
function lvRecord(nodeDir: string, dev: string): { uuid: string; sizeBytes: number } | null {
  const s = splitDevice(dev);
  if (!s) return null;
  const lv = loadState(nodeDir).vgs[s.vg]?.lvs[s.lv];
  if (!lv || lv.kind !== 'thin') return null;
  return { uuid: lv.uuid, sizeBytes: lv.sizeBytes };
}

/** Marks the backing LV open (lvremove refuses it, lv_attr shows 'o') while DRBD has it attached. */
function setHolder(nodeDir: string, dev: string, holder: string, on: boolean): void {
  const s = splitDevice(dev);
  if (!s) return;
  try {
    setLvOpen(nodeDir, s.vg, s.lv, holder, on);
  } catch (e) {
    if (!(e instanceof NoSuchVolumeError)) throw e; // detaching from an LV that is gone
  }
}

export function hostOf(conf: ConfResource | null, self: string, res: string) {
  const h = conf?.hosts.find((x) => x.name === self);
  if (!conf || !h) throw new DrbdError(`'${res}' not defined in your config (for this host).`, 10);
  return h;
}

/** The md record of a device if it is valid (written to this very LV). */
export function validMd(w: World, node: string, dev: string): MdRecord | null {
  const view = w.node(node)!;
  const md = view.st.md[mdKey(dev)];
  const lv = lvRecord(view.dir, dev);
  if (!md || !lv || md.lvUuid !== lv.uuid) return null;
  return md;
}

function cmdFail(res: string, text: string, code: number, cmd: string): DrbdError {
  return new DrbdError(`${res}: ${text}\nCommand '${cmd}' terminated with exit code ${code}`, code);
}

// ---------------------------------------------------------------------------------------------

export interface CreateMdOptions {
  force: boolean;
  maxPeers?: number;
  volume?: number;
}

/** drbdadm create-md: writes fresh meta data (Inconsistent, UUID just-created) to each backing LV. */
export function createMd(nodeDir: string, res: string, conf: ConfResource | null, opts: CreateMdOptions): string {
  return withWorld(
    nodeDir,
    res,
    (w) => {
      const host = hostOf(conf, w.self, res);
      let out = '';
      const vols = host.volumes.filter((v) => opts.volume === undefined || v.volume === opts.volume);
      if (opts.volume !== undefined && vols.length === 0) throw new DrbdError(`${res}/${opts.volume}: volume not defined in your config (for this host).`, 10);
      for (const v of vols) {
        if (v.disk === null) continue;
        const cmd = `drbdmeta ${v.minor ?? 0} v09 ${v.disk} internal create-md ${opts.maxPeers ?? 7}`;
        const lv = lvRecord(nodeDir, v.disk);
        if (!lv) throw new DrbdError(`open(${v.disk}) failed: No such file or directory\nCommand '${cmd}' terminated with exit code 20`, 20);
        const rv = w.rt(w.self)?.volumes[String(v.volume)];
        if (rv && rv.disk === v.disk) throw new DrbdError(`Device '${v.minor}' is configured!\nCommand '${cmd}' terminated with exit code 20`, 20);
        const existing = validMd(w, w.self, v.disk);
        if (existing && !opts.force) {
          throw new DrbdError(
            `md_offset ${lv.sizeBytes - 4096}\nFound v09 meta data on ${v.disk}\nDo you really want to overwrite the existing meta-data?\nOperation canceled.\nCommand '${cmd}' terminated with exit code 1`,
            1,
          );
        }
        if (existing) out += '*** confirmation forced via --force option ***\n';
        w.selfView().st.md[mdKey(v.disk)] = {
          resource: res,
          volume: v.volume,
          nodeId: host.nodeId ?? 0,
          maxPeers: opts.maxPeers ?? 7,
          flags: 'inconsistent',
          current: UUID_JUST_CREATED,
          history: [],
          bitmaps: {},
          rotatedFor: [],
          lvUuid: lv.uuid,
        };
        const bmKiB = Math.max(4, Math.ceil(lv.sizeBytes / 4096 / 8 / 1024) * (opts.maxPeers ?? 7));
        out += `initializing activity log\ninitializing bitmap (${bmKiB} KB) to all zero\nWriting meta data...\nNew drbd meta data block successfully created.\n`;
      }
      return out;
    },
    { conf },
  );
}

function attachVolume(w: World, res: string, vol: string, minor: number, disk: string | null, hasDiskfulPeers: boolean): VolRuntime {
  if (disk === null) return { minor, disk: null, diskState: 'Diskless', sizeBytes: 0, readKiB: 0, writtenKiB: 0, alWrites: 0, bmWrites: 0 };
  const nodeDir = w.selfView().dir;
  const lv = lvRecord(nodeDir, disk);
  const attachCmd = `drbdsetup attach ${minor} ${disk} ${disk} internal`;
  if (!lv) throw cmdFail(`${res}/${vol}`, `Failure: (114) Lower device / meta device / index combination invalid.\nadditional info from kernel:\nopen(${disk}) failed: No such file or directory`, 10, attachCmd);
  const md = validMd(w, w.self, disk);
  if (!md) {
    throw new DrbdError(
      `No valid meta data found\n\n\t==> Use 'drbdadm create-md ${res}' to initialize meta-data area. <==\n\nCommand 'drbdmeta ${minor} v09 ${disk} internal apply-al' terminated with exit code 255`,
      255,
    );
  }
  setHolder(nodeDir, disk, HOLDER(res, vol), true);
  return { minor, disk, diskState: diskStateOnAttach(md, hasDiskfulPeers), sizeBytes: lv.sizeBytes, readKiB: 0, writtenKiB: 0, alWrites: 0, bmWrites: 0 };
}

function detachVolume(w: World, res: string, vol: string): void {
  const v = w.rt(w.self)?.volumes[vol];
  if (v?.disk) setHolder(w.selfView().dir, v.disk, HOLDER(res, vol), false);
}

function checkMinors(w: World, res: string, minors: number[]): void {
  for (const [name, r] of Object.entries(w.selfView().st.resources)) {
    if (name === res) continue;
    for (const v of Object.values(r.volumes)) {
      if (minors.includes(v.minor)) throw cmdFail(res, `Failure: (161) Minor or volume exists already (delete it first)`, 10, `drbdsetup new-minor ${res} ${v.minor} 0`);
    }
  }
}

function bringUp(w: World, res: string, conf: ConfResource): void {
  const host = hostOf(conf, w.self, res);
  checkMinors(
    w,
    res,
    host.volumes.map((v) => v.minor ?? -1),
  );
  const peers = configuredPeers(conf, w.self);
  const rt: ResRuntime = { nodeId: host.nodeId ?? 0, role: 'Secondary', volumes: {}, peers: {}, options: { ...(conf.groups.options ?? {}) } };
  const attachedDevs: [string, string][] = [];
  try {
    for (const v of host.volumes) {
      const vol = String(v.volume);
      const diskfulPeers = Object.values(peers).some((p) => p.diskful[vol]);
      rt.volumes[vol] = attachVolume(w, res, vol, v.minor ?? 0, v.disk, diskfulPeers);
      if (v.disk) attachedDevs.push([vol, v.disk]);
    }
  } catch (e) {
    for (const [vol, dev] of attachedDevs) setHolder(w.selfView().dir, dev, HOLDER(res, vol), false);
    throw e;
  }
  for (const [p, info] of Object.entries(peers)) rt.peers[p] = newPeerRuntime(info.nodeId, info.diskful);
  w.selfView().st.resources[res] = rt;
}

/** drbdadm up. */
export function up(nodeDir: string, res: string, conf: ConfResource | null): void {
  withWorld(
    nodeDir,
    res,
    (w) => {
      hostOf(conf, w.self, res);
      if (w.rt(w.self)) {
        throw cmdFail(res, 'Failure: (174) Already exists\nadditional info from kernel:\nresource exists', 10, `drbdsetup new-resource ${res} ${w.rt(w.self)!.nodeId}`);
      }
      bringUp(w, res, conf!);
    },
    { conf },
  );
}

/** drbdadm down / drbdsetup down: idempotent. */
export function down(nodeDir: string, res: string): void {
  withWorld(nodeDir, res, (w) => {
    const r = w.rt(w.self);
    if (!r) return;
    for (const vol of Object.keys(r.volumes)) detachVolume(w, res, vol);
    // resyncs towards this node stop; their remaining blocks stay in the sources' bitmaps
    for (const n of w.nodes.keys()) {
      const pr = w.rt(n)?.peers[w.self];
      if (pr) {
        pr.resync = {};
        pr.established = false;
      }
    }
    delete w.selfView().st.resources[res];
  });
}

/** drbdadm adjust: bring the running resource in line with the configuration (up if down). */
export function adjust(nodeDir: string, res: string, conf: ConfResource | null, opts: { discardMyData?: boolean; skipNet?: boolean; skipDisk?: boolean } = {}): void {
  withWorld(
    nodeDir,
    res,
    (w) => {
      const host = hostOf(conf, w.self, res);
      const r = w.rt(w.self);
      if (!r) {
        bringUp(w, res, conf!);
        if (opts.discardMyData) discard(w);
        return;
      }
      const peers = configuredPeers(conf!, w.self);
      if (!opts.skipNet) {
        for (const p of Object.keys(r.peers)) if (!peers[p]) delete r.peers[p];
        for (const [p, info] of Object.entries(peers)) {
          const cur = r.peers[p];
          if (!cur) r.peers[p] = newPeerRuntime(info.nodeId, info.diskful);
          else {
            cur.nodeId = info.nodeId;
            cur.diskful = info.diskful;
            cur.adminDisconnected = false;
          }
        }
      }
      r.options = { ...(conf!.groups.options ?? {}) };
      if (!opts.skipDisk) {
        const wanted = new Map(host.volumes.map((v) => [String(v.volume), v]));
        for (const vol of Object.keys(r.volumes)) {
          if (!wanted.has(vol)) {
            detachVolume(w, res, vol);
            delete r.volumes[vol];
          }
        }
        checkMinors(
          w,
          res,
          host.volumes.map((v) => v.minor ?? -1),
        );
        for (const [vol, v] of wanted) {
          const cur = r.volumes[vol];
          const diskfulPeers = Object.values(r.peers).some((p) => p.diskful[vol]);
          if (!cur) {
            r.volumes[vol] = attachVolume(w, res, vol, v.minor ?? 0, v.disk, diskfulPeers);
          } else if (cur.disk !== v.disk) {
            detachVolume(w, res, vol);
            r.volumes[vol] = { ...attachVolume(w, res, vol, v.minor ?? 0, v.disk, diskfulPeers), readKiB: cur.readKiB, writtenKiB: cur.writtenKiB };
          } else if (cur.disk !== null && cur.diskState === 'Diskless') {
            r.volumes[vol] = attachVolume(w, res, vol, v.minor ?? 0, v.disk, diskfulPeers);
          }
        }
      }
      // running resyncs follow a changed rate
      for (const [p, pr] of Object.entries(r.peers)) {
        for (const job of Object.values(pr.resync)) {
          const rate = conf ? rateOfConf(conf, w.self, p) : null;
          if (rate) job.rateBytesPerSec = rate;
        }
      }
      if (opts.discardMyData) discard(w);
    },
    { conf },
  );
}

function rateOfConf(conf: ConfResource, self: string, peer: string): number {
  return resyncRateOf(conf, self, peer) ?? defaultRate();
}

/** --discard-my-data after a split brain: this node's data becomes a full sync target. */
function discard(w: World): void {
  const r = w.rt(w.self)!;
  for (const [p, pr] of Object.entries(r.peers)) {
    if (!pr.splitBrain) continue;
    pr.splitBrain = false;
    const back = w.rt(p)?.peers[w.self];
    if (back) back.splitBrain = false;
  }
  for (const vol of Object.keys(r.volumes)) invalidateVolume(w, vol);
}

function invalidateVolume(w: World, vol: string): void {
  const md = w.mdOf(w.self, vol);
  if (!md) return;
  md.current = UUID_JUST_CREATED;
  md.history = [];
  md.bitmaps = {};
  md.rotatedFor = [];
  delete md.syncingFrom;
  setDiskState(w, w.self, vol, 'Inconsistent');
}

function requireUp(w: World, res: string, cmd: string): ResRuntime {
  const r = w.rt(w.self);
  if (!r) throw cmdFail(res, 'Failure: (158) Unknown resource', 10, cmd);
  return r;
}

function hasUpToDateAccess(w: World, r: ResRuntime): boolean {
  return Object.keys(r.volumes).every((vol) => {
    const v = r.volumes[vol]!;
    if (v.disk !== null && v.diskState === 'UpToDate') return true;
    return connectedPeers(w, w.self).some((p) => {
      const pv = w.rt(p)?.volumes[vol];
      return pv && pv.disk !== null && pv.diskState === 'UpToDate';
    });
  });
}

/** drbdadm primary [--force]. */
export function primary(nodeDir: string, res: string, force: boolean): void {
  withWorld(nodeDir, res, (w) => {
    const cmd = `drbdsetup primary ${res}${force ? ' --force' : ''}`;
    const r = requireUp(w, res, cmd);
    if (r.role === 'Primary') return;
    const conf = w.conf;
    const twoPrimaries = (conf?.groups.net?.['allow-two-primaries'] ?? 'no') === 'yes';
    if (!twoPrimaries && connectedPeers(w, w.self).some((p) => w.rt(p)?.role === 'Primary')) {
      throw cmdFail(res, 'State change failed: (-1) Multiple primaries not allowed by config', 11, cmd);
    }
    if (!hasUpToDateAccess(w, r)) {
      if (!force) throw cmdFail(res, 'State change failed: (-2) Need access to UpToDate data', 17, cmd);
      for (const vol of Object.keys(r.volumes)) {
        const v = r.volumes[vol]!;
        if (v.disk !== null && v.diskState === 'UpToDate') continue;
        const md = w.mdOf(w.self, vol);
        if (!md || v.diskState === 'Diskless') throw cmdFail(res, 'State change failed: (-2) Need access to UpToDate data', 17, cmd);
        rotateUuid([md]);
        md.bitmaps = {};
        md.rotatedFor = [];
        delete md.syncingFrom;
        // a resync towards this node is moot now
        for (const n of w.nodes.keys()) {
          const pr = w.rt(n)?.peers[w.self];
          if (pr) delete pr.resync[vol];
        }
        setDiskState(w, w.self, vol, 'UpToDate');
      }
    }
    r.role = 'Primary';
  });
}

/** drbdadm secondary. */
export function secondary(nodeDir: string, res: string): void {
  withWorld(nodeDir, res, (w) => {
    const r = requireUp(w, res, `drbdsetup secondary ${res}`);
    r.role = 'Secondary';
  });
}

/** drbdadm disconnect RES[:PEER]. */
export function disconnect(nodeDir: string, res: string, peer?: string): void {
  withWorld(nodeDir, res, (w) => {
    const r = requireUp(w, res, `drbdsetup disconnect ${res}`);
    const names = peer ? [peer] : Object.keys(r.peers);
    for (const p of names) {
      const pr = r.peers[p];
      if (!pr) throw cmdFail(res, `Failure: (158) Unknown connection ${p}`, 10, `drbdsetup disconnect ${res} ${p}`);
      pr.adminDisconnected = true;
    }
  });
}

/** drbdadm connect RES[:PEER] [--discard-my-data]. */
export function connect(nodeDir: string, res: string, peer: string | undefined, discardMyData: boolean): void {
  withWorld(nodeDir, res, (w) => {
    const r = requireUp(w, res, `drbdsetup connect ${res}`);
    const names = peer ? [peer] : Object.keys(r.peers);
    for (const p of names) {
      const pr = r.peers[p];
      if (!pr) throw cmdFail(res, `Failure: (158) Unknown connection ${p}`, 10, `drbdsetup connect ${res} ${p}`);
      pr.adminDisconnected = false;
    }
    if (discardMyData) discard(w);
  });
}

/** drbdadm invalidate RES[/VOL]: this disk becomes Inconsistent and fully resyncs from a peer. */
export function invalidate(nodeDir: string, res: string, volume?: number): void {
  withWorld(nodeDir, res, (w) => {
    const r = requireUp(w, res, `drbdsetup invalidate ${res}`);
    const vols = Object.keys(r.volumes).filter((v) => volume === undefined || Number(v) === volume);
    for (const vol of vols) {
      const v = r.volumes[vol]!;
      const cmd = `drbdsetup invalidate ${v.minor}`;
      if (v.disk === null || v.diskState === 'Diskless') throw cmdFail(`${res}/${vol}`, 'State change failed: (-14) Can not resync without local disk', 11, cmd);
      const source = connectedPeers(w, w.self).some((p) => {
        const pv = w.rt(p)?.volumes[vol];
        return pv && pv.disk !== null && pv.diskState === 'UpToDate';
      });
      if (!source) throw cmdFail(`${res}/${vol}`, 'State change failed: (-15) Need a connection to start verify or resync', 11, cmd);
      if (r.role === 'Primary') throw cmdFail(`${res}/${vol}`, 'State change failed: (-2) Need access to UpToDate data', 17, cmd);
      invalidateVolume(w, vol);
    }
  });
}

/**
 * drbdadm new-current-uuid [--clear-bitmap] RES[/VOL]. With --clear-bitmap on fresh meta data this
 * is how LINSTOR (and the DRBD user's guide) skip the initial sync of new thin volumes: this node
 * and every connected peer with the same (just-created) generation become UpToDate together.
 */
export function newCurrentUuid(nodeDir: string, res: string, volume: number | undefined, clearBitmap: boolean): void {
  withWorld(nodeDir, res, (w) => {
    const r = requireUp(w, res, `drbdsetup new-current-uuid ${res}`);
    const vols = Object.keys(r.volumes).filter((v) => volume === undefined || Number(v) === volume);
    for (const vol of vols) {
      const v = r.volumes[vol]!;
      const md = w.mdOf(w.self, vol);
      if (!md || v.disk === null || v.diskState === 'Diskless') {
        throw cmdFail(`${res}/${vol}`, 'Failure: (138) Device does not have a disk-config', 10, `drbdsetup new-current-uuid ${v.minor}`);
      }
      const old = md.current;
      const same = connectedPeers(w, w.self).filter((p) => {
        const pmd = w.mdOf(p, vol);
        const pv = w.rt(p)?.volumes[vol];
        return pmd && pv && pv.disk !== null && pv.diskState !== 'Diskless' && pmd.current === old && !w.rt(w.self)!.peers[p]?.resync[vol] && !w.rt(p)?.peers[w.self]?.resync[vol];
      });
      const mds = [md, ...same.map((p) => w.mdOf(p, vol)!)];
      if (clearBitmap) {
        rotateUuid(mds);
        for (const m of mds) {
          m.bitmaps = {};
          m.rotatedFor = [];
          delete m.syncingFrom;
        }
        const group = [w.self, ...same];
        for (const n of group) {
          const m = w.mdOf(n, vol)!;
          for (const o of group) if (o !== n) m.bitmaps[o] = [];
          setDiskState(w, n, vol, 'UpToDate');
        }
      } else if (v.diskState === 'UpToDate') {
        rotateUuid(mds);
      }
    }
  });
}

/** drbdadm outdate: marks this (Secondary) disk Outdated. */
export function outdate(nodeDir: string, res: string): void {
  withWorld(nodeDir, res, (w) => {
    const r = requireUp(w, res, `drbdsetup outdate ${res}`);
    for (const vol of Object.keys(r.volumes)) {
      const v = r.volumes[vol]!;
      if (r.role === 'Primary') throw cmdFail(res, 'State change failed: (-7) Refusing to be Outdated while Connected', 11, `drbdsetup outdate ${v.minor}`);
      if (v.disk !== null && (v.diskState === 'UpToDate' || v.diskState === 'Consistent')) setDiskState(w, w.self, vol, 'Outdated');
    }
  });
}

/** drbdadm suspend-io RES: new I/O to the resource's devices blocks until resume-io. */
export function suspendIo(nodeDir: string, res: string): void {
  withWorld(nodeDir, res, (w) => {
    const r = requireUp(w, res, `drbdsetup suspend-io ${res}`);
    r.suspendedUser = true;
  });
}

/** drbdadm resume-io RES: the blocked I/O goes on. */
export function resumeIo(nodeDir: string, res: string): void {
  withWorld(nodeDir, res, (w) => {
    const r = requireUp(w, res, `drbdsetup resume-io ${res}`);
    delete r.suspendedUser;
  });
}

/** drbdadm resize RES[/VOL]: the device grows to the smallest backing LV among connected disks. */
export function resize(nodeDir: string, res: string, volume?: number): void {
  withWorld(nodeDir, res, (w) => {
    const r = requireUp(w, res, `drbdsetup resize ${res}`);
    for (const vol of Object.keys(r.volumes).filter((v) => volume === undefined || Number(v) === volume)) {
      const nodes = [w.self, ...connectedPeers(w, w.self)];
      let size = Infinity;
      for (const n of nodes) {
        const v = w.rt(n)?.volumes[vol];
        if (!v || v.disk === null) continue;
        const lv = lvRecord(w.node(n)!.dir, v.disk);
        if (lv) size = Math.min(size, lv.sizeBytes);
      }
      if (!Number.isFinite(size)) continue;
      for (const n of nodes) {
        const v = w.rt(n)?.volumes[vol];
        if (v) v.sizeBytes = size;
      }
    }
  });
}

/** Finds the resource and volume of a minor among this node's up resources. */
export function byMinor(nodeDir: string, minor: number): { res: string; vol: number } | null {
  const st = loadDrbdState(nodeDir);
  for (const [res, r] of Object.entries(st.resources)) {
    for (const [vol, v] of Object.entries(r.volumes)) if (v.minor === minor) return { res, vol: Number(vol) };
  }
  return null;
}

