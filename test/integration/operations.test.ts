// The operator's story of following operations: progress of `r create` in the CLI, the operation
// list filtered like the Web UI (by node, by resource, running), a create that cannot finish
// because lvcreate fails on node2, found with `ferry err list/show` and cancelled with
// `ferry operation cancel`, and Prometheus metrics of the controller and of the agents.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startTestCluster, type TestCluster } from '../harness/cluster.js';
import { agentMetricsUrl, metricValue, scrapeMetrics } from '../harness/checks.js';

const nodes = ['node1', 'node2'];
let cluster: TestCluster;

beforeAll(async () => {
  cluster = await startTestCluster({ nodes, offlineAfterMs: 5000 });
  await cluster.eventually('all nodes are ONLINE', async () => (await cluster.client.nodes.list()).every((n) => n.connection_status === 'ONLINE'), 60_000);
  for (const n of nodes) expect((await cluster.ferry(['sp', 'c', 'lvmthin', n, 'pool1', 'vg/thinpool'])).exitCode).toBe(0);
});

afterAll(async () => {
  await cluster?.stop();
});

/** The value of one sample of a Prometheus text, or 0 when absent. */
const sample = (text: string, name: string, labels: Record<string, string>): number => metricValue(text, name, labels) ?? 0;
const scrape = scrapeMetrics;

const agentMetrics = (node: string) => agentMetricsUrl(cluster, node);

describe('following an operation', () => {
  it('r create shows its progress as plain lines when not on a terminal, then SUCCESS', async () => {
    expect((await cluster.ferry(['rd', 'c', 'web0'])).exitCode).toBe(0);
    expect((await cluster.ferry(['vd', 'c', 'web0', '64M'])).exitCode).toBe(0);
    // a slow drbdadm adjust on node1 keeps the operation in "configuring hosts" for a while
    expect((await cluster.sim(['fault', 'add', 'node1', 'drbdadm', 'adjust', '--times', '1', '--delay-ms', '2500'])).exitCode).toBe(0);
    const r = await cluster.ferry(['r', 'c', 'node1', 'node2', 'web0', '-s', 'pool1']);
    expect({ code: r.exitCode, err: r.stderr }).toEqual({ code: 0, err: '' });
    expect(r.stdout).toMatch(/^resource-create\/web0: configuring hosts: [0-2]\/2 nodes/m);
    expect(r.stdout).toMatch(/SUCCESS: Resource 'web0' created on node1, node2 \(operation resource-create\/web0\)/);
  });

  it('operation list filters by node and resource (FerryNode, FerryResource) and show tells the outcome', async () => {
    const byNode = await cluster.ferry(['op', 'list', '--node', 'node2', '-m']);
    expect(byNode.exitCode).toBe(0);
    const ops = JSON.parse(String(byNode.stdout)) as { workflow_id: string; status: string; nodes: string[] }[];
    expect(ops.find((o) => o.workflow_id === 'storage-pool-create/node2/pool1')).toMatchObject({ status: 'COMPLETED', nodes: ['node2'] });
    // FerryNode is a keyword list: the create of a resource on node1 and node2 is found by either
    expect(ops.find((o) => o.workflow_id === 'resource-create/web0')).toMatchObject({ status: 'COMPLETED', nodes: ['node1', 'node2'] });
    expect(ops.length).toBeGreaterThanOrEqual(3); // node-create, node-register, storage-pool-create, resource-create
    expect(ops.every((o) => o.nodes.includes('node2'))).toBe(true);
    const byRsc = await cluster.ferry(['op', 'l', '--resource', 'web0']);
    expect(byRsc.stdout).toMatch(/┊ resource-create\/web0 ┊ createResource\s+┊ COMPLETED ┊ node1,node2 ┊ web0/);
    expect(byRsc.stdout).not.toMatch(/pool1/);
    const show = await cluster.ferry(['op', 'show', 'resource-create/web0']);
    expect(show.exitCode).toBe(0);
    expect(show.stdout).toMatch(/COMPLETED/);
    const bad = await cluster.ferry(['op', 'list', '--node', 'bad/name']);
    expect(bad.exitCode).toBe(2);
  });

  it('controller and agents serve Prometheus metrics: operations by type, host commands, pools, liveness, Temporal SDK', async () => {
    const c = await scrape(`${cluster.controllerUrl}/metrics`);
    expect(sample(c, 'ferry_operations_started_total', { type: 'createResource' })).toBeGreaterThanOrEqual(1);
    expect(sample(c, 'ferry_operations_completed_total', { type: 'createResource' })).toBeGreaterThanOrEqual(1);
    expect(sample(c, 'ferry_operation_duration_seconds_count', { type: 'createResource', outcome: 'completed' })).toBeGreaterThanOrEqual(1);
    expect(sample(c, 'ferry_pool_total_bytes', { node: 'node1', pool: 'pool1' })).toBeGreaterThan(19 * 2 ** 30);
    expect(sample(c, 'ferry_pool_free_bytes', { node: 'node2', pool: 'pool1' })).toBeGreaterThan(0);
    expect(sample(c, 'ferry_node_up', { node: 'node1' })).toBe(1);
    expect(c).toMatch(/^temporal_\w+/m);
    for (const n of nodes) {
      const a = await scrape(agentMetrics(n));
      expect({ n, lvcreate: sample(a, 'ferry_host_commands_total', { command: 'lvcreate', outcome: 'ok' }) >= 1 }).toEqual({ n, lvcreate: true });
      expect(sample(a, 'ferry_host_commands_total', { command: 'drbdadm', outcome: 'ok' })).toBeGreaterThanOrEqual(1);
      expect(sample(a, 'ferry_host_command_duration_seconds_count', { command: 'lvcreate' })).toBeGreaterThanOrEqual(1);
    }
  });
});

