// A new replica's resync survives the tools that observe it being killed at any point: whatever
// drbdsetup/drbdadm call dies mid-way (a node agent killed with it), the "kernel" state it leaves lets
// the next observation carry on, and the new replica ends byte for byte equal to its source with its
// thin pool in good order. (The evacuation story of issue 23 ended with wrong bytes on a new replica.)
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createResource, drbdadm, expectOk, io, lvSha, MiB, SimCluster, viaDrbd, waitSynced, writeResFile } from './drbd-helpers.js';
import type { ResourceLayout } from './drbd-helpers.js';

let c: SimCluster;

beforeAll(async () => {
  c = new SimCluster({ tools: 'process' });
  for (const n of ['node1', 'node2', 'node3']) await c.initHost(n, ['--size', '1G']);
});
afterAll(() => c.cleanup());

describe('a resync whose observers are killed', () => {
  it('ends with the new replica equal to its source, whichever write the killed calls stopped before', async () => {
    // node1 holds data, node3 another resource in the same pool as the new replica's (its chunks
    // must stay its own); node2 joins r and fully syncs at 4 MiB/s
    const r: ResourceLayout = { name: 'r', port: 7100, sizeMiB: 8, nodes: [['node1', true]], minor: 1100, options: { disk: { 'c-max-rate': '4M' } } };
    const other: ResourceLayout = { name: 'other', port: 7101, sizeMiB: 8, nodes: [['node2', true]], minor: 1101 };
    await createResource(c, r);
    await createResource(c, other);
    expectOk(await io(c, 'write', 'node1', viaDrbd('r'), 0, 3 * MiB, 'data'));
    const grown: ResourceLayout = { ...r, nodes: [['node1', true], ['node2', true]] };
    writeResFile(c, grown);
    expectOk(await c.tool('node2', 'lvcreate', ['-V', '8M', '-T', 'vg/thinpool', '-n', 'r_00000']));
    expectOk(await drbdadm(c, 'node2', '--max-peers', '7', '--', '--force', 'create-md', 'r/0'));
    expectOk(await drbdadm(c, 'node1', 'adjust', 'r'));
    expectOk(await drbdadm(c, 'node2', 'adjust', 'r'));

    let kills = 0;
    for (let i = 0; i < 60; i++) {
      await new Promise((res) => setTimeout(res, 40));
      const node = i % 2 === 0 ? 'node2' : 'node1';
      const call = i % 3 === 0 ? ['drbdadm', ['status', 'r']] as const : ['drbdsetup', ['status', 'r', '--json']] as const;
      const run = await c.toolCrashing(node, call[0], [...call[1]], (i % 7) + 1);
      if (run.killed) kills++;
      // while the resync goes on, the other resource writes fresh chunks into node2's pool
      if (i % 5 === 0) expectOk(await io(c, 'write', 'node2', viaDrbd('other'), (i % 8) * MiB, MiB, `o${i}`));
      expect({ i, over: c.overMappedChunks('node2') }).toEqual({ i, over: [] });
    }
    expect(kills).toBeGreaterThan(20);
    await waitSynced(c, 'node2', 'r');
    expect(await lvSha(c, 'node2', 'r')).toBe(await lvSha(c, 'node1', 'r'));
    expectOk(await io(c, 'verify', 'node2', viaDrbd('r'), 0, 3 * MiB, 'data'));
    expect(c.overMappedChunks('node2')).toEqual([]);
  });
});
