// The simulated LVM metadata and thin-pool storage of one node.
//
//   lvm/state.json                     VGs, thin pools and thin LVs (names, sizes, attrs, origin, tags)
//   lvm/pools/<vg>/<pool>/data         sparse file of pool chunks; chunk id k (1-based) at (k-1)*chunk
//   lvm/pools/<vg>/<pool>/meta         32-byte header + Uint32 refcount per chunk id (index 0 unused)
//   lvm/pools/<vg>/<pool>/thin/<id>.map  Uint32 per LV chunk: pool chunk id, 0 = unallocated
//
// meta header (little-endian u32): magic, version, generation, totalChunks, usedChunks, limitChunks
// (0 = none; set by `ferry-sim pool fill`), allocation hint, reserved. The generation changes with
// every change of refcounts or mappings, so an open ThinVolume knows when to reload.
import fs from 'node:fs';
import path from 'node:path';
import crypto from 'node:crypto';
import { lvmStatePath, poolDir } from '../paths.js';
import { crashPoint, readFull, writeAll, writeFileAtomic } from '../sync-io.js';

export const EXTENT_BYTES = 4 * 1024 * 1024;
export const DEFAULT_CHUNK_BYTES = 64 * 1024;
export const META_MAGIC = 0x4d505446; // "FTPM"
export const META_HEADER_BYTES = 32;

export interface LvRecord {
  name: string;
  uuid: string;
  kind: 'thin-pool' | 'thin';
  sizeBytes: number;
  tags: string[];
  active: boolean;
  /** Activation skip flag (lv_attr char 10 'k'); thin snapshots get it by default. */
  skipActivation: boolean;
  createdAt: string;
  /** thin: the pool it lives in */
  pool?: string;
  /** thin: the LV it was snapshotted from (empty once that LV is removed) */
  origin?: string;
  /** thin: device id in the pool, names its mapping file */
  thinId?: number;
  /** thin-pool: chunk size */
  chunkBytes?: number;
  /** thin-pool: size of its (simulated) metadata LV */
  metadataBytes?: number;
  /**
   * Holders that have the LV's device open (e.g. a simulated DRBD resource attached to it). While
   * non-empty, lvremove and deactivation fail with "in use", and lv_attr shows 'o'.
   */
  openBy?: string[];
}

export interface VgRecord {
  name: string;
  uuid: string;
  sizeBytes: number;
  extentBytes: number;
  pvs: string[];
  tags: string[];
  nextThinId: number;
  seqno: number;
  lvs: Record<string, LvRecord>;
}

export interface LvmState {
  version: 1;
  vgs: Record<string, VgRecord>;
}

export function lvmUuid(): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  const bytes = crypto.randomBytes(32);
  let s = '';
  for (let i = 0; i < 32; i++) s += alphabet[bytes[i]! % alphabet.length];
  // LVM's layout: 6-4-4-4-4-4-6
  return [s.slice(0, 6), s.slice(6, 10), s.slice(10, 14), s.slice(14, 18), s.slice(18, 22), s.slice(22, 26), s.slice(26, 32)].join('-');
}

export function loadState(nodeDir: string): LvmState {
  try {
    return JSON.parse(fs.readFileSync(lvmStatePath(nodeDir), 'utf8')) as LvmState;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { version: 1, vgs: {} };
    throw e;
  }
}

export function saveState(nodeDir: string, state: LvmState): void {
  fs.mkdirSync(path.dirname(lvmStatePath(nodeDir)), { recursive: true });
  writeFileAtomic(lvmStatePath(nodeDir), JSON.stringify(state, null, 1) + '\n');
}

// ---------------------------------------------------------------------------------------------
// pool files

export interface PoolFiles {
  dir: string;
  data: string;
  meta: string;
  thinDir: string;
}

export function poolFiles(nodeDir: string, vg: string, pool: string): PoolFiles {
  const dir = poolDir(nodeDir, vg, pool);
  return { dir, data: path.join(dir, 'data'), meta: path.join(dir, 'meta'), thinDir: path.join(dir, 'thin') };
}

export function mapPath(files: PoolFiles, thinId: number): string {
  return path.join(files.thinDir, `${thinId}.map`);
}

