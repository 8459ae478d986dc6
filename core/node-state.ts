// How a node's state is derived from what the catalog knows (pure).

export type NodeFlag = 'EVACUATE' | 'EVICTED' | 'DELETE' | 'LOST';
/** LINSTOR's connection_status values that ferry uses. */
export type ConnectionStatus = 'ONLINE' | 'OFFLINE' | 'CONNECTED';

export interface NodeRecord {
  name: string;
  nodeType: 'SATELLITE';
  address: string;
  port: number;
  flags: NodeFlag[];
  props: Record<string, string>;
  createdAt: number;
  /** When the registration workflow last completed for the running agent. */
  registeredAt: number | null;
  agentStartedAt: number | null;
  lastSeenAt: number | null;
}

/**
 * ONLINE: the agent reported within `offlineAfterMs` and was registered since it started.
 * CONNECTED: the agent reports but its registration (inventory) has not finished yet.
 * OFFLINE: no report for `offlineAfterMs`, or never.
 */
export function connectionStatus(n: NodeRecord, now: number, offlineAfterMs: number): ConnectionStatus {
  if (n.lastSeenAt === null || now - n.lastSeenAt > offlineAfterMs) return 'OFFLINE';
  if (n.registeredAt === null || (n.agentStartedAt !== null && n.registeredAt < n.agentStartedAt)) return 'CONNECTED';
  return 'ONLINE';
}

/** The State column of `ferry node list`, worded as LINSTOR's. */
export function displayState(n: NodeRecord, now: number, offlineAfterMs: number): string {
  if (n.flags.includes('EVICTED')) return 'EVICTED';
  const status = connectionStatus(n, now, offlineAfterMs);
  const base = status === 'ONLINE' ? 'Online' : status === 'CONNECTED' ? 'Connected' : 'OFFLINE';
  return n.flags.includes('EVACUATE') ? `${base} (EVACUATE)` : base;
}
