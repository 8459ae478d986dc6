// The operator's story of live LVM usage (issue 23): each agent watches its host's thin pools and
// volumes and reports them, so that `sp l`, `v l` and the autoplacer see a pool fill up, a volume
// grow, and a node's figures go stale when its agent dies — without restarting anything.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startTestCluster, type TestCluster } from '../harness/cluster.js';

const nodes = ['node1', 'node2', 'node3'];
const MiB_KiB = 1024;
const GiB_KiB = 1024 * 1024;
let cluster: TestCluster;

interface PoolJson { storage_pool_name: string; node_name: string; free_capacity?: number; total_capacity?: number; capacity_reported_at: number | null; capacity_stale: boolean }
interface ResourceJson { name: string; node_name: string; volumes: { allocated_size_kib: number | null; allocated_reported_at: number | null; allocated_stale: boolean }[] }

async function pool(node: string): Promise<PoolJson> {
  const r = await cluster.ferry(['sp', 'l', '-m', '-s', 'pool1']);
  expect(r.exitCode).toBe(0);
  return (JSON.parse(String(r.stdout)) as PoolJson[]).find((p) => p.node_name === node)!;
}

async function allocatedKib(resource: string, node: string): Promise<number | null> {
  const r = await cluster.ferry(['v', 'l', '-m', '-r', resource]);
  expect(r.exitCode).toBe(0);
  return (JSON.parse(String(r.stdout)) as ResourceJson[]).find((x) => x.node_name === node)!.volumes[0]!.allocated_size_kib;
}

async function define(name: string, size: string): Promise<void> {
  expect((await cluster.ferry(['rd', 'c', name])).exitCode).toBe(0);
  expect((await cluster.ferry(['vd', 'c', name, size])).exitCode).toBe(0);
}

beforeAll(async () => {
  cluster = await startTestCluster({ nodes, offlineAfterMs: 3000, env: { FERRY_AGENT_USAGE_MS: '1000' } });
  await cluster.eventually('all nodes are ONLINE', async () => (await cluster.client.nodes.list()).every((n) => n.connection_status === 'ONLINE'), 60_000);
  for (const n of nodes) expect((await cluster.ferry(['sp', 'c', 'lvmthin', n, 'pool1', 'vg/thinpool'])).exitCode).toBe(0);
});

afterAll(async () => {
  await cluster?.stop();
});

describe('a full pool', () => {
  it("is seen by `sp l` and by the next placement without restarting anything", async () => {
    const before = await pool('node2');
    expect(before.free_capacity).toBeGreaterThan(19 * GiB_KiB);
    expect((await cluster.sim(['pool', 'fill', 'node2', 'vg/thinpool', '--remaining', '8M'])).exitCode).toBe(0);
    await cluster.eventually('node2 reports its pool nearly full', async () => ((await pool('node2')).free_capacity ?? Infinity) < 16 * MiB_KiB, 15_000);
    const full = await pool('node2');
    expect(full.total_capacity).toBe(before.total_capacity);
    expect(full.capacity_reported_at).toBeGreaterThan(before.capacity_reported_at ?? 0);
    expect(full.capacity_stale).toBe(false);
    expect((await pool('node1')).free_capacity).toBeGreaterThan(19 * GiB_KiB);
    const table = await cluster.ferry(['sp', 'l']);
    expect(table.stdout).toMatch(/┊ pool1\s+┊ node2\s+┊ LVM_THIN ┊ vg\/thinpool ┊ [0-9.]+ MiB\s+┊ 19\.96 GiB\s+┊/);

    // bigger than 8M x 20 (LINSTOR's default MaxOversubscriptionRatio): node2 cannot take it
    await define('big', '256M');
    const two = await cluster.ferry(['r', 'c', 'big', '--auto-place', '2']);
    expect({ code: two.exitCode, err: two.stderr }).toEqual({ code: 0, err: '' });
    const placed = (await cluster.client.resources.list({ resources: ['big'] })).map((r) => r.node_name).sort();
    expect(placed).toEqual(['node1', 'node3']);

    await define('big3', '256M');
    const three = await cluster.ferry(['r', 'c', 'big3', '--auto-place', '3']);
    expect(three.exitCode).not.toBe(0);
    expect(three.stderr).toMatch(/Not enough available nodes/);
    expect(three.stderr).toMatch(/node2/);
    expect(await cluster.client.resources.list({ resources: ['big3'] })).toEqual([]);
  });

  it('comes back after `pool unfill`, and placement uses it again', async () => {
    expect((await cluster.sim(['pool', 'unfill', 'node2', 'vg/thinpool'])).exitCode).toBe(0);
    await cluster.eventually('node2 reports its pool free again', async () => ((await pool('node2')).free_capacity ?? 0) > 19 * GiB_KiB, 15_000);
    const three = await cluster.ferry(['r', 'c', 'big3', '--auto-place', '3']);
    expect({ code: three.exitCode, err: three.stderr }).toEqual({ code: 0, err: '' });
  });
});

