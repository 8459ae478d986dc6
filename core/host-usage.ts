// LVM usage an agent watches on its host and reports to the controller (issue 23): the wire shape
// of the report, how it is computed from `lvs` rows, and when the agent sends it (pure).
import { z } from 'zod';

/** lvm2's rule for VG/LV names (as activities/node/host/lvm.ts checks them). */
const lvmName = z.string().regex(/^[A-Za-z0-9+_.][A-Za-z0-9+_.-]{0,126}$/, 'an LVM name: letters, digits, + _ . -; not starting with -');
const bytes = z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER);

/** What `POST /v1/internal/agents/:node/usage` takes: a full picture of the host's thin pools and thin volumes. */
export const hostUsageSchema = z.strictObject({
  /** The reporting agent's start: a report of an older agent than the node's is refused. */
  agentStartedAt: z.number().int().positive(),
  /** When `lvs` ran on the host (ms since epoch). */
  takenAt: z.number().int().positive(),
  thinPools: z.array(z.strictObject({ vg: lvmName, pool: lvmName, totalBytes: bytes, freeBytes: bytes })).max(10_000),
  volumes: z.array(z.strictObject({ vg: lvmName, lv: lvmName, sizeBytes: bytes, allocatedBytes: bytes.nullable() })).max(1_000_000),
}).refine((r) => r.thinPools.every((p) => p.freeBytes <= p.totalBytes), { message: 'freeBytes must not exceed totalBytes', path: ['thinPools'] });

export type HostUsage = z.infer<typeof hostUsageSchema>;

/** The fields of an `lvs` row the usage is made of (activities/node/host/parse-lvm.ts LogicalVolume). */
export interface LvUsageRow {
  name: string;
  vg: string;
  kind: string;
  sizeBytes: number;
  /** null when lvm does not report it (inactive LVs). */
  dataPercent: number | null;
}

/** Bytes a thin LV holds: lvm's data_percent of its size; null when lvm did not say. */
export function allocatedBytes(sizeBytes: number, dataPercent: number | null): number | null {
  return dataPercent === null ? null : Math.min(sizeBytes, Math.round((sizeBytes * dataPercent) / 100));
}

/** Free bytes of a thin pool: what its data_percent leaves of its size (an inactive pool: all of it). */
export function poolFreeBytes(sizeBytes: number, dataPercent: number | null): number {
  return Math.max(0, Math.round(sizeBytes * (1 - (dataPercent ?? 0) / 100)));
}

/** The usage report of a host from its `lvs` rows (thin pools and thin volumes; the rest is left out). */
export function usageFromLvs(rows: readonly LvUsageRow[], agentStartedAt: number, takenAt: number): HostUsage {
  const byName = (a: { vg: string }, b: { vg: string }, an: string, bn: string) => a.vg.localeCompare(b.vg) || an.localeCompare(bn);
  return {
    agentStartedAt,
    takenAt,
    thinPools: rows.filter((r) => r.kind === 'thin-pool')
      .map((r) => ({ vg: r.vg, pool: r.name, totalBytes: r.sizeBytes, freeBytes: poolFreeBytes(r.sizeBytes, r.dataPercent) }))
      .sort((a, b) => byName(a, b, a.pool, b.pool)),
    volumes: rows.filter((r) => r.kind === 'thin')
      .map((r) => ({ vg: r.vg, lv: r.name, sizeBytes: r.sizeBytes, allocatedBytes: allocatedBytes(r.sizeBytes, r.dataPercent) }))
      .sort((a, b) => byName(a, b, a.lv, b.lv)),
  };
}

/** What the agent remembers of its last report that the controller took. */
export interface UsageSendState {
  /** The figures of that report (`usageKey`), '' before the first. */
  lastKey: string;
  /** Periods since then. */
  periodsSince: number;
}

/** The figures of a report, without its time: equal keys mean nothing changed. */
export function usageKey(u: HostUsage): string {
  return JSON.stringify([u.thinPools, u.volumes]);
}

/**
 * Whether the agent sends this period's report: when the figures changed since the last report
 * the controller took, or every `everyPeriods` periods anyway (the controller then knows the
 * figures are still current, and a controller that lost them gets them back).
 */
export function shouldSendUsage(state: UsageSendState, key: string, everyPeriods: number): boolean {
  return state.lastKey === '' || key !== state.lastKey || state.periodsSince + 1 >= everyPeriods;
}
