// The controller is killed (SIGKILL) in the middle of `r create`, while node2's `drbdadm adjust`
// is slow; the restarted controller's worker picks the createResource workflow up where it was:
// the resource ends UpToDate on three nodes with exactly one LV per node, one DRBD minor and
// distinct DRBD node ids, as if nothing had happened.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execa } from 'execa';
import { Catalog } from '../../catalog/index.js';
import { createResourceActivities } from '../../activities/controller/resources.js';
import { simAgentEnv } from '../../sim/launcher.js';
import { startTestCluster, type TestCluster } from '../harness/cluster.js';

const nodes = ['node1', 'node2', 'node3'];
let cluster: TestCluster;

beforeAll(async () => {
  cluster = await startTestCluster({ nodes, offlineAfterMs: 5000 });
  await cluster.eventually('all nodes are ONLINE', async () => (await cluster.client.nodes.list()).every((n) => n.connection_status === 'ONLINE'), 60_000);
  for (const n of nodes) expect((await cluster.ferry(['sp', 'c', 'lvmthin', n, 'pool1', 'vg/thinpool'])).exitCode).toBe(0);
});

afterAll(async () => {
  await cluster?.stop();
});

/** The LVs the host's own (simulated) lvs reports, run with that node's environment. */
async function hostLvs(node: string): Promise<string[]> {
  const r = await execa('lvs', ['--reportformat', 'json', '-o', 'lv_name,vg_name'], { env: simAgentEnv(cluster.env, node, [cluster.controllerUrl]), reject: false });
  expect({ node, code: r.exitCode, err: r.stderr }).toEqual({ node, code: 0, err: '' });
  const report = JSON.parse(String(r.stdout)) as { report: { lv: { lv_name: string; vg_name: string }[] }[] };
  return report.report.flatMap((x) => x.lv).map((lv) => `${lv.vg_name}/${lv.lv_name}`).filter((n) => !n.endsWith('/thinpool'));
}

describe('a controller killed in the middle of `r create`', () => {
  it('is restarted and the resource is completed, with no duplicate LVs, minors or node ids', async () => {
    expect((await cluster.ferry(['rd', 'c', 'crash0'])).exitCode).toBe(0);
    expect((await cluster.ferry(['vd', 'c', 'crash0', '32M'])).exitCode).toBe(0);
    const fault = await cluster.sim(['fault', 'add', 'node2', 'drbdadm', 'adjust', '--delay-ms', '3000', '--times', '1']);
    expect(fault.exitCode).toBe(0);

    const op = await cluster.client.resources.autoPlace({ resource: 'crash0', placeCount: 3, storagePool: 'pool1' });
    await cluster.eventually('the workflow is configuring the hosts', async () => {
      const p = (await op.progress()) as { phase?: string } | null;
      return p?.phase === 'configuring hosts';
    }, 60_000);
    await cluster.restartController('SIGKILL');

    const res = (await op.result()) as { nodes: string[] };
    expect([...res.nodes].sort()).toEqual(nodes);
    expect((await op.describe()).status).toBe('COMPLETED');

    for (const n of nodes) expect(await hostLvs(n)).toEqual(['vg/crash0_00000']);
    const rs = await cluster.client.resources.list({ resources: ['crash0'] });
    expect(rs.map((r) => [r.node_name, r.volumes[0]!.state.disk_state])).toEqual(nodes.map((n) => [n, 'UpToDate']));
    expect(new Set(rs.map((r) => r.layer_object.drbd.node_id)).size).toBe(3);
    const vds = await cluster.client.volumeDefinitions.list('crash0');
    expect(vds.map((v) => v.layer_data[0]!.data.minor_number)).toEqual([1000]);
    expect(rs.flatMap((r) => r.volumes.map((v) => v.device_path))).toEqual(['/dev/drbd1000', '/dev/drbd1000', '/dev/drbd1000']);
    // and the data path works: written on node1, read on node3
    expect((await cluster.sim(['io', 'write', '--node', 'node1', '--resource', 'crash0', '--pattern', '5', '--length', '1M'])).exitCode).toBe(0);
    expect((await cluster.sim(['io', 'verify', '--node', 'node3', '--resource', 'crash0', '--pattern', '5', '--length', '1M'])).exitCode).toBe(0);
  });

  it('a placement recorded by an attempt whose result was lost still gets its LV and DRBD on the retry', async () => {
    // chaos seed 3120: the controller was killed after its placement step had written the replica
    // to the catalog but before the workflow task recorded the result; the retried step found the
    // replica already there, called it not new, and the node never got its LV (the create hung).
    // Here the lost first attempt is the same step run against the catalog before the workflow.
    expect((await cluster.ferry(['rd', 'c', 'lost0'])).exitCode).toBe(0);
    expect((await cluster.ferry(['vd', 'c', 'lost0', '16M'])).exitCode).toBe(0);
    const catalog = await Catalog.open(cluster.catalogUrl);
    let placed: string[];
    try {
      const first = await createResourceActivities({ catalog }).catalogPlaceResource({ resource: 'lost0', placeCount: 1, storagePool: 'pool1' });
      placed = first.added;
    } finally {
      await catalog.close();
    }
    expect(placed).toHaveLength(1);
    const node = placed[0]!;

    const op = await cluster.client.resources.autoPlace({ resource: 'lost0', placeCount: 1, storagePool: 'pool1' });
    const outcome = await Promise.race([
      op.result().then((r) => r as { nodes: string[]; added: string[] }),
      new Promise<'still running'>((resolve) => setTimeout(() => resolve('still running'), 60_000).unref()),
    ]);
    expect(outcome).toEqual({ resource: 'lost0', nodes: [node], added: [node] });
    expect(await hostLvs(node)).toContain('vg/lost0_00000');
    const rs = await cluster.client.resources.list({ resources: ['lost0'] });
    expect(rs.map((r) => [r.node_name, r.volumes[0]!.state.disk_state])).toEqual([[node, 'UpToDate']]);
    expect((await cluster.sim(['io', 'write', '--node', node, '--resource', 'lost0', '--pattern', '7', '--length', '1M'])).exitCode).toBe(0);
    expect((await cluster.sim(['io', 'verify', '--node', node, '--resource', 'lost0', '--pattern', '7', '--length', '1M'])).exitCode).toBe(0);
  }, 120_000);
});
