// Binary size units and the way ferry prints sizes. Pure, no dependencies (used by workflow code).

export const KiB = 1024;
export const MiB = 1024 * KiB;
export const GiB = 1024 * MiB;
export const TiB = 1024 * GiB;
export const PiB = 1024 * TiB;

/** Formats bytes the way LINSTOR's tables do: `64 MiB`, `1.50 GiB`, `512 B`. */
export function formatSize(bytes: number): string {
  const units: [number, string][] = [[PiB, 'PiB'], [TiB, 'TiB'], [GiB, 'GiB'], [MiB, 'MiB'], [KiB, 'KiB']];
  for (const [f, u] of units) {
    if (Math.abs(bytes) >= f) {
      const v = bytes / f;
      return Number.isInteger(v) ? `${v} ${u}` : `${v.toFixed(2)} ${u}`;
    }
  }
  return `${bytes} B`;
}
