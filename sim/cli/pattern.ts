// Deterministic test data for `ferry-sim io`: the byte at absolute offset x depends only on the seed
// and x, so any slice can be generated or verified on its own. A 1 MiB block derived from the seed
// repeats; the first 8 bytes of every 4 KiB block carry its block number, so misplaced blocks show.
import crypto from 'node:crypto';

const BASE_BYTES = 1024 * 1024;
const STAMP_EVERY = 4096;
const bases = new Map<string, Buffer>();

function baseFor(seed: string): Buffer {
  let b = bases.get(seed);
  if (b) return b;
  const h = crypto.createHash('sha256').update(`ferry-sim pattern ${seed}`).digest();
  let x = h.readUInt32LE(0) | 1;
  b = Buffer.allocUnsafe(BASE_BYTES);
  const w = new Uint32Array(b.buffer, b.byteOffset, BASE_BYTES / 4);
  for (let i = 0; i < w.length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    w[i] = x >>> 0;
  }
  bases.set(seed, b);
  return b;
}

/** Fills `buf` with the pattern bytes for absolute offsets [offset, offset + buf.length). */
export function fillPattern(buf: Buffer, offset: number, seed: string): void {
  if (seed === 'zero' || seed === 'zeros') {
    buf.fill(0);
    return;
  }
  const base = baseFor(seed);
  let pos = 0;
  while (pos < buf.length) {
    const abs = offset + pos;
    const inBase = abs % BASE_BYTES;
    const n = Math.min(BASE_BYTES - inBase, buf.length - pos);
    base.copy(buf, pos, inBase, inBase + n);
    pos += n;
  }
  const stamp = Buffer.alloc(8);
  const firstBlock = Math.floor(offset / STAMP_EVERY);
  const lastBlock = Math.floor((offset + buf.length - 1) / STAMP_EVERY);
  for (let blk = firstBlock; blk <= lastBlock; blk++) {
    const start = blk * STAMP_EVERY;
    if (start + 8 <= offset || start >= offset + buf.length) continue;
    stamp.writeUInt32LE(blk % 0x100000000, 0);
    stamp.writeUInt32LE(Math.floor(blk / 0x100000000) ^ 0x5eedf00d, 4);
    const from = Math.max(start, offset);
    const to = Math.min(start + 8, offset + buf.length);
    stamp.copy(buf, from - offset, from - start, to - start);
  }
}
