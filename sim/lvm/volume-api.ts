// The contract between the simulated LVM layer and everything that reads or writes the bytes of a
// thin LV (simulated DRBD replication, thin_recv, `ferry-sim io`). Implemented by sim/lvm/volume.ts.

export interface ThinVolume {
  /** Volume group and LV name, e.g. "vg" / "db0_00000". */
  readonly vg: string;
  readonly lv: string;
  /** Virtual size in bytes. */
  readonly sizeBytes: number;
  /** Pool chunk size in bytes (64 KiB unless the pool was created with another). */
  readonly chunkBytes: number;
  /** Reads `length` bytes at `offset`; unallocated chunks read as zeros. */
  read(offset: number, length: number): Buffer;
  /** Writes at `offset`, allocating (or copy-on-writing) chunks as needed. Throws PoolFullError when the pool is full. */
  write(offset: number, data: Buffer): void;
  /** Chunk indexes that are allocated in this LV. */
  allocatedChunks(): number[];
  /** Releases file handles; writes the mapping back. */
  close(): void;
}

export class PoolFullError extends Error {}
