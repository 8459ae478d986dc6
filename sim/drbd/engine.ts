// The replication engine of the simulated DRBD. No daemon: every observation (status, events2,
// I/O, any drbdadm command) opens the "world" of one resource — the DRBD state of every node named
// in it, under all their node locks taken in name order — brings connections and resyncs up to
// date for the wall time elapsed, does its work and saves what changed.
//
// Connections: a peer connection is Connected when both nodes have the resource up with each
// other as configured peers, neither node is cut off ($FERRY_SIM_ROOT/<node>/net-cut) and neither
// side disconnected it. Data: writes go synchronously to every reachable attached disk (protocol
// C); for every diskful peer that is not reachable, each written replica marks the blocks in its
// bitmap for that peer and, once per absence, starts a new current UUID. On (re)connect the
// generation UUIDs decide the direction: equal = in sync; the side whose history holds the other's
// current UUID (or the only UpToDate side against an Inconsistent one) is SyncSource, and only the
// blocks in its bitmap move (all allocated blocks when it has no bitmap for that peer, e.g. a new
// or invalidated disk). Resync copies real bytes at the configured rate (c-max-rate/resync-rate,
// else FERRY_SIM_DRBD_RATE, default 1 GiB/s), lazily, for the time elapsed since the last look.
import fs from 'node:fs';
import path from 'node:path';
import { acquireNodeLock } from '../lock.js';
import { openThinVolume } from '../lvm/volume.js';
import type { ThinVolume } from '../lvm/volume-api.js';
import { parseDrbdRate } from '../../core/drbd-config.js';
import { peersOf, readConfDir, resyncRateOf } from './conf.js';
import type { ConfResource } from './conf.js';
import {
  BM_BLOCK_BYTES,
  isNetCut,
  loadDrbdState,
  localConfDir,
  mdKey,
  newUuid,
  nodeConfDir,
  saveDrbdState,
  splitDevice,
  UUID_JUST_CREATED,
} from './state.js';
import type { DrbdNodeState, MdRecord, PeerRuntime, ResRuntime, ResyncJob, VolRuntime } from './state.js';

export const DEFAULT_RATE_BYTES = 1024 * 1024 * 1024;

export function defaultRate(): number {
  const env = process.env.FERRY_SIM_DRBD_RATE;
  if (env) {
    const r = parseDrbdRate(env);
    if (r && r > 0) return r;
  }
  return DEFAULT_RATE_BYTES;
}

/** A failure with DRBD's wording and exit code. */
export class DrbdError extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
  }
}

export interface NodeView {
  name: string;
  dir: string;
  st: DrbdNodeState;
  cut: boolean;
  before: string;
}

export class World {
  readonly nodes = new Map<string, NodeView>();
  readonly now = Date.now();
  constructor(
    readonly root: string,
    readonly self: string,
    readonly res: string,
    /** This node's configuration of the resource (null when it has none). */
    readonly conf: ConfResource | null,
  ) {}

  node(name: string): NodeView | undefined {
    return this.nodes.get(name);
  }

  selfView(): NodeView {
    return this.nodes.get(this.self)!;
  }

  rt(name: string): ResRuntime | undefined {
    return this.nodes.get(name)?.st.resources[this.res];
  }

  mdOf(name: string, vol: number | string): MdRecord | undefined {
    const v = this.rt(name)?.volumes[String(vol)];
    if (!v || v.disk === null) return undefined;
    return this.nodes.get(name)?.st.md[mdKey(v.disk)];
  }
}

/** The configuration of a node (its own conf dir; this process's from FERRY_DRBD_CONF_DIR). */
export function confOf(root: string, self: string, node: string, res: string): ConfResource | null {
  const dir = node === self ? localConfDir(path.join(root, self)) : nodeConfDir(path.join(root, node));
  return readConfDir(dir).find((r) => r.name === res) ?? null;
}

/**
 * Runs `fn` on the world of resource `res` seen from node directory `selfDir`, holding the locks
 * of every node involved, and saves the states that changed.
 */
