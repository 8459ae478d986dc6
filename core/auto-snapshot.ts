// AutoSnapshot (LINSTOR's DrbdOptions/AutoSnapshot/RunEvery and Keep): which resource definitions
// take local snapshots on schedule and how often (resource definition > resource group), the names
// of those snapshots, the ids of their Temporal Schedule and workflows, and which automatic
// snapshots the pruning deletes. Pure: imported by workflows.
import { resolveProperty, type PropLevels } from './properties.js';

export const AUTO_SNAPSHOT_KEY_PREFIX = 'DrbdOptions/AutoSnapshot/';
export const AUTO_SNAPSHOT_RUN_EVERY = 'DrbdOptions/AutoSnapshot/RunEvery';
export const AUTO_SNAPSHOT_KEEP = 'DrbdOptions/AutoSnapshot/Keep';
/** LINSTOR keeps the last 10 automatic snapshots when Keep is unset or <= 0. */
export const DEFAULT_AUTO_SNAPSHOT_KEEP = 10;
export const AUTO_SNAPSHOT_PREFIX = 'snap-auto-';
export const AUTO_SNAPSHOT_SCHEDULE_PREFIX = 'auto-snapshot/';

const ORDER = ['resource-definition', 'resource-group'] as const;

export interface AutoSnapshotSettings {
  /** minutes between snapshots; null: off (unset or 0) */
  runEveryMinutes: number | null;
  keep: number;
  /** where RunEvery comes from */
  from: 'resource-definition' | 'resource-group' | null;
}

/** The AutoSnapshot settings in effect for a resource definition (rd wins over its group). */
export function autoSnapshotSettings(levels: Pick<PropLevels, 'resource-definition' | 'resource-group'>): AutoSnapshotSettings {
  const every = resolveProperty(AUTO_SNAPSHOT_RUN_EVERY, levels, { order: ORDER, withDefault: false });
  const keepRaw = resolveProperty(AUTO_SNAPSHOT_KEEP, levels, { order: ORDER, withDefault: false })?.value;
  const n = every ? Number(every.value) : NaN;
  const k = keepRaw === undefined ? NaN : Number(keepRaw);
  return {
    runEveryMinutes: Number.isInteger(n) && n > 0 ? n : null,
    keep: Number.isInteger(k) && k > 0 ? k : DEFAULT_AUTO_SNAPSHOT_KEEP,
    from: Number.isInteger(n) && n > 0 ? (every!.origin as AutoSnapshotSettings['from']) : null,
  };
}

export const autoSnapshotIds = {
  /** the Temporal Schedule of a resource definition */
  schedule: (rsc: string) => `${AUTO_SNAPSHOT_SCHEDULE_PREFIX}${rsc}`,
  /** the workflow each firing starts (Temporal appends the firing time) */
  run: (rsc: string) => `auto-snapshot-run/${rsc}`,
  /** the snapshot create workflow of one automatic snapshot: its id is the snapshot's holder, which marks it automatic */
  create: (rsc: string, snapshot: string) => `auto-snapshot-create/${rsc}/${snapshot}`,
  resourceOfSchedule: (id: string): string | null => (id.startsWith(AUTO_SNAPSHOT_SCHEDULE_PREFIX) ? id.slice(AUTO_SNAPSHOT_SCHEDULE_PREFIX.length) || null : null),
};

/** Whether a snapshot was taken by AutoSnapshot (by its holder, not its name: a manual `snap-auto-7` is never pruned). */
export function isAutoSnapshot(rsc: string, holder: string): boolean {
  return holder.startsWith(`auto-snapshot-create/${rsc}/`);
}

/** `snap-auto-<n>`, n one more than the highest number any snapshot of the resource has under that name. */
export function nextAutoSnapshotName(existing: readonly string[]): string {
  let max = 0;
  for (const name of existing) {
    const m = /^snap-auto-(\d{1,9})$/.exec(name);
    if (m) max = Math.max(max, Number(m[1]));
  }
  return `${AUTO_SNAPSHOT_PREFIX}${max + 1}`;
}

/** The automatic snapshots beyond the newest `keep`, oldest first, each with the reason. */
export function planAutoSnapshotPrune(auto: readonly { name: string; createdAt: number }[], keep: number): { remove: { snapshot: string; reason: string }[]; keep: string[] } {
  const sorted = [...auto].sort((a, b) => b.createdAt - a.createdAt || b.name.localeCompare(a.name, undefined, { numeric: true }));
  return {
    keep: sorted.slice(0, keep).map((s) => s.name).reverse(),
    remove: sorted.slice(keep).reverse().map((s) => ({ snapshot: s.name, reason: `beyond the newest ${keep} automatic snapshot(s) (AutoSnapshot/Keep=${keep})` })),
  };
}
