// thin_send [BASE] SNAP — writes the stream (sim/lvm/stream.ts) of SNAP to stdout: every allocated
// chunk, or with BASE only the chunks whose pool mapping differs between BASE and SNAP.
import { thinLvInfo, openThinVolume, NoSuchVolumeError } from '../volume.js';
import type { SimThinVolume } from '../volume.js';
import { splitLvName } from '../args.js';
import { encodeHeader, encodeRecord, FLAG_INCREMENTAL, MAX_RECORD_BYTES, REC_DATA, REC_END, REC_ZERO, STREAM_VERSION } from '../stream.js';
import type { ToolContext } from '../../tool.js';
import { ToolExit } from '../../tool.js';


const USAGE = 'USAGE: thin_send [--about|--version] [BASE_LV] SNAP_LV\n  (LVs as VG/LV or /dev/VG/LV)\n';

export function main(args: string[], ctx: ToolContext): number {
  if (args.includes('--version') || args.includes('-v')) {
    ctx.out('thin_send (ferry simulation) 1.0\n');
    return 0;
  }
  if (args.includes('--about') || args.includes('-h') || args.includes('--help')) {
    ctx.out(USAGE);
    return 0;
  }
  const names = args.filter((a) => !a.startsWith('-'));
  if (names.length < 1 || names.length > 2 || names.length !== args.length) throw new ToolExit(1, USAGE);
  const lvs = names.map((n) => {
    const s = splitLvName(n);
    if (!s) throw new ToolExit(1, `thin_send: ${n}: not a logical volume path\n`);
    return s;
  });
  const snapName = lvs[lvs.length - 1]!;
  const baseName = lvs.length === 2 ? lvs[0]! : null;
  let snapInfo;
  let baseInfo;
  try {
    snapInfo = thinLvInfo(ctx.nodeDir, snapName.vg, snapName.lv);
    baseInfo = baseName ? thinLvInfo(ctx.nodeDir, baseName.vg, baseName.lv) : null;
  } catch (e) {
    if (e instanceof NoSuchVolumeError) throw new ToolExit(1, `thin_send: ${e.message}\n`);
    throw e;
  }
  if (!snapInfo.active) throw new ToolExit(1, `thin_send: failed to open /dev/${snapInfo.vg}/${snapInfo.lv}: No such file or directory\n`);
  if (baseInfo && (baseInfo.vg !== snapInfo.vg || baseInfo.pool !== snapInfo.pool)) {
    throw new ToolExit(1, `thin_send: ${baseInfo.vg}/${baseInfo.lv} and ${snapInfo.vg}/${snapInfo.lv} are not in the same thin pool\n`);
  }
  const snap = openThinVolume(ctx.nodeDir, snapInfo.vg, snapInfo.lv);
  let base: SimThinVolume | null = null;
  try {
    base = baseInfo ? openThinVolume(ctx.nodeDir, baseInfo.vg, baseInfo.lv) : null;
    send(ctx, snap, base);
  } finally {
    snap.close();
    base?.close();
  }
  return 0;
}

function send(ctx: ToolContext, snap: SimThinVolume, base: SimThinVolume | null): void {
  const cb = snap.chunkBytes;
  const size = snap.sizeBytes;
  const s = snap.chunkMap();
  const b = base ? base.chunkMap() : null;
  ctx.writeStdout(encodeHeader({ version: STREAM_VERSION, flags: base ? FLAG_INCREMENTAL : 0, sizeBytes: size, chunkBytes: cb }));
  // a DATA record's payload is copied from the pool's data file range by range (ctx.copyToStdout:
  // through the tool server, by the caller's own dd, never through Node)
  let zeros: Buffer | null = null;
  let records = 0;
  let dataBytes = 0;
  const n = s.length;
  let c = 0;
  while (c < n) {
    const sid = s[c]!;
    const bid = b ? (c < b.length ? b[c]! : 0) : 0;
    const differs = b ? sid !== bid : sid !== 0;
    if (!differs) {
      c++;
      continue;
    }
    const isData = sid !== 0;
    // extend the run over following chunks of the same kind
    let e = c + 1;
    while (e < n) {
      const s2 = s[e]!;
      const b2 = b ? (e < b.length ? b[e]! : 0) : 0;
      const d2 = b ? s2 !== b2 : s2 !== 0;
      if (!d2 || (s2 !== 0) !== isData) break;
      e++;
    }
    const start = c * cb;
    const end = Math.min(e * cb, size);
    if (isData) {
      for (let pos = start; pos < end; pos += MAX_RECORD_BYTES) {
        const len = Math.min(MAX_RECORD_BYTES, end - pos);
        ctx.writeStdout(encodeRecord(REC_DATA, pos, len));
        for (const x of snap.extents(pos, len)) {
          if (x.mapped) {
            ctx.copyToStdout(snap.dataFile, x.poolPos, x.length);
          } else {
            zeros ??= Buffer.alloc(snap.chunkBytes);
            for (let z = 0; z < x.length; z += zeros.length) ctx.writeStdout(zeros.subarray(0, Math.min(zeros.length, x.length - z)));
          }
        }
        records++;
        dataBytes += len;
      }
    } else {
      ctx.writeStdout(encodeRecord(REC_ZERO, start, end - start));
      records++;
    }
    c = e;
  }
  ctx.writeStdout(encodeRecord(REC_END, records, dataBytes));
}
