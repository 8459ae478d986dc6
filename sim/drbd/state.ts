// State of the simulated DRBD on one node: `$NODE_DIR/drbd/state.json`.
//
// `md` is what real DRBD keeps in the internal meta data of a backing LV (it survives down/up):
// node id, disk flags, the current generation UUID and its history, and one out-of-sync bitmap per
// peer. `resources` is what the kernel holds while a resource is up: role, attached volumes with
// their disk state, the configured peers, admin-disconnected connections, resync jobs, counters.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { writeFileAtomic } from '../sync-io.js';

/** Granularity of the simulated out-of-sync bitmaps (real DRBD: 4 KiB per bit). */
export const BM_BLOCK_BYTES = 64 * 1024;

/** The current UUID of freshly created meta data (DRBD's UUID_JUST_CREATED). */
export const UUID_JUST_CREATED = '0000000000000004';

export type MdFlags = 'inconsistent' | 'consistent' | 'uptodate' | 'outdated';

export interface MdRecord {
  /** The resource/volume create-md was run for. */
  resource: string;
  volume: number;
  nodeId: number;
  maxPeers: number;
  flags: MdFlags;
  current: string;
  history: string[];
  /** Out-of-sync bitmap blocks per peer host name. A missing entry = unknown (full sync needed). */
  bitmaps: Record<string, number[]>;
  /** Peers for which the current UUID was already rotated since they fell behind. */
  rotatedFor: string[];
  /** While Inconsistent because of a resync: which peer it was syncing from. */
  syncingFrom?: string;
  /** LV uuid the meta data was written to: a recreated LV has no meta data. */
  lvUuid: string;
}

export interface VolRuntime {
  minor: number;
  /** Backing device (/dev/vg/lv) or null when diskless. */
  disk: string | null;
  diskState: string;
  /** Usable size in bytes (0 while diskless and no peer known). */
  sizeBytes: number;
  readKiB: number;
  writtenKiB: number;
  alWrites: number;
  bmWrites: number;
}

export interface ResyncJob {
  startedAt: number;
  lastAt: number;
  carryBytes: number;
  totalBlocks: number;
  rateBytesPerSec: number;
  /** Blocks copied (for statistics). */
  doneBlocks: number;
}

export interface PeerRuntime {
  nodeId: number;
  /** Per volume: does the peer have a disk in the configuration. */
  diskful: Record<string, boolean>;
  adminDisconnected: boolean;
  splitBrain: boolean;
  established: boolean;
  /** Resync jobs where this node is the SyncSource towards this peer, per volume. */
  resync: Record<string, ResyncJob>;
  sentKiB: number;
  receivedKiB: number;
}

export interface ResRuntime {
  nodeId: number;
  role: 'Primary' | 'Secondary';
  volumes: Record<string, VolRuntime>;
  peers: Record<string, PeerRuntime>;
  /** Resource options at up/adjust time (the `options` group). */
  options: Record<string, string>;
  /** `drbdadm suspend-io` in force: new I/O blocks until `resume-io` (status `suspended:user`). */
  suspendedUser?: boolean;
}

export interface DrbdNodeState {
  version: 1;
  md: Record<string, MdRecord>;
  resources: Record<string, ResRuntime>;
}

export function drbdDir(nodeDir: string): string {
  return path.join(nodeDir, 'drbd');
}

export function drbdStatePath(nodeDir: string): string {
  return path.join(nodeDir, 'drbd', 'state.json');
}

/** Where a node's resource files are: `$NODE_DIR/drbd/etc/drbd.d`. */
export function nodeConfDir(nodeDir: string): string {
  return path.join(nodeDir, 'drbd', 'etc', 'drbd.d');
}

/**
 * The configuration directory drbdadm of *this* process reads: `$FERRY_DRBD_CONF_DIR` when set
 * (the launcher points it at `$NODE_DIR/drbd/etc/drbd.d`, the same variable the node agent writes
 * to), else the node's default.
 */
export function localConfDir(nodeDir: string): string {
  return process.env.FERRY_DRBD_CONF_DIR || nodeConfDir(nodeDir);
}

export function netCutPath(nodeDir: string): string {
  return path.join(nodeDir, 'net-cut');
}

export function isNetCut(nodeDir: string): boolean {
  return fs.existsSync(netCutPath(nodeDir));
}

export function loadDrbdState(nodeDir: string): DrbdNodeState {
  try {
    const s = JSON.parse(fs.readFileSync(drbdStatePath(nodeDir), 'utf8')) as DrbdNodeState;
    s.md ??= {};
    s.resources ??= {};
    return s;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { version: 1, md: {}, resources: {} };
    throw e;
  }
}

export function saveDrbdState(nodeDir: string, s: DrbdNodeState): void {
  fs.mkdirSync(drbdDir(nodeDir), { recursive: true });
  writeFileAtomic(drbdStatePath(nodeDir), JSON.stringify(s) + '\n');
}

export function newUuid(): string {
  // bit 0 is DRBD's "primary" flag; keep it clear
  const b = crypto.randomBytes(8);
  b[7] = b[7]! & 0xfe;
  return b.toString('hex').toUpperCase();
}

/** `/dev/vg/lv` -> {vg, lv}. */
export function splitDevice(dev: string): { vg: string; lv: string } | null {
  const m = /^\/dev\/([^/]+)\/([^/]+)$/.exec(dev);
  if (!m || m[1] === 'mapper') return null;
  return { vg: m[1]!, lv: m[2]! };
}

export function mdKey(dev: string): string {
  const s = splitDevice(dev);
  return s ? `${s.vg}/${s.lv}` : dev;
}
