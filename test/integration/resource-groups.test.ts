// The operator's story of resource groups, properties and growing a volume on three simulated
// hosts: a group with place count 2 and a storage pool spawns db1 on two UpToDate replicas in that
// pool; the group cannot be deleted while db1 uses it; a DRBD option set on the group and
// overridden on db1 shows db1's value (from the resource definition) and reaches db1's .res; bad
// keys and values are refused with no change; vd set-size grows the device on every replica and
// the data written before survives.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startTestCluster, type TestCluster } from '../harness/cluster.js';

describe('resource groups, properties and vd set-size', () => {
  const nodes = ['node1', 'node2', 'node3'];
  let cluster: TestCluster;

  beforeAll(async () => {
    cluster = await startTestCluster({ nodes, offlineAfterMs: 5000 });
    await cluster.eventually('all nodes are ONLINE', async () => (await cluster.client.nodes.list()).every((n) => n.connection_status === 'ONLINE'), 60_000);
    for (const n of nodes) expect((await cluster.ferry(['sp', 'c', 'lvmthin', n, 'fast', 'vg/thinpool'])).exitCode).toBe(0);
  });

  afterAll(async () => {
    await cluster?.stop();
  });

  const ok = (r: { exitCode?: number; stderr: unknown }) => expect({ code: r.exitCode, err: r.stderr }).toEqual({ code: 0, err: '' });

  it('creates a resource group with place count 2 and a storage pool, and lists it as LINSTOR does', async () => {
    ok(await cluster.ferry(['rg', 'c', 'dbgroup', '--place-count', '2', '--storage-pool', 'fast', '--description', 'databases']));
    const l = await cluster.ferry(['rg', 'l']);
    expect(l.exitCode).toBe(0);
    expect(l.stdout).toMatch(/ResourceGroup\s+┊ SelectFilter\s+┊ VlmNrs\s+┊ Description/);
    expect(l.stdout).toMatch(/dbgroup\s+┊ PlaceCount: 2/);
    expect(l.stdout).toMatch(/StoragePool\(s\): fast/);
    const rg = await cluster.client.resourceGroups.get('dbgroup');
    expect(rg.select_filter).toMatchObject({ place_count: 2, storage_pool_list: ['fast'] });
  });

  it('spawns db1 32M: two UpToDate replicas in the group\'s pool, in one workflow, idempotently', async () => {
    const s = await cluster.ferry(['rg', 'spawn', 'dbgroup', 'db1', '32M']);
    ok(s);
    expect(s.stdout).toMatch(/operation rg-spawn\/db1/);
    const rs = await cluster.client.resources.list({ resources: ['db1'] });
    expect(rs.length).toBe(2);
    for (const r of rs) {
      expect(r.props.StorPoolName).toBe('fast');
      expect(r.volumes.map((v) => v.state.disk_state)).toEqual(['UpToDate']);
    }
    expect((await cluster.client.resourceDefinitions.get('db1')).resource_group_name).toBe('dbgroup');
    // the same spawn again changes nothing
    ok(await cluster.ferry(['rg', 'spawn', 'dbgroup', 'db1', '32M']));
    expect((await cluster.client.resources.list({ resources: ['db1'] })).length).toBe(2);
    // rd create --resource-group puts a definition in the group
    ok(await cluster.ferry(['rd', 'c', 'db2', '--resource-group', 'dbgroup']));
    expect((await cluster.client.resourceDefinitions.get('db2')).resource_group_name).toBe('dbgroup');
    ok(await cluster.ferry(['rd', 'd', 'db2']));
  });

  it('refuses to delete the group while db1 uses it', async () => {
    const d = await cluster.ferry(['rg', 'd', 'dbgroup']);
    expect(d.exitCode).toBe(5);
    expect(d.stderr).toMatch(/resource group 'dbgroup' is used by resource definitions db1/);
    expect((await cluster.client.resourceGroups.list()).map((g) => g.name)).toContain('dbgroup');
  });

  it('shows a property overridden on the resource definition with its origin, and renders it into the .res', async () => {
    ok(await cluster.ferry(['rg', 'sp', 'dbgroup', 'DrbdOptions/PeerDevice/c-max-rate', '100M']));
    ok(await cluster.ferry(['rg', 'sp', 'dbgroup', 'Aux/team', 'storage']));
    let e = await cluster.client.properties.list({ resource: 'db1' }, { effective: true });
    expect(e).toContainEqual({ key: 'DrbdOptions/PeerDevice/c-max-rate', value: '100M', origin: 'resource-group' });
    ok(await cluster.ferry(['rd', 'sp', 'db1', 'DrbdOptions/PeerDevice/c-max-rate', '250M']));
    ok(await cluster.ferry(['rd', 'sp', 'db1', 'DrbdOptions/Net/max-buffers', '8000']));
    e = await cluster.client.properties.list({ resource: 'db1' }, { effective: true });
    expect(e).toContainEqual({ key: 'DrbdOptions/PeerDevice/c-max-rate', value: '250M', origin: 'resource-definition' });
    expect(e).toContainEqual({ key: 'Aux/team', value: 'storage', origin: 'resource-group' });
    const lp = await cluster.ferry(['rd', 'lp', 'db1', '--effective']);
    expect(lp.stdout).toMatch(/DrbdOptions\/PeerDevice\/c-max-rate\s+┊ 250M\s+┊ resource definition/);
    const placed = (await cluster.client.resources.list({ resources: ['db1'] })).map((r) => r.node_name);
    const rlp = await cluster.ferry(['r', 'lp', placed[0]!, 'db1']);
    expect(rlp.stdout).toMatch(/Aux\/team\s+┊ storage\s+┊ resource group/);
    // the option is in effect: drbdadm reads it from the .res of every replica
    for (const n of placed) {
      const dump = await cluster.host(n, 'drbdadm', ['dump', 'db1']);
      expect({ n, code: dump.exitCode }).toEqual({ n, code: 0 });
      expect(dump.stdout).toMatch(/c-max-rate\s+250M/);
      expect(dump.stdout).toMatch(/max-buffers\s+8000/);
    }
  });

  it('refuses unknown keys, values of the wrong type and keys not settable there, with no change', async () => {
    const before = JSON.stringify(await cluster.client.properties.list({ resource: 'db1' }, { effective: true }));
    const unknown = await cluster.ferry(['rd', 'sp', 'db1', 'NoSuchKey', '1']);
    expect(unknown.exitCode).toBe(2);
    expect(unknown.stderr).toMatch(/property key 'NoSuchKey' is not known/);
    const badValue = await cluster.ferry(['rg', 'sp', 'dbgroup', 'sys/fs/blkio_throttle_read', 'fast']);
    expect(badValue.exitCode).toBe(2);
    expect(badValue.stderr).toMatch(/must be an integer >= 0, got 'fast'/);
    const wrongLevel = await cluster.ferry(['rd', 'sp', 'db1', 'Autoplacer/Weights/MaxFreeSpace', '2']);
    expect(wrongLevel.exitCode).toBe(2);
    const badSection = await cluster.ferry(['rd', 'sp', 'db1', 'DrbdOptions/Bogus/x', '1']);
    expect(badSection.exitCode).toBe(2);
    // the REST API refuses the same with 400
    await expect(cluster.client.properties.set({ resource: 'db1' }, { NoSuchKey: '1' })).rejects.toMatchObject({ status: 400 });
    await expect(cluster.client.properties.set({ node: 'node1', storagePool: 'fast' }, { MaxOversubscriptionRatio: 'lots' })).rejects.toMatchObject({ status: 400 });
    expect(JSON.stringify(await cluster.client.properties.list({ resource: 'db1' }, { effective: true }))).toBe(before);
    // a storage pool property that fits is accepted
    ok(await cluster.ferry(['sp', 'sp', 'node1', 'fast', 'MaxOversubscriptionRatio', '5']));
    expect(await cluster.client.properties.list({ node: 'node1', storagePool: 'fast' })).toContainEqual({ key: 'MaxOversubscriptionRatio', value: '5', origin: 'storage-pool' });
  });

  it('grows db1 to 64M on every replica with vd set-size; the data survives; shrinking is refused', async () => {
    const placed = (await cluster.client.resources.list({ resources: ['db1'] })).map((r) => r.node_name);
    const w = await cluster.sim(['io', 'write', '--node', placed[0]!, '--resource', 'db1', '--pattern', '9', '--length', '1M']);
    expect({ code: w.exitCode, err: w.stderr }).toEqual({ code: 0, err: '' });
    const sizeOf = async (n: string) => {
      const s = await cluster.host(n, 'drbdsetup', ['status', 'db1', '--json', '--verbose', '--statistics']);
      return (JSON.parse(String(s.stdout)) as { devices: { size: number }[] }[])[0]!.devices[0]!.size; // KiB
    };
    const lvSize = async (n: string) => {
      const s = await cluster.host(n, 'lvs', ['--noheadings', '--units', 'b', '--nosuffix', '-o', 'lv_size', 'vg/db1_00000']);
      return Number(String(s.stdout).trim());
    };
    const before = await Promise.all(placed.map(lvSize));
    ok(await cluster.ferry(['vd', 'set-size', 'db1', '0', '64M']));
    for (const [i, n] of placed.entries()) {
      expect(await lvSize(n)).toBeGreaterThan(before[i]!);
      expect(await sizeOf(n)).toBeGreaterThanOrEqual(64 * 1024);
    }
    expect((await cluster.client.volumeDefinitions.list('db1'))[0]!.size_kib).toBe(64 * 1024);
    for (const n of placed) {
      const r = await cluster.sim(['io', 'verify', '--node', n, '--resource', 'db1', '--pattern', '9', '--length', '1M']);
      expect({ n, code: r.exitCode, err: r.stderr }).toEqual({ n, code: 0, err: '' });
    }
    const shrink = await cluster.ferry(['vd', 'set-size', 'db1', '0', '16M']);
    expect(shrink.exitCode).toBe(2);
    expect(shrink.stderr).toMatch(/it can only grow/);
    expect((await cluster.client.volumeDefinitions.list('db1'))[0]!.size_kib).toBe(64 * 1024);
  });

  it('deletes the group once its resources are gone', async () => {
    ok(await cluster.ferry(['rd', 'd', 'db1']));
    ok(await cluster.ferry(['rg', 'd', 'dbgroup']));
    expect((await cluster.client.resourceGroups.list()).map((g) => g.name)).toEqual(['DfltRscGrp']);
  });
});
