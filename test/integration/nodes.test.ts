// The foundation story: a controller, three simulated hosts with their agents, and the operator's
// `ferry node ...` commands, on a real Temporal server.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Connection, Client } from '@temporalio/client';
import { startTestCluster, type TestCluster } from '../harness/cluster.js';

const nodes = ['node1', 'node2', 'node3'];
let cluster: TestCluster;

async function states(): Promise<Record<string, string>> {
  const list = await cluster.client.nodes.list();
  return Object.fromEntries(list.map((n) => [n.name, n.connection_status]));
}

beforeAll(async () => {
  cluster = await startTestCluster({ nodes, offlineAfterMs: 3000 });
});

afterAll(async () => {
  await cluster?.stop();
});

describe('nodes of a new cluster', () => {
  it('come Online in `ferry node list` once their agents have reported and been inventoried', async () => {
    await cluster.eventually('all nodes are ONLINE', async () => Object.values(await states()).every((s) => s === 'ONLINE'));
    const r = await cluster.ferry(['node', 'list']);
    expect(r.exitCode).toBe(0);
    for (const [i, n] of nodes.entries()) {
      expect(r.stdout).toMatch(new RegExp(`┊ ${n}\\s+┊ SATELLITE ┊ 127\\.0\\.0\\.${11 + i}:3366 \\(PLAIN\\)\\s+┊ Online\\s+┊`));
    }
    const json = JSON.parse(String((await cluster.ferry(['node', 'list', '-m'])).stdout)) as { name: string; connection_status: string }[];
    expect(json.map((n) => [n.name, n.connection_status])).toEqual(nodes.map((n) => [n, 'ONLINE']));
  });

  it("record each host's thin pool capacity, taken with vgs/lvs on that host by the registration workflow", async () => {
    const info = await cluster.client.nodes.get('node2');
    const inv = info.inventory as { thinPools: { vg: string; pool: string; totalBytes: number; freeBytes: number }[] };
    expect(inv.thinPools).toEqual([expect.objectContaining({ vg: 'vg', pool: 'thinpool' })]);
    expect(inv.thinPools[0].totalBytes).toBeGreaterThan(19 * 2 ** 30);
    expect(inv.thinPools[0].freeBytes).toBeLessThanOrEqual(inv.thinPools[0].totalBytes);

    const conn = await Connection.connect({ address: cluster.env.temporalAddress });
    try {
      const client = new Client({ connection: conn, namespace: cluster.env.namespace });
      const found: string[] = [];
      for await (const wf of client.workflow.list({ query: `FerryNode = "node2" AND FerryOperation = "node-register"` })) found.push(wf.workflowId);
      expect(found.length).toBeGreaterThanOrEqual(1);
      expect(found[0]).toMatch(/^node-register\/node2\//);
      const desc = await client.workflow.getHandle(found[0]).describe();
      expect(desc.status.name).toBe('COMPLETED');
      expect(await desc.staticSummary()).toContain('Register node node2');
    } finally {
      await conn.close();
    }
  });

  it('turn OFFLINE when their agent is killed, and Online again when it restarts', async () => {
    await cluster.stopAgent('node2', 'SIGKILL');
    await cluster.eventually('node2 is OFFLINE', async () => (await states()).node2 === 'OFFLINE', 30_000);
    expect((await states()).node1).toBe('ONLINE');
    const r = await cluster.ferry(['node', 'list']);
    expect(r.stdout).toMatch(/┊ node2\s+┊ SATELLITE ┊ [^┊]+┊ OFFLINE\s+┊/);
    cluster.startAgent('node2');
    await cluster.eventually('node2 is ONLINE again', async () => (await states()).node2 === 'ONLINE', 30_000);
  });
});

describe('bad input to `ferry node create`', () => {
  it('is refused with a clear message, a non-zero exit and no change', async () => {
    const before = await cluster.client.nodes.list();
    const badName = await cluster.ferry(['node', 'create', 'bad name;rm', '1.2.3.4']);
    expect(badName.exitCode).toBe(2);
    expect(badName.stderr).toMatch(/node name 'bad name;rm' cannot contain ' '/);
    const badIp = await cluster.ferry(['node', 'create', 'n9', 'not-an-ip']);
    expect(badIp.exitCode).toBe(2);
    expect(badIp.stderr).toMatch(/node address 'not-an-ip' is not an IP address/);
    const dup = await cluster.ferry(['node', 'create', 'node1', '127.0.0.99']);
    expect(dup.exitCode).toBe(5); // conflict, as core/errors.ts maps it
    expect(dup.stderr).toMatch(/node 'node1' already exists/);
    expect((await cluster.client.nodes.list()).map((n) => n.name)).toEqual(before.map((n) => n.name));
  });

  it('is refused by the REST API with HTTP 400 naming the field', async () => {
    const res = await fetch(`${cluster.controllerUrl}/v1/nodes`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: '../etc', net_interfaces: [{ address: '10.0.0.1' }] }),
    });
    expect(res.status).toBe(400);
    const body = (await res.json()) as { message: string }[];
    expect(body[0].message).toMatch(/^name: /);
    expect((await cluster.client.nodes.list()).map((n) => n.name)).toEqual(nodes);
  });
});

describe('a node added later', () => {
  it('is not listed while only its agent runs, and comes Online after `ferry node create`', async () => {
    await cluster.sim(['host', 'init', 'node4', '--vg', 'vg', '--pool', 'thinpool', '--size', '10G']);
    cluster.startAgent('node4');
    // the agent is up, but the node is not in the catalog yet: it is not listed
    await new Promise((r) => setTimeout(r, 1500));
    expect((await cluster.client.nodes.list()).map((n) => n.name)).not.toContain('node4');
    const r = await cluster.ferry(['node', 'create', 'node4', '127.0.0.14']);
    expect(r.exitCode).toBe(0);
    await cluster.eventually('node4 is ONLINE', async () => (await states()).node4 === 'ONLINE');
  });
});
