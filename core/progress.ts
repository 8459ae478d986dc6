// The one shape every ferry workflow answers its `progress` query with, so the CLI, the SDK and the
// Web UI show any operation the same way. Pure module: safe in bundled workflow code.

export interface OperationProgress {
  /** What the operation is doing now, in the operator's words ("configuring hosts"). */
  phase: string;
  /** Units of work done / in all (resources, nodes, volumes...); 0/0 when not countable. */
  done: number;
  total: number;
  /** What `done`/`total` count, plural ("resources", "nodes"). */
  unit?: string;
  /** Bytes moved so far / in all, for data-moving operations (backups, resyncs). */
  bytesDone?: number;
  bytesTotal?: number;
  /** Seconds until done, when the operation can estimate it. */
  etaSeconds?: number | null;
  /** A free-text detail ("node2: lvcreate ..."). */
  message?: string;
  /** Why the operation is not moving (waiting for a lock, an activity retrying). */
  blockedReason?: string | null;
}

/** The query name every long workflow answers. */
export const PROGRESS_QUERY = 'progress';

/** Plain-text one-liner: `configuring hosts: 2/3 nodes, 1.0 GiB/4.0 GiB, ETA 12s`. */
export function formatProgressLine(p: OperationProgress): string {
  const parts: string[] = [];
  if (p.total > 0) parts.push(`${p.done}/${p.total}${p.unit ? ` ${p.unit}` : ''}`);
  if (p.bytesTotal) parts.push(`${formatBytesShort(p.bytesDone ?? 0)}/${formatBytesShort(p.bytesTotal)}`);
  if (p.etaSeconds !== undefined && p.etaSeconds !== null) parts.push(`ETA ${formatEta(p.etaSeconds)}`);
  let line = `${p.phase}${parts.length ? `: ${parts.join(', ')}` : ''}`;
  if (p.message) line += ` (${p.message})`;
  if (p.blockedReason) line += ` [blocked: ${p.blockedReason}]`;
  return line;
}

/** Fraction 0..1 of the work done: bytes when known, else units. */
export function progressFraction(p: OperationProgress): number | null {
  if (p.bytesTotal) return Math.min(1, (p.bytesDone ?? 0) / p.bytesTotal);
  if (p.total > 0) return Math.min(1, p.done / p.total);
  return null;
}

export function formatEta(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

export function formatBytesShort(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return i === 0 ? `${v} B` : `${v.toFixed(1)} ${units[i]}`;
}

/** Accepts anything a workflow answered (older shapes too) as an OperationProgress, or null. */
export function asOperationProgress(v: unknown): OperationProgress | null {
  if (!v || typeof v !== 'object') return null;
  const o = v as Record<string, unknown>;
  if (typeof o.phase !== 'string') return null;
  const num = (x: unknown) => (typeof x === 'number' && Number.isFinite(x) ? x : undefined);
  return {
    phase: o.phase,
    done: num(o.done) ?? 0,
    total: num(o.total) ?? 0,
    ...(typeof o.unit === 'string' ? { unit: o.unit } : {}),
    ...(num(o.bytesDone) !== undefined ? { bytesDone: num(o.bytesDone) } : {}),
    ...(num(o.bytesTotal) !== undefined ? { bytesTotal: num(o.bytesTotal) } : {}),
    ...(num(o.etaSeconds) !== undefined ? { etaSeconds: num(o.etaSeconds) } : {}),
    ...(typeof o.message === 'string' ? { message: o.message } : {}),
    ...(typeof o.blockedReason === 'string' ? { blockedReason: o.blockedReason } : {}),
  };
}