describe('a create that cannot finish', () => {
  let reportId = '';

  it('r create --no-wait prints the operation id and returns at once', async () => {
    expect((await cluster.sim(['fault', 'add', 'node2', 'lvcreate', '--times', '100', '--exit-code', '5', '--stderr', '  Insufficient free space'])).exitCode).toBe(0);
    expect((await cluster.ferry(['rd', 'c', 'db9'])).exitCode).toBe(0);
    expect((await cluster.ferry(['vd', 'c', 'db9', '64M'])).exitCode).toBe(0);
    const r = await cluster.ferry(['r', 'c', 'node1', 'node2', 'db9', '-s', 'pool1', '--no-wait']);
    expect({ code: r.exitCode, out: r.stdout, err: r.stderr }).toEqual({ code: 0, out: 'resource-create/db9', err: '' });
  });

  it('err list names node2 and the operation; err show gives the lvcreate command line, exit code and stderr', async () => {
    await cluster.eventually('an error report of node2 exists', async () => {
      const l = await cluster.ferry(['err', 'list', '-m']);
      const reports = JSON.parse(String(l.stdout)) as { id: string; node: string | null; workflowId: string }[];
      reportId = reports.find((x) => x.node === 'node2' && x.workflowId === 'resource-create/db9')?.id ?? '';
      return reportId !== '';
    }, 60_000);
    const table = await cluster.ferry(['err', 'list', '--nodes', 'node2']);
    expect(table.stdout).toMatch(new RegExp(`┊ ${reportId} ┊ [^┊]+┊ node2 ┊ resource-create/db9 ┊`));
    const show = await cluster.ferry(['err', 'show', reportId]);
    expect(show.exitCode).toBe(0);
    expect(show.stdout).toMatch(/Node: +node2/);
    expect(show.stdout).toMatch(/Operation: +resource-create\/db9 \(createResource\)/);
    expect(show.stdout).toMatch(/Command: +lvcreate .*--thinpool thinpool --name db9_00000 vg$/m);
    expect(show.stdout).toMatch(/Exit code: +5/);
    expect(show.stdout).toMatch(/Stderr \(tail\):\n +Insufficient free space/);
    // the REST path of LINSTOR
    const rest = await (await fetch(`${cluster.controllerUrl}/v1/error-reports/${reportId}`)).json() as { exitCode: number };
    expect(rest.exitCode).toBe(5);
  });

  it('operation show says why it is blocked; list --running has it; cancel ends it CANCELLED', async () => {
    const running = JSON.parse(String((await cluster.ferry(['op', 'list', '--running', '-m'])).stdout)) as { workflow_id: string }[];
    expect(running.map((o) => o.workflow_id)).toContain('resource-create/db9');
    await cluster.eventually('the operation reports it is blocked by lvcreate', async () => {
      const s = await cluster.ferry(['op', 'show', 'resource-create/db9']);
      return /blocked: .*lvcreate failed with exit code 5/.test(String(s.stdout)) && String(s.stdout).includes(reportId);
    }, 30_000);
    const c = await cluster.ferry(['op', 'cancel', 'resource-create/db9']);
    expect(c.exitCode).toBe(0);
    await cluster.eventually('the operation is CANCELLED', async () => (await cluster.client.operations.get('resource-create/db9')).status === 'CANCELLED', 30_000);
    const again = await cluster.ferry(['op', 'cancel', 'resource-create/db9']);
    expect(again.exitCode).toBe(5);
    const a = await scrape(agentMetrics('node2'));
    expect(sample(a, 'ferry_host_command_failures_total', { command: 'lvcreate', exit_code: '5' })).toBeGreaterThanOrEqual(1);
  });
});