export interface PoolHeader {
  generation: number;
  totalChunks: number;
  usedChunks: number;
  limitChunks: number;
  hint: number;
}

export function capacityChunks(h: PoolHeader): number {
  return h.limitChunks > 0 ? Math.min(h.limitChunks, h.totalChunks) : h.totalChunks;
}

/** The whole meta file in memory: header + refcounts. */
export class PoolMeta {
  constructor(
    readonly header: PoolHeader,
    public refcounts: Uint32Array,
  ) {}

  static read(file: string): PoolMeta {
    const buf = fs.readFileSync(file);
    const words = new Uint32Array(buf.buffer, buf.byteOffset, Math.floor(buf.length / 4));
    if (words[0] !== META_MAGIC) throw new Error(`${file}: not a simulated thin pool meta file`);
    const header: PoolHeader = {
      generation: words[2]!,
      totalChunks: words[3]!,
      usedChunks: words[4]!,
      limitChunks: words[5]!,
      hint: words[6]!,
    };
    const refcounts = new Uint32Array(header.totalChunks + 1);
    refcounts.set(words.subarray(META_HEADER_BYTES / 4, META_HEADER_BYTES / 4 + header.totalChunks + 1));
    return new PoolMeta(header, refcounts);
  }

  static create(totalChunks: number): PoolMeta {
    return new PoolMeta({ generation: 1, totalChunks, usedChunks: 0, limitChunks: 0, hint: 1 }, new Uint32Array(totalChunks + 1));
  }

  headerBytes(): Buffer {
    const b = Buffer.alloc(META_HEADER_BYTES);
    const h = this.header;
    b.writeUInt32LE(META_MAGIC, 0);
    b.writeUInt32LE(1, 4);
    b.writeUInt32LE(h.generation >>> 0, 8);
    b.writeUInt32LE(h.totalChunks, 12);
    b.writeUInt32LE(h.usedChunks, 16);
    b.writeUInt32LE(h.limitChunks, 20);
    b.writeUInt32LE(h.hint, 24);
    return b;
  }

  write(file: string): void {
    const body = Buffer.from(this.refcounts.buffer, this.refcounts.byteOffset, this.refcounts.byteLength);
    writeFileAtomic(file, Buffer.concat([this.headerBytes(), body]));
  }

  /** Grows to `totalChunks` (pool extension). */
  grow(totalChunks: number): void {
    if (totalChunks <= this.header.totalChunks) return;
    const r = new Uint32Array(totalChunks + 1);
    r.set(this.refcounts);
    this.refcounts = r;
    this.header.totalChunks = totalChunks;
  }
}

export function readPoolHeader(metaFd: number): PoolHeader {
  const b = Buffer.alloc(META_HEADER_BYTES);
  readFull(metaFd, b, 0);
  if (b.readUInt32LE(0) !== META_MAGIC) throw new Error('not a simulated thin pool meta file');
  return {
    generation: b.readUInt32LE(8),
    totalChunks: b.readUInt32LE(12),
    usedChunks: b.readUInt32LE(16),
    limitChunks: b.readUInt32LE(20),
    hint: b.readUInt32LE(24),
  };
}

export function readMap(file: string): Uint32Array {
  const buf = fs.readFileSync(file);
  const m = new Uint32Array(buf.length / 4);
  new Uint8Array(m.buffer).set(buf);
  return m;
}

export function writeMap(file: string, map: Uint32Array): void {
  writeFileAtomic(file, Buffer.from(map.buffer, map.byteOffset, map.byteLength));
}

export function countMapped(map: Uint32Array): number {
  let n = 0;
  for (let i = 0; i < map.length; i++) if (map[i] !== 0) n++;
  return n;
}

/** Creates the files of a new thin pool. */
export function createPoolFiles(files: PoolFiles, sizeBytes: number, chunkBytes: number): void {
  fs.mkdirSync(files.thinDir, { recursive: true });
  const fd = fs.openSync(files.data, 'w');
  fs.ftruncateSync(fd, 0);
  fs.closeSync(fd);
  PoolMeta.create(Math.floor(sizeBytes / chunkBytes)).write(files.meta);
}

