// Auto-evict's decisions (pure), as the user's guide words them: which offline nodes are evicted
// now (DrbdOptions/AutoEvictAfterTime, AutoEvictMaxDisconnectedNodes, AutoEvictAllowEviction), and
// how many replicas a resource keeps without re-placement (AutoEvictMinReplicaCount, defaulting to
// its resource group's place count). The workflow `auto-evict` and the evacuation planner use them.
import { connectionStatus, type NodeRecord } from './node-state.js';
import { resolveBoolean, resolveNumber, type PropMap } from './properties.js';

export interface AutoEvictNodeStatus {
  node: string;
  offlineForMs: number;
  /** ms until the node is evicted, null when it will not be (and why in `note`). */
  evictInMs: number | null;
  note?: string;
}

export interface AutoEvictScan {
  at: number;
  nodes: number;
  offline: string[];
  evict: string[];
  /** why nobody is evicted, when that is the rule that applied */
  holdReason: string | null;
  status: AutoEvictNodeStatus[];
}

/** LINSTOR's defaults: 60 minutes, 34 percent. */
export const DEFAULT_AUTO_EVICT_AFTER_MINUTES = 60;
export const DEFAULT_AUTO_EVICT_MAX_DISCONNECTED_PERCENT = 34;

/** Which offline nodes auto-evict should evict now (`minuteMs` is 60000 outside tests). */
export function autoEvictDecision(nodes: readonly NodeRecord[], ctrl: PropMap, now: number, offlineAfterMs: number, minuteMs: number): AutoEvictScan {
  const maxDisconnected = resolveNumber('DrbdOptions/AutoEvictMaxDisconnectedNodes', { controller: ctrl }, ['controller']) ?? DEFAULT_AUTO_EVICT_MAX_DISCONNECTED_PERCENT;
  const live = nodes.filter((n) => !n.flags.includes('EVICTED'));
  // a node that never reported is not "lost": it was never there
  const offline = live.filter((n) => n.lastSeenAt !== null && connectionStatus(n, now, offlineAfterMs) === 'OFFLINE');
  const share = live.length ? (offline.length * 100) / live.length : 0;
  let holdReason: string | null = null;
  if (maxDisconnected === 0) holdReason = 'auto-evict is off (DrbdOptions/AutoEvictMaxDisconnectedNodes=0)';
  else if (share > maxDisconnected) {
    holdReason = `${offline.length} of ${live.length} nodes are offline (${Math.round(share)}% > DrbdOptions/AutoEvictMaxDisconnectedNodes=${maxDisconnected}%): the controller's own connectivity is suspect, nobody is evicted`;
  }
  const status: AutoEvictNodeStatus[] = [];
  const evict: string[] = [];
  for (const n of offline) {
    const offlineForMs = now - (n.lastSeenAt ?? now);
    const levels = { node: n.props, controller: ctrl };
    const afterMs = (resolveNumber('DrbdOptions/AutoEvictAfterTime', levels, ['node', 'controller']) ?? DEFAULT_AUTO_EVICT_AFTER_MINUTES) * minuteMs;
    const allowed = resolveBoolean('DrbdOptions/AutoEvictAllowEviction', levels, ['node', 'controller']) ?? true;
    if (!allowed) status.push({ node: n.name, offlineForMs, evictInMs: null, note: 'DrbdOptions/AutoEvictAllowEviction=false' });
    else if (holdReason) status.push({ node: n.name, offlineForMs, evictInMs: null, note: holdReason });
    else {
      const left = Math.max(0, afterMs - offlineForMs);
      status.push({ node: n.name, offlineForMs, evictInMs: left });
      if (left === 0) evict.push(n.name);
    }
  }
  return { at: now, nodes: live.length, offline: offline.map((n) => n.name), evict, holdReason, status };
}

/**
 * DrbdOptions/AutoEvictMinReplicaCount of a resource: resource definition > resource group >
 * controller; "If this property is left empty, the place-count set for the auto-placer of the
 * corresponding resource-group will be used."
 */
export function minReplicaCountOf(levels: { rd?: PropMap; rg?: PropMap; controller?: PropMap }, placeCount: number): number {
  return resolveNumber('DrbdOptions/AutoEvictMinReplicaCount', { 'resource-definition': levels.rd, 'resource-group': levels.rg, controller: levels.controller }, ['resource-definition', 'resource-group', 'controller']) ?? placeCount;
}
