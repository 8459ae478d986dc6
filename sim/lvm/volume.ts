// The one way simulated tools read and write the bytes of a thin LV (contract: ./volume-api.ts).
//
// Every read/write takes the node lock (re-entrant, so callers may hold it already), checks the
// pool's generation and reloads refcounts/mapping when another process changed them, so concurrent
// snapshots, removals and writers in other processes stay consistent (as dm-thin suspends an origin
// while a snapshot is taken). Data moves with large positioned reads/writes; consecutive pool chunks
// are coalesced into one syscall.
import fs from 'node:fs';
import { acquireNodeLock } from '../lock.js';
import { simNodeDir } from '../paths.js';
import { readFull, writeAll } from '../sync-io.js';
import type { ThinVolume } from './volume-api.js';
import { PoolFullError } from './volume-api.js';
import {
  capacityChunks,
  loadState,
  mapPath,
  META_HEADER_BYTES,
  poolFiles,
  readMap,
  readPoolHeader,
  saveState,
} from './store.js';
import type { LvRecord, PoolFiles, PoolHeader } from './store.js';

export { PoolFullError } from './volume-api.js';
export type { ThinVolume } from './volume-api.js';

export class NoSuchVolumeError extends Error {}

/** Max bytes moved by one syscall. */
const IO_SLICE = 8 * 1024 * 1024;

export interface ThinLvInfo {
  vg: string;
  lv: string;
  pool: string;
  sizeBytes: number;
  chunkBytes: number;
  active: boolean;
  thinId: number;
}

/** Looks a thin LV up in a node's LVM state (nodeDir or node name; default: this process's node). */
export function thinLvInfo(node: string | undefined, vg: string, lv: string): ThinLvInfo {
  const nodeDir = simNodeDir(node);
  const state = loadState(nodeDir);
  const v = state.vgs[vg];
  const rec: LvRecord | undefined = v?.lvs[lv];
  if (!v || !rec || rec.kind !== 'thin' || rec.pool === undefined || rec.thinId === undefined) {
    throw new NoSuchVolumeError(`Failed to find logical volume "${vg}/${lv}"`);
  }
  const pool = v.lvs[rec.pool]!;
  return {
    vg,
    lv,
    pool: rec.pool,
    sizeBytes: rec.sizeBytes,
    chunkBytes: pool.chunkBytes!,
    active: rec.active,
    thinId: rec.thinId,
  };
}

export class SimThinVolume implements ThinVolume {
  private map: Uint32Array;
  private refcounts: Uint32Array;
  private header: PoolHeader;
  private dataFd: number;
  private metaFd: number;
  private closed = false;
  private dirtyRefs: number[] = [];
  private zeroChunk: Buffer | null = null;
  private size: number;

  constructor(
    readonly nodeDir: string,
    readonly vg: string,
    readonly lv: string,
    readonly pool: string,
    readonly thinId: number,
    sizeBytes: number,
    readonly chunkBytes: number,
    private readonly files: PoolFiles,
  ) {
    this.size = sizeBytes;
    this.dataFd = fs.openSync(files.data, 'r+');
    this.metaFd = fs.openSync(files.meta, 'r+');
    this.header = readPoolHeader(this.metaFd);
    this.refcounts = new Uint32Array(0);
    this.map = new Uint32Array(0);
    this.reload();
  }

  get sizeBytes(): number {
    return this.size;
  }

  private reload(): void {
    this.header = readPoolHeader(this.metaFd);
    const rc = new Uint32Array(this.header.totalChunks + 1);
    readFull(this.metaFd, new Uint8Array(rc.buffer), META_HEADER_BYTES);
    this.refcounts = rc;
    const file = mapPath(this.files, this.thinId);
    if (!fs.existsSync(file)) throw new NoSuchVolumeError(`logical volume ${this.vg}/${this.lv} was removed`);
    this.map = readMap(file);
    if (this.map.length * this.chunkBytes < this.size || this.map.length !== Math.ceil(this.size / this.chunkBytes)) {
      const rec = loadState(this.nodeDir).vgs[this.vg]?.lvs[this.lv];
      this.size = rec?.sizeBytes ?? this.map.length * this.chunkBytes;
    }
  }

