import { describe, expect, it } from '@jest/globals';
import { connectionStatus, displayState, type NodeRecord } from '../../core/node-state.js';

const base: NodeRecord = {
  name: 'node1', nodeType: 'SATELLITE', address: '10.0.0.1', port: 3366, flags: [], props: {},
  createdAt: 0, registeredAt: null, agentStartedAt: null, lastSeenAt: null,
};
const now = 100_000;
const after = 15_000;

describe('a node’s state', () => {
  it.each<[string, Partial<NodeRecord>, string]>([
    ['never heard from its agent: OFFLINE', {}, 'OFFLINE'],
    ['agent reported, registration not finished: CONNECTED', { lastSeenAt: now - 1000, agentStartedAt: now - 2000 }, 'CONNECTED'],
    ['agent reported and was inventoried: ONLINE', { lastSeenAt: now - 1000, agentStartedAt: now - 5000, registeredAt: now - 4000 }, 'ONLINE'],
    ['restarted agent not yet re-inventoried: CONNECTED', { lastSeenAt: now - 100, agentStartedAt: now - 500, registeredAt: now - 50_000 }, 'CONNECTED'],
    ['silent for longer than the limit: OFFLINE', { lastSeenAt: now - after - 1, agentStartedAt: 1, registeredAt: 2 }, 'OFFLINE'],
  ])('%s', (_story, patch, expected) => {
    expect(connectionStatus({ ...base, ...patch }, now, after)).toBe(expected);
  });

  it('shows EVICTED and EVACUATE as LINSTOR does', () => {
    const online = { ...base, lastSeenAt: now, agentStartedAt: 1, registeredAt: 2 };
    expect(displayState(online, now, after)).toBe('Online');
    expect(displayState({ ...online, flags: ['EVACUATE'] }, now, after)).toBe('Online (EVACUATE)');
    expect(displayState({ ...base, flags: ['EVICTED'] }, now, after)).toBe('EVICTED');
  });
});
