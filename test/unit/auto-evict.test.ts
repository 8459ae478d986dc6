// Auto-evict's decisions (core/auto-evict.ts) as the user's guide states them.
import { describe, expect, it } from '@jest/globals';
import { autoEvictDecision, minReplicaCountOf } from '../../core/auto-evict.js';
import type { NodeRecord } from '../../core/node-state.js';

const MIN = 60_000;
const NOW = 1_000 * MIN;
const OFFLINE_AFTER = 15_000;

/** A node last seen `offlineMin` minutes ago (0: online now). */
function node(name: string, offlineMin: number, props: Record<string, string> = {}, flags: NodeRecord['flags'] = []): NodeRecord {
  return { name, nodeType: 'SATELLITE', address: '10.0.0.1', port: 3366, flags, props, createdAt: 0, registeredAt: 1, agentStartedAt: 1, lastSeenAt: NOW - offlineMin * MIN };
}

const decide = (nodes: NodeRecord[], ctrl: Record<string, string> = {}) => autoEvictDecision(nodes, ctrl, NOW, OFFLINE_AFTER, MIN);

describe('which offline nodes are evicted', () => {
  it('evicts a node offline longer than AutoEvictAfterTime (default 60 minutes), not one offline for less', () => {
    const s = decide([node('n1', 0), node('n2', 0), node('n3', 61), node('n4', 0)]);
    expect(s.evict).toEqual(['n3']);
    expect(s.holdReason).toBeNull();
    const early = decide([node('n1', 0), node('n2', 0), node('n3', 59), node('n4', 0)]);
    expect(early.evict).toEqual([]);
    expect(early.status).toEqual([{ node: 'n3', offlineForMs: 59 * MIN, evictInMs: 1 * MIN }]);
  });

  it('AutoEvictAfterTime on the node wins over the controller', () => {
    const nodes = [node('n1', 0), node('n2', 0), node('n3', 10, { 'DrbdOptions/AutoEvictAfterTime': '5' }), node('n4', 0)];
    expect(decide(nodes, { 'DrbdOptions/AutoEvictAfterTime': '120' }).evict).toEqual(['n3']);
    expect(decide([node('n1', 0), node('n2', 0), node('n3', 10), node('n4', 0)], { 'DrbdOptions/AutoEvictAfterTime': '5' }).evict).toEqual(['n3']);
  });

  it('evicts nobody when 2 of 4 nodes are offline: 50% > AutoEvictMaxDisconnectedNodes 34%', () => {
    const s = decide([node('n1', 0), node('n2', 0), node('n3', 90), node('n4', 90)]);
    expect(s.evict).toEqual([]);
    expect(s.holdReason).toMatch(/2 of 4 nodes are offline \(50% > DrbdOptions\/AutoEvictMaxDisconnectedNodes=34%\)/);
    expect(s.status.map((x) => x.evictInMs)).toEqual([null, null]);
    // 1 of 3 is 33%, under the default; 100 evicts whatever the share
    expect(decide([node('n1', 0), node('n2', 0), node('n3', 90)]).evict).toEqual(['n3']);
    expect(decide([node('n1', 0), node('n2', 0), node('n3', 90), node('n4', 90)], { 'DrbdOptions/AutoEvictMaxDisconnectedNodes': '100' }).evict).toEqual(['n3', 'n4']);
  });

  it('AutoEvictMaxDisconnectedNodes=0 turns auto-evict off', () => {
    const s = decide([node('n1', 0), node('n2', 0), node('n3', 90), node('n4', 0)], { 'DrbdOptions/AutoEvictMaxDisconnectedNodes': '0' });
    expect(s.evict).toEqual([]);
    expect(s.holdReason).toMatch(/off/);
  });

  it('never evicts a node with AutoEvictAllowEviction=false, set on the node or on the controller', () => {
    const onNode = decide([node('n1', 0), node('n2', 0), node('n3', 90, { 'DrbdOptions/AutoEvictAllowEviction': 'false' }), node('n4', 0)]);
    expect(onNode.evict).toEqual([]);
    expect(onNode.status[0]!.note).toBe('DrbdOptions/AutoEvictAllowEviction=false');
    expect(decide([node('n1', 0), node('n2', 0), node('n3', 90), node('n4', 0)], { 'DrbdOptions/AutoEvictAllowEviction': 'false' }).evict).toEqual([]);
    // the node's own true wins over the controller's false
    expect(decide([node('n1', 0), node('n2', 0), node('n3', 90, { 'DrbdOptions/AutoEvictAllowEviction': 'true' }), node('n4', 0)], { 'DrbdOptions/AutoEvictAllowEviction': 'false' }).evict).toEqual(['n3']);
  });

  it('does not count or evict EVICTED nodes again, nor a node that never reported', () => {
    const never: NodeRecord = { ...node('n5', 0), lastSeenAt: null };
    const s = decide([node('n1', 0), node('n2', 0), node('n3', 90, {}, ['EVICTED']), node('n4', 90), never]);
    expect(s.nodes).toBe(4);
    expect(s.offline).toEqual(['n4']);
    expect(s.evict).toEqual(['n4']);
  });
});

describe('AutoEvictMinReplicaCount', () => {
  it('defaults to the resource group place count', () => {
    expect(minReplicaCountOf({}, 3)).toBe(3);
  });

  it('resource definition > resource group > controller', () => {
    const k = 'DrbdOptions/AutoEvictMinReplicaCount';
    expect(minReplicaCountOf({ controller: { [k]: '1' } }, 3)).toBe(1);
    expect(minReplicaCountOf({ rg: { [k]: '2' }, controller: { [k]: '1' } }, 3)).toBe(2);
    expect(minReplicaCountOf({ rd: { [k]: '4' }, rg: { [k]: '2' }, controller: { [k]: '1' } }, 3)).toBe(4);
  });
});
