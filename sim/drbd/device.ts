// The simulated /dev/drbd<minor>: reads and writes through DRBD, as an application on the node sees
// them. Writes go to the local backing LV (when attached) and to every connected peer with an
// attached disk before returning (protocol C); for every diskful peer that is not reachable the
// written replicas mark the blocks out of sync (and start a new data generation once per absence).
// Reads come from the local disk when it is UpToDate, else (diskless node, or SyncTarget for blocks
// not yet resynced) from a connected UpToDate peer.
//
// Opening for writing follows DRBD 9's auto-promote: allowed on the Primary, or on a Secondary
// while no connected peer is Primary; else the open fails with EMEDIUMTYPE like the real device.
import { sleepSync } from '../sync-io.js';
import { openThinVolume } from '../lvm/volume.js';
import { simNodeDir } from '../paths.js';
import { BM_BLOCK_BYTES, splitDevice } from './state.js';
import type { MdRecord } from './state.js';
import { connectedPeers, DrbdError, jobBetween, rotateUuid, withWorld } from './engine.js';
import type { World } from './engine.js';

export interface DrbdDevice {
  readonly resource: string;
  readonly volume: number;
  readonly minor: number;
  readonly sizeBytes: number;
  read(offset: number, length: number): Buffer;
  write(offset: number, data: Buffer): void;
  close(): void;
}

export class DrbdIoError extends DrbdError {}

function lvOf(w: World, node: string, dev: string) {
  const s = splitDevice(dev)!;
  return openThinVolume(w.node(node)!.dir, s.vg, s.lv);
}

function checkUp(w: World, vol: string): void {
  const r = w.rt(w.self);
  if (!r) throw new DrbdIoError(`${w.res}: No such resource (not up on ${w.self})`, 10);
  if (!r.volumes[vol]) throw new DrbdIoError(`${w.res}/${vol}: no such volume`, 10);
}

function blocksOf(offset: number, length: number): number[] {
  if (length <= 0) return [];
  const out: number[] = [];
  for (let b = Math.floor(offset / BM_BLOCK_BYTES); b <= Math.floor((offset + length - 1) / BM_BLOCK_BYTES); b++) out.push(b);
  return out;
}

function mergeSorted(into: number[] | undefined, add: number[]): number[] {
  const s = new Set(into ?? []);
  for (const b of add) s.add(b);
  return [...s].sort((a, b) => a - b);
}

function sizeOf(w: World, vol: string): number {
  return w.rt(w.self)!.volumes[vol]!.sizeBytes;
}

function checkRange(w: World, vol: string, offset: number, length: number): void {
  const size = sizeOf(w, vol);
  if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || offset < 0 || length < 0 || offset + length > size) {
    throw new DrbdIoError(`/dev/drbd${w.rt(w.self)!.volumes[vol]!.minor}: access beyond end of device (offset ${offset}, length ${length}, size ${size})`, 5);
  }
}

/** Reads through DRBD on node `self` (called inside withWorld). */
export function readIn(w: World, vol: string, offset: number, length: number): Buffer {
  checkUp(w, vol);
  checkRange(w, vol, offset, length);
  const me = w.self;
  const v = w.rt(me)!.volumes[vol]!;
  const peers = connectedPeers(w, me);
  const upToDatePeer = peers.find((p) => {
    const pv = w.rt(p)?.volumes[vol];
    return pv && pv.disk !== null && pv.diskState === 'UpToDate';
  });
  let out: Buffer;
  if (v.disk !== null && v.diskState === 'UpToDate') {
    const lv = lvOf(w, me, v.disk);
    try {
      out = lv.read(offset, length);
    } finally {
      lv.close();
    }
  } else if (v.disk !== null && v.diskState === 'Inconsistent' && peers.some((p) => jobBetween(w, p, me, vol)?.source === p)) {
    // SyncTarget: blocks still out of sync come from the source
    const source = peers.find((p) => jobBetween(w, p, me, vol)?.source === p)!;
    const oos = new Set(w.mdOf(source, vol)!.bitmaps[me] ?? []);
    const local = lvOf(w, me, v.disk);
    const remote = lvOf(w, source, w.rt(source)!.volumes[vol]!.disk!);
    try {
      out = Buffer.alloc(length);
      let pos = offset;
      while (pos < offset + length) {
        const b = Math.floor(pos / BM_BLOCK_BYTES);
        const end = Math.min(offset + length, (b + 1) * BM_BLOCK_BYTES);
        const src = oos.has(b) ? remote : local;
        src.read(pos, end - pos).copy(out, pos - offset);
        pos = end;
      }
    } finally {
      local.close();
      remote.close();
    }
  } else if (upToDatePeer) {
    const lv = lvOf(w, upToDatePeer, w.rt(upToDatePeer)!.volumes[vol]!.disk!);
    try {
      out = lv.read(offset, length);
    } finally {
      lv.close();
    }
    w.rt(me)!.peers[upToDatePeer]!.receivedKiB += length / 1024;
  } else {
    throw new DrbdIoError(`/dev/drbd${v.minor}: Input/output error (no access to UpToDate data)`, 5);
  }
  v.readKiB += length / 1024;
  return out;
}

