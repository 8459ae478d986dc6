// When a node looks again at a resync it waits for (the evacuation's and toggle-disk's resync
// wait, activities/node/evacuation.ts). Pure.

export interface ResyncLook {
  /** ms since the epoch */
  at: number;
  /** percent in sync, 0..100 */
  pct: number;
}

/**
 * Half the time the last two looks say is left, between 50 ms and 1 s: the end of a resync is seen
 * soon after it comes, without a look every few ms during a long one. 200 ms while there is no
 * rate to go by (first look, no progress since the last).
 */
export function nextResyncLookMs(prev: ResyncLook | null, cur: ResyncLook): number {
  if (!prev || cur.pct <= prev.pct || cur.at <= prev.at) return 200;
  const leftMs = ((100 - cur.pct) * (cur.at - prev.at)) / (cur.pct - prev.pct);
  return Math.round(Math.min(1000, Math.max(50, leftMs / 2)));
}
