// thin_recv VG/LV — reads a thin_send stream from stdin and writes it into an existing thin LV.
import { thinLvInfo, openThinVolume, NoSuchVolumeError, PoolFullError } from '../volume.js';
import { splitLvName } from '../args.js';
import {
  decodeHeader,
  decodeRecord,
  RECORD_HEADER_BYTES,
  REC_DATA,
  REC_END,
  REC_ZERO,
  STREAM_HEADER_BYTES,
  STREAM_VERSION,
} from '../stream.js';
import { readFull } from '../../sync-io.js';
import type { ToolContext } from '../../tool.js';
import { ToolExit } from '../../tool.js';

const SLICE = 8 * 1024 * 1024;

export function main(args: string[], ctx: ToolContext): number {
  if (args.includes('--version') || args.includes('-v')) {
    ctx.out('thin_recv (ferry simulation) 1.0\n');
    return 0;
  }
  const names = args.filter((a) => !a.startsWith('-'));
  if (names.length !== 1 || names.length !== args.length) throw new ToolExit(1, 'USAGE: thin_recv VG/LV  (reads the stream from stdin)\n');
  const t = splitLvName(names[0]!);
  if (!t) throw new ToolExit(1, `thin_recv: ${names[0]}: not a logical volume path\n`);
  let info;
  try {
    info = thinLvInfo(ctx.nodeDir, t.vg, t.lv);
  } catch (e) {
    if (e instanceof NoSuchVolumeError) throw new ToolExit(1, `thin_recv: ${e.message}\n`);
    throw e;
  }
  if (!info.active) throw new ToolExit(1, `thin_recv: failed to open /dev/${t.vg}/${t.lv}: No such file or directory\n`);
  const hb = Buffer.alloc(STREAM_HEADER_BYTES);
  if (readFull(0, hb) !== STREAM_HEADER_BYTES) throw new ToolExit(1, 'thin_recv: unexpected end of stream (no header)\n');
  const header = decodeHeader(hb);
  if (!header) throw new ToolExit(1, 'thin_recv: input is not a thin_send stream (bad magic)\n');
  if (header.version !== STREAM_VERSION) throw new ToolExit(1, `thin_recv: unsupported stream version ${header.version}\n`);
  if (header.sizeBytes > info.sizeBytes) {
    throw new ToolExit(1, `thin_recv: stream is for a volume of ${header.sizeBytes} bytes, ${t.vg}/${t.lv} has only ${info.sizeBytes}\n`);
  }
  const vol = openThinVolume(ctx.nodeDir, t.vg, t.lv);
  const rh = Buffer.alloc(RECORD_HEADER_BYTES);
  const buf = Buffer.allocUnsafe(SLICE);
  let records = 0;
  let dataBytes = 0;
  try {
    for (;;) {
      if (readFull(0, rh) !== RECORD_HEADER_BYTES) throw new ToolExit(1, 'thin_recv: unexpected end of stream (incomplete stream)\n');
      const r = decodeRecord(rh);
      if (r.type === REC_END) {
        if (r.offset !== records || r.length !== dataBytes) {
          throw new ToolExit(1, `thin_recv: stream corrupt: end marker counts ${r.offset} records/${r.length} bytes, received ${records}/${dataBytes}\n`);
        }
        break;
      }
      if (r.offset + r.length > header.sizeBytes) throw new ToolExit(1, `thin_recv: stream corrupt: record beyond the volume end at offset ${r.offset}\n`);
      if (r.type === REC_DATA) {
        let pos = r.offset;
        let left = r.length;
        while (left > 0) {
          const len = Math.min(left, SLICE);
          const slice = buf.subarray(0, len);
          if (readFull(0, slice) !== len) throw new ToolExit(1, 'thin_recv: unexpected end of stream (incomplete stream)\n');
          vol.write(pos, slice);
          pos += len;
          left -= len;
        }
        dataBytes += r.length;
      } else if (r.type === REC_ZERO) {
        vol.discard(r.offset, r.length);
      } else throw new ToolExit(1, `thin_recv: stream corrupt: unknown record type ${r.type}\n`);
      records++;
    }
  } catch (e) {
    if (e instanceof PoolFullError) throw new ToolExit(1, `thin_recv: write to /dev/${t.vg}/${t.lv} failed: No space left on device (${e.message})\n`);
    throw e;
  } finally {
    vol.close();
  }
  return 0;
}
