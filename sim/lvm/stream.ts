// The thin_send / thin_recv stream of the simulation (production code treats it as opaque bytes).
//
//   header (32 bytes, little-endian):
//     magic    8 bytes  "FTHNSTRM"
//     version  u32      1
//     flags    u32      bit 0: incremental (sent against a base snapshot)
//     size     u64      virtual size of the sent LV in bytes
//     chunk    u32      pool chunk size in bytes
//     reserved u32      0
//   records, each a 24-byte header [type u32, reserved u32, offset u64, length u64]:
//     type 1 DATA  followed by `length` bytes to write at `offset`
//     type 2 ZERO  no payload: [offset, offset+length) is unallocated in the sent snapshot
//     type 0x444e4521 END  no payload: offset = number of DATA+ZERO records, length = total DATA bytes
//   A stream without END (or with counts that do not match) is incomplete and rejected by thin_recv.
export const STREAM_MAGIC = Buffer.from('FTHNSTRM', 'latin1');
export const STREAM_VERSION = 1;
export const STREAM_HEADER_BYTES = 32;
export const RECORD_HEADER_BYTES = 24;
export const REC_DATA = 1;
export const REC_ZERO = 2;
export const REC_END = 0x444e4521;
export const FLAG_INCREMENTAL = 1;
/** Max payload of one DATA record (thin_recv takes any length; long records mean fewer copies). */
export const MAX_RECORD_BYTES = 1024 * 1024 * 1024;

export interface StreamHeader {
  version: number;
  flags: number;
  sizeBytes: number;
  chunkBytes: number;
}

export function encodeHeader(h: StreamHeader): Buffer {
  const b = Buffer.alloc(STREAM_HEADER_BYTES);
  STREAM_MAGIC.copy(b, 0);
  b.writeUInt32LE(h.version, 8);
  b.writeUInt32LE(h.flags, 12);
  b.writeBigUInt64LE(BigInt(h.sizeBytes), 16);
  b.writeUInt32LE(h.chunkBytes, 24);
  return b;
}

export function decodeHeader(b: Buffer): StreamHeader | null {
  if (b.length < STREAM_HEADER_BYTES || !b.subarray(0, 8).equals(STREAM_MAGIC)) return null;
  return {
    version: b.readUInt32LE(8),
    flags: b.readUInt32LE(12),
    sizeBytes: Number(b.readBigUInt64LE(16)),
    chunkBytes: b.readUInt32LE(24),
  };
}

export function encodeRecord(type: number, offset: number, length: number): Buffer {
  const b = Buffer.alloc(RECORD_HEADER_BYTES);
  b.writeUInt32LE(type, 0);
  b.writeBigUInt64LE(BigInt(offset), 8);
  b.writeBigUInt64LE(BigInt(length), 16);
  return b;
}

export function decodeRecord(b: Buffer): { type: number; offset: number; length: number } {
  return { type: b.readUInt32LE(0), offset: Number(b.readBigUInt64LE(8)), length: Number(b.readBigUInt64LE(16)) };
}