export function withWorld<T>(selfDir: string, res: string, fn: (w: World) => T, opts: { conf?: ConfResource | null } = {}): T {
  const root = path.dirname(selfDir);
  const self = path.basename(selfDir);
  const conf = opts.conf !== undefined ? opts.conf : readConfDir(localConfDir(selfDir)).find((r) => r.name === res) ?? null;
  const names = new Set<string>([self]);
  for (const h of conf?.hosts ?? []) names.add(h.name);
  const pre = loadDrbdState(selfDir).resources[res];
  for (const p of Object.keys(pre?.peers ?? {})) names.add(p);
  const sorted = [...names].filter((n) => n === self || fs.existsSync(path.join(root, n))).sort();
  const releases: (() => void)[] = [];
  try {
    for (const n of sorted) releases.push(acquireNodeLock(path.join(root, n)));
    const w = new World(root, self, res, conf);
    for (const n of sorted) {
      const dir = path.join(root, n);
      const st = loadDrbdState(dir);
      w.nodes.set(n, { name: n, dir, st, cut: isNetCut(dir), before: JSON.stringify(st) });
    }
    reconcile(w);
    const out = fn(w);
    reconcile(w);
    for (const v of w.nodes.values()) {
      const now = JSON.stringify(v.st);
      if (now !== v.before) saveDrbdState(v.dir, v.st);
    }
    return out;
  } finally {
    for (const r of releases.reverse()) r();
  }
}

// ---------------------------------------------------------------------------------------------
// connections

export type ConnState = 'Connected' | 'Connecting' | 'StandAlone';

export function connState(w: World, a: string, b: string): ConnState {
  const ra = w.rt(a);
  const pa = ra?.peers[b];
  if (!ra || !pa) return 'StandAlone';
  if (pa.adminDisconnected || pa.splitBrain) return 'StandAlone';
  const rb = w.rt(b);
  const pb = rb?.peers[a];
  if (!rb || !pb) return 'Connecting';
  if (pb.adminDisconnected || pb.splitBrain) return 'Connecting';
  if (w.node(a)!.cut || w.node(b)?.cut) return 'Connecting';
  return 'Connected';
}

function attached(v: VolRuntime | undefined): v is VolRuntime & { disk: string } {
  return !!v && v.disk !== null && v.diskState !== 'Diskless' && v.diskState !== 'Failed';
}

const hasData = (s: string): boolean => s === 'UpToDate' || s === 'Consistent';

export function setDiskState(w: World, node: string, vol: string, state: string): void {
  const v = w.rt(node)?.volumes[vol];
  if (!v) return;
  v.diskState = state;
  const md = w.mdOf(node, vol);
  if (!md) return;
  md.flags = state === 'UpToDate' ? 'uptodate' : state === 'Consistent' ? 'consistent' : state === 'Outdated' ? 'outdated' : state === 'Inconsistent' ? 'inconsistent' : md.flags;
}

/** The resync job between a and b for a volume, with its direction. */
export function jobBetween(w: World, a: string, b: string, vol: string): { source: string; target: string; job: ResyncJob } | null {
  const ja = w.rt(a)?.peers[b]?.resync[vol];
  if (ja) return { source: a, target: b, job: ja };
  const jb = w.rt(b)?.peers[a]?.resync[vol];
  if (jb) return { source: b, target: a, job: jb };
  return null;
}

function openLv(w: World, node: string, dev: string): ThinVolume {
  const s = splitDevice(dev);
  if (!s) throw new DrbdError(`${dev}: not a /dev/VG/LV path`, 10);
  return openThinVolume(w.node(node)!.dir, s.vg, s.lv);
}

function blocksOfChunks(chunks: number[], chunkBytes: number, sizeBytes: number): Set<number> {
  const out = new Set<number>();
  for (const c of chunks) {
    const start = c * chunkBytes;
    const end = Math.min(sizeBytes, start + chunkBytes) - 1;
    if (end < start) continue;
    for (let b = Math.floor(start / BM_BLOCK_BYTES); b <= Math.floor(end / BM_BLOCK_BYTES); b++) out.add(b);
  }
  return out;
}

