// The LINSTOR user's guide's own command lines, typed as the guide writes them: `node set-property
// --aux`, `node|controller list-properties`, `r c NODE RSC --drbd-diskless`, the AutoSnapshot/*
// keys, `rd modify --resource-group`, `sp delete`, `schedule create NAME 'CRON'` and `schedule
// modify`, `backup abort REMOTE RSC`. Each checked through the SDK or `-m`; each bad form exits
// non-zero with a clear error and changes nothing.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startTestCluster, type TestCluster } from '../harness/cluster.js';
import { createTestBucket, s3ConfigFromEnv, s3FromEnv } from './backup-s3-env.js';

const s3cfg = s3ConfigFromEnv();
let cluster: TestCluster;

async function ok(args: string[]) {
  const r = await cluster.ferry(args);
  expect({ args: args.join(' '), code: r.exitCode, err: r.stderr }).toEqual({ args: args.join(' '), code: 0, err: '' });
  return r;
}

/** Refused: a non-zero exit and an ERROR line that says `why`. */
async function refused(args: string[], why: RegExp) {
  const r = await cluster.ferry(args);
  expect({ args: args.join(' '), code: r.exitCode === 0 ? 0 : 'non-zero', err: String(r.stderr) }).toEqual({ args: args.join(' '), code: 'non-zero', err: expect.stringMatching(why) });
}

const json = async <T>(args: string[]): Promise<T> => JSON.parse(String((await ok([...args, '-m'])).stdout)) as T;

beforeAll(async () => {
  cluster = await startTestCluster({ nodes: ['node1', 'node2', 'node3'], env: { FERRY_MASTER_PASSPHRASE: 'guide-commands master passphrase' } });
  await cluster.eventually('all nodes are ONLINE', async () => (await cluster.client.nodes.list()).every((n) => n.connection_status === 'ONLINE'), 60_000);
  for (const n of ['node1', 'node2', 'node3']) await ok(['sp', 'c', 'lvmthin', n, 'pool1', 'vg/thinpool']);
  await ok(['rd', 'c', 'backups']);
  await ok(['vd', 'c', 'backups', '16M']);
  await ok(['r', 'c', 'node1', 'backups', '--storage-pool', 'pool1']);
}, 180_000);

afterAll(async () => {
  await cluster?.stop();
});