  /** Takes the node lock and brings the in-memory metadata up to date. */
  private begin(): () => void {
    if (this.closed) throw new Error(`thin volume ${this.vg}/${this.lv} is closed`);
    const release = acquireNodeLock(this.nodeDir);
    try {
      const h = readPoolHeader(this.metaFd);
      if (h.generation !== this.header.generation) this.reload();
      else this.header = h;
    } catch (e) {
      release();
      throw e;
    }
    return release;
  }

  private checkRange(offset: number, length: number): void {
    if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || offset < 0 || length < 0 || offset + length > this.size) {
      throw new RangeError(`access beyond the end of ${this.vg}/${this.lv}: offset ${offset} length ${length} size ${this.size}`);
    }
  }

  read(offset: number, length: number): Buffer {
    this.checkRange(offset, length);
    const out = Buffer.alloc(length);
    if (length === 0) return out;
    const release = this.begin();
    try {
      this.forRuns(offset, length, (poolPos, bufPos, len, mapped) => {
        if (mapped) readFull(this.dataFd, out.subarray(bufPos, bufPos + len), poolPos);
      });
    } finally {
      release();
    }
    return out;
  }

  /** Like read(), into a caller's buffer (no allocation): fills target.length bytes from `offset`. */
  readInto(offset: number, target: Buffer): void {
    this.checkRange(offset, target.length);
    if (target.length === 0) return;
    const release = this.begin();
    try {
      this.forRuns(offset, target.length, (poolPos, bufPos, len, mapped) => {
        const slice = target.subarray(bufPos, bufPos + len);
        if (mapped) readFull(this.dataFd, slice, poolPos);
        else slice.fill(0);
      });
    } finally {
      release();
    }
  }

  /** The pool's data file, where `extents()` positions point. */
  get dataFile(): string {
    return this.files.data;
  }

  /**
   * Where [offset, offset+length) lives: runs of consecutive pool chunks (`poolPos` in dataFile) and
   * unallocated stretches (`mapped: false`, reading as zeros), in order.
   */
  extents(offset: number, length: number): { poolPos: number; length: number; mapped: boolean }[] {
    this.checkRange(offset, length);
    const out: { poolPos: number; length: number; mapped: boolean }[] = [];
    if (length === 0) return out;
    const release = this.begin();
    try {
      this.forRuns(offset, length, (poolPos, _bufPos, len, mapped) => {
        const last = out[out.length - 1];
        if (last && last.mapped && mapped && last.poolPos + last.length === poolPos) last.length += len;
        else out.push({ poolPos, length: len, mapped });
      });
    } finally {
      release();
    }
    return out;
  }

  /**
   * Writes through the mapping, in dm-thin's order so that a process killed at any point leaves a
   * consistent pool (sim/README.md, "Crash consistency"): the new chunks' references reach the disk
   * first, then their bytes, then the mapping that points at them, and last the references shared
   * chunks lose. A kill in between can leak a chunk, never map one nobody owns.
   */
  write(offset: number, data: Buffer): void {
    this.checkRange(offset, data.length);
    if (data.length === 0) return;
    const release = this.begin();
    try {
      const cb = this.chunkBytes;
      const first = Math.floor(offset / cb);
      const last = Math.floor((offset + data.length - 1) / cb);
      const moves: { chunk: number; from: number; to: number }[] = [];
      try {
        for (let c = first; c <= last; c++) {
          const id = this.map[c]!;
          if (id !== 0 && this.refcounts[id] === 1) continue;
          moves.push({ chunk: c, from: id, to: this.allocate() });
        }
      } catch (e) {
        this.dirtyRefs = [];
        this.reload(); // nothing reached the disk: forget the allocations made in memory
        throw e;
      }
      if (moves.length > 0) this.persistRefs();
      for (const m of moves) {
        const cStart = m.chunk * cb;
        if (offset <= cStart && offset + data.length >= cStart + cb) continue; // the write covers it all
        if (m.from === 0) {
          writeAll(this.dataFd, this.zeros(), (m.to - 1) * cb);
        } else {
          // copy-on-write: the chunk is shared with a snapshot
          const buf = Buffer.allocUnsafe(cb);
          readFull(this.dataFd, buf, (m.from - 1) * cb);
          writeAll(this.dataFd, buf, (m.to - 1) * cb);
        }
      }
      for (const m of moves) this.map[m.chunk] = m.to;
      this.forRuns(offset, data.length, (poolPos, bufPos, len) => {
        writeAll(this.dataFd, data.subarray(bufPos, bufPos + len), poolPos);
      });
      if (moves.length === 0) return;
      this.persistMap(first, last);
      const shared = moves.filter((m) => m.from !== 0);
      for (const m of shared) {
        this.refcounts[m.from] = this.refcounts[m.from]! - 1;
        this.dirtyRefs.push(m.from);
      }
      if (shared.length > 0) this.persistRefs();
    } finally {
      release();
    }
  }

  /**
   * Unmaps whole chunks in [offset, offset+length) (like a discard / TRIM); partial chunks at the edges
   * are zeroed instead. Used by thin_recv for chunks the sender reports as unallocated.
   */
  discard(offset: number, length: number): void {
    this.checkRange(offset, length);
    if (length === 0) return;
    const cb = this.chunkBytes;
    const firstFull = Math.ceil(offset / cb);
    const endFull = Math.floor((offset + length) / cb);
    if (firstFull >= endFull) {
      this.write(offset, Buffer.alloc(length));
      return;
    }
    if (offset < firstFull * cb) this.write(offset, Buffer.alloc(firstFull * cb - offset));
    if (offset + length > endFull * cb) this.write(endFull * cb, Buffer.alloc(offset + length - endFull * cb));
    const release = this.begin();
    try {
      // the mapping first, then the references: a kill in between leaks the chunks, frees none in use
      const dropped: number[] = [];
      for (let c = firstFull; c < endFull; c++) {
        const id = this.map[c]!;
        if (id === 0) continue;
        dropped.push(id);
        this.map[c] = 0;
      }
      if (dropped.length === 0) return;
      this.persistMap(firstFull, endFull - 1);
      for (const id of dropped) {
        const n = this.refcounts[id]! - 1;
        this.refcounts[id] = n;
        if (n === 0) this.header.usedChunks--;
        this.dirtyRefs.push(id);
      }
      this.persistRefs();
    } finally {
      release();
    }
  }

  allocatedChunks(): number[] {
    const release = this.begin();
    try {
      const out: number[] = [];
      for (let i = 0; i < this.map.length; i++) if (this.map[i] !== 0) out.push(i);
      return out;
    } finally {
      release();
    }
  }

  /** Pool chunk id of every LV chunk (0 = unallocated); a copy. For thin_send's comparison. */
  chunkMap(): Uint32Array {
    const release = this.begin();
    try {
      return this.map.slice();
    } finally {
      release();
    }
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    fs.closeSync(this.dataFd);
    fs.closeSync(this.metaFd);
  }

  private zeros(): Buffer {
    if (!this.zeroChunk) this.zeroChunk = Buffer.alloc(this.chunkBytes);
    return this.zeroChunk;
  }

  private allocate(): number {
    const h = this.header;
    if (h.usedChunks >= capacityChunks(h)) {
      throw new PoolFullError(`thin pool ${this.vg}/${this.pool} is full: no free chunk for ${this.vg}/${this.lv}`);
    }
    const rc = this.refcounts;
    const total = h.totalChunks;
    let id = h.hint >= 1 && h.hint <= total ? h.hint : 1;
    for (let n = 0; n < total; n++) {
      if (rc[id] === 0) {
        rc[id] = 1;
        h.usedChunks++;
        h.hint = id + 1 > total ? 1 : id + 1;
        this.dirtyRefs.push(id);
        return id;
      }
      id = id + 1 > total ? 1 : id + 1;
    }
    throw new PoolFullError(`thin pool ${this.vg}/${this.pool} is full`);
  }

  /** Writes the mapping of LV chunks firstChunk..lastChunk. */
  private persistMap(firstChunk: number, lastChunk: number): void {
    const m = this.map;
    const mapBytes = Buffer.from(m.buffer, m.byteOffset + firstChunk * 4, (lastChunk - firstChunk + 1) * 4);
    const mapFd = fs.openSync(mapPath(this.files, this.thinId), 'r+');
    try {
      writeAll(mapFd, mapBytes, firstChunk * 4);
    } finally {
      fs.closeSync(mapFd);
    }
  }

  /** Writes the changed refcounts, then the header with a new generation (open volumes elsewhere reload). */
  private persistRefs(): void {
    const ids = this.dirtyRefs.sort((a, b) => a - b);
    this.dirtyRefs = [];
    const rc = this.refcounts;
    let i = 0;
    while (i < ids.length) {
      const start = ids[i]!;
      let end = start;
      while (i < ids.length && ids[i]! <= end + 256) {
        end = Math.max(end, ids[i]!);
        i++;
      }
      writeAll(this.metaFd, Buffer.from(rc.buffer, rc.byteOffset + start * 4, (end - start + 1) * 4), META_HEADER_BYTES + start * 4);
    }
    this.header.generation = (this.header.generation + 1) >>> 0;
    const hb = Buffer.alloc(20);
    hb.writeUInt32LE(this.header.generation, 0);
    hb.writeUInt32LE(this.header.totalChunks, 4);
    hb.writeUInt32LE(this.header.usedChunks, 8);
    hb.writeUInt32LE(this.header.limitChunks, 12);
    hb.writeUInt32LE(this.header.hint, 16);
    writeAll(this.metaFd, hb, 8);
  }

  /**
   * Walks [offset, offset+length) in runs: each run is a stretch of LV chunks whose pool chunks are
   * consecutive (or all unallocated), capped at IO_SLICE. `fn(poolPosition, bufferPosition, length, mapped)`.
   */
  private forRuns(offset: number, length: number, fn: (poolPos: number, bufPos: number, len: number, mapped: boolean) => void): void {
    const cb = this.chunkBytes;
    const m = this.map;
    let pos = offset;
    const end = offset + length;
    while (pos < end) {
      const c = Math.floor(pos / cb);
      const id = m[c]!;
      const inChunk = pos - c * cb;
      let runEnd = Math.min(end, (c + 1) * cb);
      let nc = c + 1;
      while (runEnd < end && runEnd - pos < IO_SLICE) {
        const nid = m[nc]!;
        if (id === 0 ? nid !== 0 : nid !== id + (nc - c)) break;
        runEnd = Math.min(end, (nc + 1) * cb);
        nc++;
      }
      if (runEnd - pos > IO_SLICE) runEnd = pos + IO_SLICE;
      fn(id === 0 ? -1 : (id - 1) * cb + inChunk, pos - offset, runEnd - pos, id !== 0);
      pos = runEnd;
    }
  }
}