function allocatedBlocks(w: World, node: string, dev: string): Set<number> {
  const lv = openLv(w, node, dev);
  try {
    return blocksOfChunks(lv.allocatedChunks(), lv.chunkBytes, lv.sizeBytes);
  } finally {
    lv.close();
  }
}

function rateFor(w: World, source: string, target: string): number {
  const conf = source === w.self ? w.conf : confOf(w.root, w.self, source, w.res);
  return (conf && resyncRateOf(conf, source, target)) ?? defaultRate();
}

/** Is `target` already the SyncTarget of some resync of this volume? (DRBD syncs from one source at a time.) */
function isSyncTarget(w: World, target: string, vol: string): boolean {
  for (const n of w.nodes.keys()) {
    if (w.rt(n)?.peers[target]?.resync[vol]) return true;
  }
  return false;
}

function startResync(w: World, source: string, target: string, vol: string, full: boolean): void {
  if (isSyncTarget(w, target, vol)) return;
  const srcMd = w.mdOf(source, vol)!;
  const tgtMd = w.mdOf(target, vol)!;
  const srcV = w.rt(source)!.volumes[vol]!;
  const tgtV = w.rt(target)!.volumes[vol]!;
  let blocks: number[];
  if (full) {
    const set = allocatedBlocks(w, source, srcV.disk!);
    for (const b of allocatedBlocks(w, target, tgtV.disk!)) set.add(b);
    blocks = [...set].sort((a, b) => a - b);
  } else {
    blocks = [...(srcMd.bitmaps[target] ?? [])].sort((a, b) => a - b);
  }
  srcMd.bitmaps[target] = blocks;
  if (srcV.diskState === 'Consistent') setDiskState(w, source, vol, 'UpToDate');
  setDiskState(w, target, vol, 'Inconsistent');
  tgtMd.syncingFrom = source;
  w.rt(source)!.peers[target]!.resync[vol] = {
    startedAt: w.now,
    lastAt: w.now,
    carryBytes: 0,
    totalBlocks: blocks.length,
    rateBytesPerSec: rateFor(w, source, target),
    doneBlocks: 0,
  };
  if (blocks.length === 0) finishResync(w, source, target, vol);
}

function finishResync(w: World, source: string, target: string, vol: string): void {
  const srcMd = w.mdOf(source, vol)!;
  const tgtMd = w.mdOf(target, vol)!;
  delete w.rt(source)!.peers[target]!.resync[vol];
  tgtMd.current = srcMd.current;
  tgtMd.history = [...srcMd.history];
  delete tgtMd.syncingFrom;
  srcMd.bitmaps[target] = [];
  tgtMd.bitmaps = {};
  for (const [peer, bm] of Object.entries(srcMd.bitmaps)) {
    if (peer === target) continue;
    tgtMd.bitmaps[peer] = [...bm];
  }
  tgtMd.bitmaps[source] = [];
  tgtMd.rotatedFor = srcMd.rotatedFor.filter((p) => p !== target);
  srcMd.rotatedFor = srcMd.rotatedFor.filter((p) => p !== target);
  setDiskState(w, target, vol, 'UpToDate');
}

