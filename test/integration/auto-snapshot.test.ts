// The operator's story of AutoSnapshot: DrbdOptions/AutoSnapshot/RunEvery set on a resource group
// gives each of its resource definitions a Temporal Schedule `auto-snapshot/<rsc>` firing every
// RunEvery minutes; the resource definition's own value wins; bad values are refused with nothing
// changed. Each firing (triggered here: waiting whole minutes is not a test) takes `snap-auto-<n>`
// on every diskful replica and prunes the oldest automatic snapshots beyond AutoSnapshot/Keep, on
// the hosts too, never a manual snapshot. Unset, the Schedule goes.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Client, Connection, ScheduleNotFoundError } from '@temporalio/client';
import { startTestCluster, type TestCluster } from '../harness/cluster.js';
import type { AutoSnapshotReport } from '../../workflows/auto-snapshot.js';
import { lvNames, triggerSchedule } from '../harness/checks.js';

let cluster: TestCluster;
const lvs = (node: string) => lvNames(cluster, node);
let conn: Connection;
let temporal: Client;
const triggerRun = () => triggerSchedule<AutoSnapshotReport>(cluster, temporal, ID);
const NODES = ['node1', 'node2'];
const ID = 'auto-snapshot/as0';

async function ok(args: string[]) {
  const r = await cluster.ferry(args);
  expect({ args: args.join(' '), code: r.exitCode, err: r.stderr }).toEqual({ args: args.join(' '), code: 0, err: '' });
  return r;
}

async function snapshots(): Promise<string[]> {
  return (await cluster.client.snapshots.list({ resources: ['as0'] })).map((s) => s.name).sort();
}

async function intervalSeconds(): Promise<number> {
  const d = await temporal.schedule.getHandle(ID).describe();
  const every = d.spec.intervals?.[0]?.every;
  return typeof every === 'number' ? every / 1000 : Number.NaN;
}

beforeAll(async () => {
  cluster = await startTestCluster({ nodes: NODES });
  conn = await Connection.connect({ address: cluster.env.temporalAddress });
  temporal = new Client({ connection: conn, namespace: cluster.env.namespace });
  await cluster.eventually('all nodes are ONLINE', async () => (await cluster.client.nodes.list()).every((n) => n.connection_status === 'ONLINE'), 60_000);
  for (const n of NODES) await ok(['sp', 'c', 'lvmthin', n, 'pool1', 'vg/thinpool']);
  await ok(['rg', 'c', 'hourly', '--place-count', '2', '-s', 'pool1']);
  await ok(['rd', 'c', 'as0', '--resource-group', 'hourly']);
  await ok(['vd', 'c', 'as0', '8M']);
  await ok(['r', 'c', 'as0', '--auto-place', '2']);
}, 180_000);

afterAll(async () => {
  await conn?.close();
  await cluster?.stop();
});

describe('AutoSnapshot', () => {
  it('refuses a RunEvery that is not whole minutes, and on a node, creating no Schedule', async () => {
    const bad = await cluster.ferry(['rd', 'set-property', 'as0', 'DrbdOptions/AutoSnapshot/RunEvery', 'hourly']);
    expect(bad.exitCode).toBe(2);
    expect(bad.stderr).toMatch(/DrbdOptions\/AutoSnapshot\/RunEvery/);
    const onNode = await cluster.ferry(['node', 'set-property', 'node1', 'DrbdOptions/AutoSnapshot/RunEvery', '5']);
    expect(onNode.exitCode).toBe(2);
    await expect(temporal.schedule.getHandle(ID).describe()).rejects.toBeInstanceOf(ScheduleNotFoundError);
  }, 60_000);

  it('set on the resource group, is a Schedule per resource definition; the rd value wins', async () => {
    await ok(['rg', 'set-property', 'hourly', 'DrbdOptions/AutoSnapshot/RunEvery', '60']);
    expect(await intervalSeconds()).toBe(3600);
    const d = await temporal.schedule.getHandle(ID).describe();
    expect(d.action).toMatchObject({ type: 'startWorkflow', workflowType: 'autoSnapshotRun' });
    expect(d.policies.overlap).toBe('SKIP');
    // the test triggers the firings itself: paused now, before RunEvery becomes 1 minute (paused any
    // later, a minute boundary inside the window let the Schedule take snap-auto-1 on its own); a
    // change of RunEvery keeps the pause
    await temporal.schedule.getHandle(ID).pause('the test triggers the runs');
    await ok(['rd', 'set-property', 'as0', 'DrbdOptions/AutoSnapshot/RunEvery', '1']);
    await ok(['rd', 'set-property', 'as0', 'DrbdOptions/AutoSnapshot/Keep', '2']);
    expect(await intervalSeconds()).toBe(60);
    // setting it again changes nothing else: still one Schedule
    await ok(['rd', 'set-property', 'as0', 'DrbdOptions/AutoSnapshot/RunEvery', '1']);
    const ids: string[] = [];
    for await (const s of temporal.schedule.list()) if (s.scheduleId.startsWith('auto-snapshot/')) ids.push(s.scheduleId);
    expect(ids).toEqual([ID]);
    const after = await temporal.schedule.getHandle(ID).describe();
    expect({ paused: after.state.paused, actionsTaken: after.info.numActionsTaken }).toEqual({ paused: true, actionsTaken: 0 });
  }, 60_000);

  it('takes snap-auto-<n> on every replica and keeps only the newest Keep automatic snapshots, never a manual one', async () => {
    await ok(['snapshot', 'create', 'as0', 'manual1']);
    const runs: AutoSnapshotReport[] = [];
    for (let i = 0; i < 3; i++) runs.push(await triggerRun());
    expect(runs.map((r) => r.snapshot)).toEqual(['snap-auto-1', 'snap-auto-2', 'snap-auto-3']);
    expect(runs[1]!.deleted).toEqual([]);
    expect(runs[2]!.deleted).toEqual([{ snapshot: 'snap-auto-1', reason: 'beyond the newest 2 automatic snapshot(s) (AutoSnapshot/Keep=2)' }]);
    expect(await snapshots()).toEqual(['manual1', 'snap-auto-2', 'snap-auto-3']);
    for (const n of NODES) expect(await lvs(n)).toEqual(['as0_00000', 'as0_00000_manual1', 'as0_00000_snap-auto-2', 'as0_00000_snap-auto-3']);
    const info = (await cluster.client.snapshots.list({ resources: ['as0'] })).find((s) => s.name === 'snap-auto-3')!;
    expect(info.nodes.sort()).toEqual(NODES);
  }, 180_000);

  it('unset on the rd falls back to the group; unset there too, the Schedule goes', async () => {
    await ok(['rd', 'set-property', 'as0', 'DrbdOptions/AutoSnapshot/RunEvery']);
    expect(await intervalSeconds()).toBe(3600);
    expect((await temporal.schedule.getHandle(ID).describe()).state.paused).toBe(true);
    await ok(['rg', 'set-property', 'hourly', 'DrbdOptions/AutoSnapshot/RunEvery']);
    await expect(temporal.schedule.getHandle(ID).describe()).rejects.toBeInstanceOf(ScheduleNotFoundError);
    // the automatic snapshots stay until deleted
    expect(await snapshots()).toEqual(['manual1', 'snap-auto-2', 'snap-auto-3']);
  }, 60_000);
});