/** Writes through DRBD on node `self` (called inside withWorld). */
export function writeIn(w: World, vol: string, offset: number, data: Buffer): void {
  checkUp(w, vol);
  checkRange(w, vol, offset, data.length);
  const me = w.self;
  const r = w.rt(me)!;
  const v = r.volumes[vol]!;
  const peers = connectedPeers(w, me);
  if (r.role !== 'Primary' && peers.some((p) => w.rt(p)?.role === 'Primary')) {
    throw new DrbdIoError(`/dev/drbd${v.minor}: Wrong medium type (a peer is Primary; this node is Secondary)`, 124);
  }
  // replicas that receive the write: local disk (when attached) and connected attached peers
  const replicas: string[] = [];
  if (v.disk !== null && v.diskState !== 'Diskless' && v.diskState !== 'Failed') replicas.push(me);
  for (const p of peers) {
    const pv = w.rt(p)?.volumes[vol];
    if (pv && pv.disk !== null && pv.diskState !== 'Diskless' && pv.diskState !== 'Failed') replicas.push(p);
  }
  if (!replicas.some((n) => w.rt(n)!.volumes[vol]!.diskState === 'UpToDate')) {
    throw new DrbdIoError(`/dev/drbd${v.minor}: Input/output error (no access to UpToDate data)`, 5);
  }
  // diskful peers of any replica that do not get this write
  const missing = new Set<string>();
  for (const n of replicas) {
    for (const [p, pr] of Object.entries(w.rt(n)!.peers)) {
      if (replicas.includes(p)) continue;
      if (pr.diskful[vol] === false) continue;
      missing.add(p);
    }
  }
  const blocks = blocksOf(offset, data.length);
  const upToDate = replicas.filter((n) => w.rt(n)!.volumes[vol]!.diskState === 'UpToDate');
  const mds: MdRecord[] = upToDate.map((n) => w.mdOf(n, vol)).filter((m): m is MdRecord => !!m);
  if (missing.size > 0 && mds.length > 0) {
    const needRotation = [...missing].some((p) => mds.some((m) => !m.rotatedFor.includes(p)));
    if (needRotation) rotateUuid(mds);
    for (const m of mds) {
      for (const p of missing) {
        if (!m.rotatedFor.includes(p)) m.rotatedFor.push(p);
        m.bitmaps[p] = mergeSorted(m.bitmaps[p], blocks);
      }
    }
    for (const n of upToDate) w.rt(n)!.volumes[vol]!.bmWrites += 1;
  }
  const kib = data.length / 1024;
  for (const n of replicas) {
    const lv = lvOf(w, n, w.rt(n)!.volumes[vol]!.disk!);
    try {
      lv.write(offset, data);
    } finally {
      lv.close();
    }
    if (n !== me) {
      w.rt(n)!.volumes[vol]!.writtenKiB += kib;
      r.peers[n]!.sentKiB += kib;
      const back = w.rt(n)!.peers[me];
      if (back) back.receivedKiB += kib;
    }
  }
  v.writtenKiB += kib;
  v.alWrites += 1;
}

/**
 * Opens the DRBD device of `res`/`vol` on `node` (a node name under $FERRY_SIM_ROOT or a node
 * directory; default: this process's node). Every read/write is one observation of the resource.
 */
export function openDrbdDevice(node: string | undefined, res: string, vol = 0): DrbdDevice {
  const nodeDir = simNodeDir(node);
  const key = String(vol);
  const info = withWorld(nodeDir, res, (w) => {
    checkUp(w, key);
    const v = w.rt(w.self)!.volumes[key]!;
    return { minor: v.minor, size: v.sizeBytes };
  });
  let closed = false;
  const guard = (): void => {
    if (closed) throw new Error(`/dev/drbd${info.minor} is closed`);
  };
  return {
    resource: res,
    volume: vol,
    minor: info.minor,
    sizeBytes: info.size,
    read(offset: number, length: number): Buffer {
      guard();
      return withWorld(nodeDir, res, (w) => readIn(w, key, offset, length));
    },
    write(offset: number, data: Buffer): void {
      guard();
      // while suspended (drbdadm suspend-io) a write blocks, as it does in DRBD, until resume-io
      for (let wait = 1; ; wait = Math.min(wait * 2, 50)) {
        const written = withWorld(nodeDir, res, (w) => {
          if (w.rt(w.self)?.suspendedUser === true) return false;
          writeIn(w, key, offset, data);
          return true;
        });
        if (written) return;
        sleepSync(wait);
      }
    },
    close(): void {
      closed = true;
    },
  };
}