function advanceResync(w: World, source: string, target: string, vol: string, job: ResyncJob): void {
  const srcMd = w.mdOf(source, vol)!;
  const remaining = srcMd.bitmaps[target] ?? [];
  const elapsed = Math.max(0, w.now - job.lastAt);
  const budget = (elapsed / 1000) * job.rateBytesPerSec + job.carryBytes;
  let n = Math.floor(budget / BM_BLOCK_BYTES);
  if (n <= 0 && remaining.length > 0) return;
  n = Math.min(n, remaining.length);
  job.carryBytes = n < remaining.length ? budget - n * BM_BLOCK_BYTES : 0;
  job.lastAt = w.now;
  if (n > 0) {
    const srcDev = w.rt(source)!.volumes[vol]!.disk!;
    const tgtDev = w.rt(target)!.volumes[vol]!.disk!;
    const src = openLv(w, source, srcDev);
    const tgt = openLv(w, target, tgtDev);
    try {
      const size = Math.min(src.sizeBytes, tgt.sizeBytes);
      const tgtAlloc = blocksOfChunks(tgt.allocatedChunks(), tgt.chunkBytes, tgt.sizeBytes);
      for (const b of remaining.slice(0, n)) {
        const off = b * BM_BLOCK_BYTES;
        if (off >= size) continue;
        const len = Math.min(BM_BLOCK_BYTES, size - off);
        const data = src.read(off, len);
        const zero = !data.some((x) => x !== 0);
        if (zero && !tgtAlloc.has(b)) continue;
        const discard = (tgt as ThinVolume & { discard?: (o: number, l: number) => void }).discard;
        if (zero && discard) discard.call(tgt, off, len);
        else tgt.write(off, data);
      }
    } finally {
      src.close();
      tgt.close();
    }
    srcMd.bitmaps[target] = remaining.slice(n);
    job.doneBlocks += n;
    const kib = (n * BM_BLOCK_BYTES) / 1024;
    w.rt(source)!.peers[target]!.sentKiB += kib;
    const tp = w.rt(target)!.peers[source];
    if (tp) tp.receivedKiB += kib;
    w.rt(target)!.volumes[vol]!.writtenKiB += kib;
    w.rt(source)!.volumes[vol]!.readKiB += kib;
  }
  if ((srcMd.bitmaps[target] ?? []).length === 0) finishResync(w, source, target, vol);
}

/** Decides what happens between two attached disks of a connected pair (no resync running). */
function handshake(w: World, a: string, b: string, vol: string): void {
  const va = w.rt(a)!.volumes[vol]!;
  const vb = w.rt(b)!.volumes[vol]!;
  const ma = w.mdOf(a, vol);
  const mb = w.mdOf(b, vol);
  if (!ma || !mb) return;
  if (ma.current === mb.current) {
    if (ma.current === UUID_JUST_CREATED) return; // both fresh: Inconsistent/Inconsistent
    const up = hasData(va.diskState) || hasData(vb.diskState);
    if (up) {
      for (const [n, v] of [[a, va], [b, vb]] as const) {
        if (v.diskState === 'Consistent' || v.diskState === 'Outdated') setDiskState(w, n, vol, 'UpToDate');
      }
      if (va.diskState === 'Inconsistent' && hasData(vb.diskState)) return startResync(w, b, a, vol, ma.syncingFrom !== b);
      if (vb.diskState === 'Inconsistent' && hasData(va.diskState)) return startResync(w, a, b, vol, mb.syncingFrom !== a);
      ma.bitmaps[b] = [];
      mb.bitmaps[a] = [];
    }
    return;
  }
  const newer = (x: string, vx: VolRuntime, mx: MdRecord, vy: VolRuntime, my: MdRecord): boolean =>
    hasData(vx.diskState) && (vy.diskState === 'Inconsistent' || vy.diskState === 'Outdated' || mx.history.includes(my.current));
  const aNewer = newer(a, va, ma, vb, mb);
  const bNewer = newer(b, vb, mb, va, ma);
  if (aNewer && !bNewer) {
    const full = mb.current === UUID_JUST_CREATED || ma.bitmaps[b] === undefined || (vb.diskState === 'Inconsistent' && mb.syncingFrom !== a);
    startResync(w, a, b, vol, full);
  } else if (bNewer && !aNewer) {
    const full = ma.current === UUID_JUST_CREATED || mb.bitmaps[a] === undefined || (va.diskState === 'Inconsistent' && ma.syncingFrom !== b);
    startResync(w, b, a, vol, full);
  } else if (hasData(va.diskState) && hasData(vb.diskState)) {
    // both have data of unrelated generations: split brain, both sides drop the connection
    w.rt(a)!.peers[b]!.splitBrain = true;
    w.rt(b)!.peers[a]!.splitBrain = true;
  }
}