/**
 * Opens a thin LV for reading and writing. `node`: a node directory (contains a slash), a node name
 * under $FERRY_SIM_ROOT, or undefined for this process's node ($FERRY_SIM_NODE).
 */
export function openThinVolume(node: string | undefined, vg: string, lv: string): SimThinVolume {
  const nodeDir = simNodeDir(node);
  const info = thinLvInfo(nodeDir, vg, lv);
  return new SimThinVolume(nodeDir, vg, lv, info.pool, info.thinId, info.sizeBytes, info.chunkBytes, poolFiles(nodeDir, vg, info.pool));
}

/**
 * Marks a thin LV as opened (or closed) by a holder, e.g. a simulated DRBD resource attached to it
 * ("drbd:db0"). While any holder has it open, lvremove and lvchange -an fail with
 * "Logical volume VG/LV in use." and lv_attr shows 'o', as for a real open device.
 */
export function setLvOpen(node: string | undefined, vg: string, lv: string, holder: string, open: boolean): void {
  const nodeDir = simNodeDir(node);
  const release = acquireNodeLock(nodeDir);
  try {
    const state = loadState(nodeDir);
    const rec = state.vgs[vg]?.lvs[lv];
    if (!rec) throw new NoSuchVolumeError(`Failed to find logical volume "${vg}/${lv}"`);
    const holders = new Set(rec.openBy ?? []);
    if (open) holders.add(holder);
    else holders.delete(holder);
    rec.openBy = [...holders];
    saveState(nodeDir, state);
  } finally {
    release();
  }
}