/** Creates the (empty) mapping of a new thin LV. */
export function createThinMap(files: PoolFiles, thinId: number, sizeBytes: number, chunkBytes: number): void {
  writeMap(mapPath(files, thinId), new Uint32Array(Math.ceil(sizeBytes / chunkBytes)));
  bumpGeneration(files);
}

export function bumpGeneration(files: PoolFiles): void {
  const fd = fs.openSync(files.meta, 'r+');
  try {
    const h = readPoolHeader(fd);
    const b = Buffer.alloc(4);
    b.writeUInt32LE((h.generation + 1) >>> 0);
    writeAll(fd, b, 8);
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * Snapshot: takes a reference on every chunk the origin maps, then writes the copy of its mapping
 * (references before mappings: a kill in between leaks, never shares a chunk the origin may overwrite).
 */
export function snapshotThin(files: PoolFiles, originId: number, snapId: number): void {
  const meta = PoolMeta.read(files.meta);
  const map = readMap(mapPath(files, originId));
  const rc = meta.refcounts;
  for (let i = 0; i < map.length; i++) {
    const id = map[i]!;
    if (id !== 0) rc[id] = rc[id]! + 1;
  }
  meta.header.generation = (meta.header.generation + 1) >>> 0;
  meta.write(files.meta);
  writeMap(mapPath(files, snapId), map);
}

/**
 * Removal of a thin LV: its mapping goes first, then its references; chunks nobody references go
 * back to the free pool. A kill in between leaks the chunks instead of freeing ones still mapped.
 */
export function removeThin(files: PoolFiles, thinId: number): void {
  const file = mapPath(files, thinId);
  if (!fs.existsSync(file)) return;
  const meta = PoolMeta.read(files.meta);
  const map = readMap(file);
  crashPoint();
  fs.rmSync(file, { force: true });
  const rc = meta.refcounts;
  for (let i = 0; i < map.length; i++) {
    const id = map[i]!;
    if (id === 0) continue;
    const n = rc[id]! - 1;
    rc[id] = n;
    if (n === 0) meta.header.usedChunks--;
  }
  meta.header.generation = (meta.header.generation + 1) >>> 0;
  meta.write(files.meta);
}

/** Resizes the mapping of a thin LV (growing adds unallocated chunks). */
export function resizeThinMap(files: PoolFiles, thinId: number, sizeBytes: number, chunkBytes: number): void {
  const file = mapPath(files, thinId);
  const old = readMap(file);
  const n = Math.ceil(sizeBytes / chunkBytes);
  if (n === old.length) return;
  if (n < old.length) throw new Error('shrinking thin LVs is not simulated');
  const m = new Uint32Array(n);
  m.set(old);
  writeMap(file, m);
  bumpGeneration(files);
}

// ---------------------------------------------------------------------------------------------
// sizes

const UNIT_POWERS: Record<string, number> = { b: 0, k: 1, m: 2, g: 3, t: 4, p: 5, e: 6 };

/**
 * Parses an LVM size argument: "10G", "100m", "1.5g", "1073741824b", "512s", "100" (default unit
 * MiB). Input units are powers of 1024 in either case, as in lvm2. Returns bytes, or null.
 */
export function parseLvmSize(text: string, defaultUnit = 'm'): { bytes: number; sign: '' | '+' | '-' } | null {
  const m = /^([+-]?)(\d+(?:\.\d+)?)([bBsSkKmMgGtTpPeE]?)$/.exec(text.trim());
  if (!m) return null;
  const sign = m[1] as '' | '+' | '-';
  const value = Number(m[2]);
  const unit = (m[3] || defaultUnit).toLowerCase();
  const bytes = unit === 's' ? value * 512 : value * 1024 ** UNIT_POWERS[unit]!;
  return { bytes: Math.round(bytes), sign };
}

export function roundUpTo(n: number, multiple: number): number {
  return Math.ceil(n / multiple) * multiple;
}

/** "64.00 KiB", "4.00 MiB", "1.00 GiB": the way lvm2 prints sizes in messages. */
export function displaySize(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB', 'EiB'];
  if (bytes < 1024) return `${bytes} B`;
  let i = 0;
  let v = bytes;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  const rounded = Math.round(v * 100) / 100;
  return `${rounded > v + 1e-12 ? '<' : ''}${rounded.toFixed(2)} ${units[i]}`;
}