/** Brings connections and resyncs of the resource up to date. */
export function reconcile(w: World): void {
  const up = [...w.nodes.keys()].filter((n) => w.rt(n)).sort();
  for (let i = 0; i < up.length; i++) {
    for (let j = i + 1; j < up.length; j++) {
      const a = up[i]!;
      const b = up[j]!;
      const ra = w.rt(a)!;
      const rb = w.rt(b)!;
      if (!ra.peers[b] || !rb.peers[a]) continue;
      if (connState(w, a, b) !== 'Connected' || connState(w, b, a) !== 'Connected') {
        ra.peers[b]!.established = false;
        rb.peers[a]!.established = false;
        // a running resync pauses; its remaining blocks stay in the source's bitmap
        ra.peers[b]!.resync = {};
        rb.peers[a]!.resync = {};
        continue;
      }
      ra.peers[b]!.established = true;
      rb.peers[a]!.established = true;
      for (const vol of Object.keys(ra.volumes)) {
        if (!attached(ra.volumes[vol]) || !attached(rb.volumes[vol])) continue;
        const j0 = jobBetween(w, a, b, vol);
        if (j0) advanceResync(w, j0.source, j0.target, vol, j0.job);
        else handshake(w, a, b, vol);
        const j1 = jobBetween(w, a, b, vol);
        if (j1 && !j0) advanceResync(w, j1.source, j1.target, vol, j1.job);
      }
    }
  }
  for (const n of up) {
    const r = w.rt(n)!;
    for (const [vol, v] of Object.entries(r.volumes)) {
      if (v.disk === null && v.sizeBytes === 0) {
        for (const p of Object.keys(r.peers)) {
          const pv = w.rt(p)?.volumes[vol];
          if (pv && pv.disk !== null && pv.sizeBytes > 0) {
            v.sizeBytes = pv.sizeBytes;
            break;
          }
        }
      }
    }
  }
}

/** Connected peers of `node` (names). */
export function connectedPeers(w: World, node: string): string[] {
  return Object.keys(w.rt(node)?.peers ?? {}).filter((p) => connState(w, node, p) === 'Connected');
}

// ---------------------------------------------------------------------------------------------
// bringing a resource up / down (the kernel side of drbdadm up/adjust/down)

export function configuredPeers(conf: ConfResource, self: string): Record<string, { nodeId: number; diskful: Record<string, boolean> }> {
  const out: Record<string, { nodeId: number; diskful: Record<string, boolean> }> = {};
  for (const p of peersOf(conf, self)) {
    const h = conf.hosts.find((x) => x.name === p);
    if (!h) continue;
    const diskful: Record<string, boolean> = {};
    for (const v of h.volumes) diskful[String(v.volume)] = v.disk !== null;
    out[p] = { nodeId: h.nodeId ?? 0, diskful };
  }
  return out;
}

export function newPeerRuntime(nodeId: number, diskful: Record<string, boolean>): PeerRuntime {
  return { nodeId, diskful, adminDisconnected: false, splitBrain: false, established: false, resync: {}, sentKiB: 0, receivedKiB: 0 };
}

export function diskStateOnAttach(md: MdRecord, hasDiskfulPeers: boolean): string {
  switch (md.flags) {
    case 'uptodate':
      return hasDiskfulPeers ? 'Consistent' : 'UpToDate';
    case 'consistent':
      return 'Consistent';
    case 'outdated':
      return 'Outdated';
    default:
      return 'Inconsistent';
  }
}

/** Rotates the current UUID of the given replicas to one new UUID (a new data generation). */
export function rotateUuid(mds: MdRecord[]): string {
  const u = newUuid();
  for (const md of mds) {
    if (md.current !== UUID_JUST_CREATED) md.history = [md.current, ...md.history].slice(0, 16);
    md.current = u;
  }
  return u;
}