describe("the guide's command lines", () => {
  it('node set-property --aux NODE KEY VALUE; node list-properties NODE', async () => {
    await ok(['node', 'set-property', '--aux', 'node1', 'testProperty', '1']);
    await ok(['node', 'set-property', '--aux', 'node2', 'testProperty', '0']);
    expect(await json<{ key: string; value: string }[]>(['node', 'list-properties', 'node1'])).toContainEqual({ key: 'Aux/testProperty', value: '1' });
    expect((await cluster.client.nodes.get('node2')).props).toMatchObject({ 'Aux/testProperty': '0' });
    await refused(['node', 'list-properties', 'nosuch'], /node 'nosuch'|not found/i);
    await refused(['node', 'set-property', '--aux', 'node1', 'bad key', '1'], /key/i);
    expect((await cluster.client.nodes.get('node1')).props).toMatchObject({ 'Aux/testProperty': '1' });
  });

  it('controller set-property KEY VALUE; controller list-properties', async () => {
    await ok(['controller', 'set-property', 'Autoplacer/Weights/MaxFreeSpace', '2']);
    expect(await json<{ key: string; value: string }[]>(['controller', 'list-properties'])).toContainEqual({ key: 'Autoplacer/Weights/MaxFreeSpace', value: '2' });
    await refused(['controller', 'set-property', 'Autoplacer/Weights/NoSuchStrategy', '1'], /unknown autoplacer strategy/);
    expect(await cluster.client.evacuation.controllerProperties()).not.toHaveProperty('Autoplacer/Weights/NoSuchStrategy');
  });

  it('resource create NODE RSC --drbd-diskless', async () => {
    await ok(['resource', 'create', 'node2', 'backups', '--drbd-diskless']);
    const rs = await cluster.client.resources.list({ resources: ['backups'] });
    expect(rs.find((r) => r.node_name === 'node2')?.flags).toContain('DISKLESS');
    expect(rs.find((r) => r.node_name === 'node1')?.flags ?? []).not.toContain('DISKLESS');
    await refused(['r', 'c', 'node3', 'backups', '--drbd-diskless', '--storage-pool', 'pool1'], /either --storage-pool POOL or --drbd-diskless/);
    expect((await cluster.client.resources.list({ resources: ['backups'] })).map((r) => r.node_name).sort()).toEqual(['node1', 'node2']);
  });

  it('resource-definition set-property RSC AutoSnapshot/RunEvery 15, AutoSnapshot/Keep 5', async () => {
    await ok(['resource-definition', 'set-property', 'backups', 'AutoSnapshot/RunEvery', '15']);
    await ok(['resource-definition', 'set-property', 'backups', 'AutoSnapshot/Keep', '5']);
    const props = await cluster.client.properties.list({ resource: 'backups' });
    expect(props).toEqual(expect.arrayContaining([
      expect.objectContaining({ key: 'DrbdOptions/AutoSnapshot/RunEvery', value: '15' }),
      expect.objectContaining({ key: 'DrbdOptions/AutoSnapshot/Keep', value: '5' }),
    ]));
    await refused(['resource-definition', 'set-property', 'backups', 'AutoSnapshot/RunEvery', 'often'], /must be/);
    expect(await cluster.client.properties.list({ resource: 'backups' })).toContainEqual(expect.objectContaining({ key: 'DrbdOptions/AutoSnapshot/RunEvery', value: '15' }));
    // the short key deletes too: no Schedule left firing during the rest of the run
    await ok(['rd', 'sp', 'backups', 'AutoSnapshot/RunEvery']);
    expect((await cluster.client.properties.list({ resource: 'backups' })).map((p) => p.key)).not.toContain('DrbdOptions/AutoSnapshot/RunEvery');
  });

  it('resource-definition modify RSC --resource-group RG', async () => {
    await ok(['resource-group', 'create', 'other_rg', '--place-count', '2']);
    await ok(['resource-definition', 'modify', 'backups', '--resource-group', 'other_rg']);
    expect((await cluster.client.resourceDefinitions.get('backups')).resource_group_name).toBe('other_rg');
    await refused(['resource-definition', 'modify', 'backups', '--resource-group', 'nosuch_rg'], /resource group 'nosuch_rg'|not found/i);
    await refused(['resource-definition', 'modify', 'backups'], /nothing to change/);
    expect((await cluster.client.resourceDefinitions.get('backups')).resource_group_name).toBe('other_rg');
    // the group that held it can go now, as the guide's section on deleting groups says
    await ok(['resource-definition', 'modify', 'backups', '--resource-group', 'DfltRscGrp']);
    await ok(['resource-group', 'delete', 'other_rg']);
  });

  it('storage-pool delete NODE POOL: refused while it holds volumes, done when empty', async () => {
    await refused(['storage-pool', 'delete', 'node1', 'pool1'], /in use by resource\(s\) backups/);
    expect((await cluster.client.storagePools.list({ nodes: ['node1'] })).map((p) => p.storage_pool_name)).toContain('pool1');
    await ok(['storage-pool', 'delete', 'node3', 'pool1']);
    expect((await cluster.client.storagePools.list({ nodes: ['node3'] })).map((p) => p.storage_pool_name)).not.toContain('pool1');
    await refused(['sp', 'd', 'node3', 'pool1'], /not found/);
    await refused(['sp', 'd', 'node3', 'DfltDisklessStorPool'], /built-in diskless pool/);
  });

  it("schedule create [options] NAME 'FULL_CRON'; schedule modify", async () => {
    await ok(['schedule', 'create', '--incremental-cron', '* * * * *', '--keep-local', '5', '--keep-remote', '4', '--on-failure', 'RETRY', '--max-retries', '10',
      'nightly', '* * * * *']);
    type S = { schedule_name: string; full_cron: string; inc_cron?: string | null; keep_local?: number | null; keep_remote?: number | null; max_retries?: number };
    const one = async () => (await cluster.client.schedules.list()).data.find((s) => s.schedule_name === 'nightly') as S | undefined;
    expect(await one()).toMatchObject({ full_cron: '* * * * *', inc_cron: '* * * * *', keep_local: 5, keep_remote: 4, max_retries: 10 });
    await ok(['schedule', 'modify', '--keep-local', 'all', 'nightly', '0 3 * * *']);
    expect(await one()).toMatchObject({ full_cron: '0 3 * * *', inc_cron: '* * * * *', keep_remote: 4 });
    expect((await one())?.keep_local ?? null).toBeNull();
    await refused(['schedule', 'create', 'bad', 'every day'], /cron/i);
    await refused(['schedule', 'create', 'bad'], /give the full backup cron/);
    await refused(['schedule', 'modify', '--max-retries', 'forever', 'nightly'], /not supported/);
    expect((await cluster.client.schedules.list()).data.map((s) => s.schedule_name)).not.toContain('bad');
    expect(await one()).toMatchObject({ full_cron: '0 3 * * *', max_retries: 10 });
    await ok(['schedule', 'delete', 'nightly']);
  });

  it('backup abort REMOTE RSC', async () => {
    const bucket = await createTestBucket(s3FromEnv(), 'guide');
    await ok(['remote', 'create', 's3', 'myRemote', s3cfg.endpoint, bucket, 'us-east-1', s3cfg.accessKey, s3cfg.secretKey, '--use-path-style']);
    await refused(['backup', 'abort', 'myRemote', 'backups'], /no backup of resource 'backups' to remote 'myRemote' is running/);
    await refused(['backup', 'abort', 'noSuchRemote', 'backups'], /remote 'noSuchRemote'|not found/i);
    await refused(['backup', 'abort', 'myRemote', 'backups', 'extra'], /takes REMOTE RSC/);
  });
});
