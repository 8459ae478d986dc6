// `ferry-sim node add|stop|start|remove` on a running cluster: the operator grows the simulated
// cluster by one host, stops and restarts agents (those the launcher started too), and removes a host.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { readAgentPid } from '../../sim/launcher.js';
import { startTestCluster, type TestCluster } from '../harness/cluster.js';

let cluster: TestCluster;

async function states(): Promise<Record<string, string>> {
  return Object.fromEntries((await cluster.client.nodes.list()).map((n) => [n.name, n.connection_status]));
}

beforeAll(async () => {
  cluster = await startTestCluster({ nodes: ['node1', 'node2'], offlineAfterMs: 3000 });
  await cluster.eventually('node1 and node2 are ONLINE', async () => Object.values(await states()).every((s) => s === 'ONLINE'), 60_000);
});

afterAll(async () => {
  await cluster?.stop();
});

describe('ferry-sim node', () => {
  it('add: a new host with its thin pool, created in the catalog with the next address, comes Online', async () => {
    const r = await cluster.sim(['node', 'add', 'node3', '--size', '10G']);
    expect({ code: r.exitCode, err: r.stderr }).toEqual({ code: 0, err: '' });
    expect(r.stdout).toMatch(/node node3 created \(127\.0\.0\.13\)/);
    expect(r.stdout).toMatch(/agent of node3 started \(pid \d+; log .*agent-node3\.log\)/);
    expect(existsSync(join(cluster.dir, 'logs', 'agent-node3.log'))).toBe(true);
    await cluster.eventually('node3 is ONLINE', async () => (await states()).node3 === 'ONLINE', 30_000);
    const info = await cluster.client.nodes.get('node3');
    expect(info.net_interfaces[0]!.address).toBe('127.0.0.13');
    expect((info.inventory as { thinPools: { vg: string; pool: string }[] }).thinPools).toEqual([expect.objectContaining({ vg: 'vg', pool: 'thinpool' })]);

    // again: nothing new, the agent runs already
    const again = await cluster.sim(['node', 'add', 'node3', '--size', '10G']);
    expect(again.exitCode).toBe(0);
    expect(again.stdout).toMatch(/node node3 is in the catalog already/);
    expect(again.stdout).toMatch(/agent of node3 runs already/);
  });

  it('stop: the agent of a node the harness started ends, the node turns OFFLINE; start brings it back', async () => {
    const pid = readAgentPid(cluster.env.simRoot, 'node2')!.pid;
    const stop = await cluster.sim(['node', 'stop', 'node2']);
    expect({ code: stop.exitCode, out: stop.stdout }).toEqual({ code: 0, out: `agent of node2 stopped (pid ${pid})` });
    expect(readAgentPid(cluster.env.simRoot, 'node2')).toBeNull();
    await cluster.eventually('node2 is OFFLINE', async () => (await states()).node2 === 'OFFLINE', 30_000);
    expect((await cluster.sim(['node', 'stop', 'node2'])).stdout).toBe('agent of node2 was not running');

    const start = await cluster.sim(['node', 'start', 'node2']);
    expect({ code: start.exitCode, err: start.stderr }).toEqual({ code: 0, err: '' });
    expect(readAgentPid(cluster.env.simRoot, 'node2')?.pid).not.toBe(pid);
    await cluster.eventually('node2 is ONLINE again', async () => (await states()).node2 === 'ONLINE', 30_000);
  });

  it('stop --kill: a crash of the agent (SIGKILL); the node turns OFFLINE', async () => {
    const kill = await cluster.sim(['node', 'stop', 'node3', '--kill']);
    expect(kill.stdout).toMatch(/agent of node3 killed \(pid \d+\)/);
    await cluster.eventually('node3 is OFFLINE', async () => (await states()).node3 === 'OFFLINE', 30_000);
    expect((await cluster.sim(['node', 'start', 'node3'])).exitCode).toBe(0);
    await cluster.eventually('node3 is ONLINE again', async () => (await states()).node3 === 'ONLINE', 30_000);
  });

  it('remove: refused while the catalog has a resource on the node, then stops the agent and deletes the host', async () => {
    for (const n of ['node1', 'node3']) expect((await cluster.ferry(['sp', 'c', 'lvmthin', n, 'pool1', 'vg/thinpool'])).exitCode).toBe(0);
    expect((await cluster.ferry(['rd', 'c', 'app0'])).exitCode).toBe(0);
    expect((await cluster.ferry(['vd', 'c', 'app0', '8M'])).exitCode).toBe(0);
    expect((await cluster.ferry(['r', 'c', 'node1', 'node3', 'app0', '--storage-pool', 'pool1'])).exitCode).toBe(0);

    const refused = await cluster.sim(['node', 'remove', 'node3']);
    expect(refused.exitCode).toBe(1);
    expect(refused.stderr).toMatch(/node node3 still has resources: app0/);
    expect(readAgentPid(cluster.env.simRoot, 'node3')).not.toBeNull();
    expect(existsSync(join(cluster.env.simRoot, 'node3'))).toBe(true);

    expect((await cluster.ferry(['r', 'd', 'node3', 'app0'])).exitCode).toBe(0);
    const removed = await cluster.sim(['node', 'remove', 'node3']);
    expect({ code: removed.exitCode, err: removed.stderr }).toEqual({ code: 0, err: '' });
    expect(removed.stdout).toMatch(/agent of node3 stopped/);
    expect(existsSync(join(cluster.env.simRoot, 'node3'))).toBe(false);
    await cluster.eventually('node3 is OFFLINE', async () => (await states()).node3 === 'OFFLINE', 30_000);
  });

  it('refuses a node that has no simulated host', async () => {
    const r = await cluster.sim(['node', 'start', 'node9']);
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toMatch(/no simulated node node9/);
  });
});