describe("a volume's Allocated", () => {
  it('grows in `v l` after data is written through DRBD', async () => {
    const before1 = (await allocatedKib('big', 'node1')) ?? 0;
    const before3 = (await allocatedKib('big', 'node3')) ?? 0;
    const w = await cluster.sim(['io', 'write', '--node', 'node1', '--resource', 'big', '--pattern', '5', '--length', '16M']);
    expect({ code: w.exitCode, err: w.stderr }).toEqual({ code: 0, err: '' });
    await cluster.eventually('both replicas report 16M more allocated', async () =>
      ((await allocatedKib('big', 'node1')) ?? 0) >= before1 + 15 * MiB_KiB && ((await allocatedKib('big', 'node3')) ?? 0) >= before3 + 15 * MiB_KiB, 15_000);
    const table = await cluster.ferry(['v', 'l', '-r', 'big']);
    expect(table.stdout).toMatch(/┊ node1\s+┊ big\s+┊ pool1\s+┊ 0\s+┊ \d+\s+┊ \/dev\/drbd\d+\s+┊ 1[6-9](\.\d+)? MiB\s+┊/);
  });
});

describe("a dead agent's figures", () => {
  it('are shown as stale, not as the old figure, and current again once it is back', async () => {
    await cluster.stopAgent('node3', 'SIGKILL');
    await cluster.eventually('node3 is OFFLINE', async () => (await cluster.client.nodes.list()).find((n) => n.name === 'node3')!.connection_status === 'OFFLINE', 30_000);
    const p = await pool('node3');
    expect(p.capacity_stale).toBe(true);
    expect(p.free_capacity).toBeUndefined();
    expect(p.total_capacity).toBeUndefined();
    expect(p.capacity_reported_at).not.toBeNull();
    const table = await cluster.ferry(['sp', 'l']);
    expect(table.stdout).toMatch(/┊ pool1\s+┊ node3\s+┊ LVM_THIN ┊ vg\/thinpool ┊\s+┊\s+┊ True\s+┊ Warning/);
    expect(await allocatedKib('big', 'node3')).toBeNull();
    expect(await allocatedKib('big', 'node1')).toBeGreaterThan(15 * MiB_KiB);

    cluster.startAgent('node3');
    await cluster.eventually('node3 reports again', async () => (await pool('node3')).free_capacity !== undefined, 60_000);
    expect(await allocatedKib('big', 'node3')).toBeGreaterThan(15 * MiB_KiB);
  });
});

describe('bad usage reports', () => {
  it('are refused with a clear 4xx and change nothing', async () => {
    const url = (node: string) => `${cluster.controllerUrl}/v1/internal/agents/${node}/usage`;
    const post = (node: string, body: unknown) => fetch(url(node), { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const before = await pool('node1');
    const good = { agentStartedAt: Date.now(), takenAt: Date.now(), volumes: [] };
    const cases: [string, unknown, number, RegExp][] = [
      ['node1', { ...good, thinPools: [{ vg: 'vg', pool: 'thinpool', totalBytes: 10, freeBytes: 20 }] }, 400, /freeBytes must not exceed totalBytes/],
      ['node1', { ...good, thinPools: [{ vg: '--force', pool: 'thinpool', totalBytes: 10, freeBytes: 5 }] }, 400, /thinPools\.0\.vg: an LVM name/],
      ['node1', { ...good, thinPools: 'all' }, 400, /thinPools/],
      ['node1', { ...good, agentStartedAt: 1, thinPools: [{ vg: 'vg', pool: 'thinpool', totalBytes: 10, freeBytes: 5 }] }, 409, /newer agent/],
      ['node9', { ...good, thinPools: [] }, 404, /node 'node9' is not in the catalog/],
    ];
    for (const [node, body, status, message] of cases) {
      const r = await post(node, body);
      const text = await r.text();
      expect({ node, status: r.status, text }).toEqual({ node, status, text: expect.stringMatching(message) });
    }
    const after = await pool('node1');
    expect(after.total_capacity).toBe(before.total_capacity);
    expect(after.free_capacity).toBeGreaterThan(10);
  });
});
