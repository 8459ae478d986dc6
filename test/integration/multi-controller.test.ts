// Two controllers on one PostgreSQL catalog and one Temporal namespace (design: several
// controllers, Temporal spreads the work): both answer the same, and what one creates the other sees.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { FerryClient } from '../../client/ferry-client.js';
import { startController } from '../../sim/launcher.js';
import { startTestCluster, type TestCluster } from '../harness/cluster.js';

const nodes = ['node1', 'node2', 'node3'];
let cluster: TestCluster;
let second: Awaited<ReturnType<typeof startController>>;
let c1: FerryClient;
let c2: FerryClient;

beforeAll(async () => {
  cluster = await startTestCluster({ nodes, offlineAfterMs: 5000, catalog: 'postgres' });
  second = await startController({ ...cluster.env, catalog: cluster.catalogUrl });
  c1 = cluster.client;
  c2 = new FerryClient({ controllers: [second.url] });
  await cluster.eventually('all nodes are ONLINE', async () => (await c1.nodes.list()).every((n) => n.connection_status === 'ONLINE'), 60_000);
});

afterAll(async () => {
  await second?.stop();
  await cluster?.stop();
});

describe('two controllers on one PostgreSQL catalog', () => {
  it('answer `node list` the same', async () => {
    const strip = (l: { name: string; connection_status: string; net_interfaces: unknown }[]) => l.map((n) => [n.name, n.connection_status, n.net_interfaces]);
    expect(strip(await c2.nodes.list())).toEqual(strip(await c1.nodes.list()));
    expect((await c2.nodes.list()).map((n) => n.connection_status)).toEqual(['ONLINE', 'ONLINE', 'ONLINE']);
    const viaCli2 = await cluster.ferry(['node', 'list', '-m'], { env: { FERRY_CONTROLLERS: second.url } });
    expect(viaCli2.exitCode).toBe(0);
    expect((JSON.parse(String(viaCli2.stdout)) as { name: string }[]).map((n) => n.name)).toEqual(nodes);
  });

  it('see a resource created through controller 2 from controller 1', async () => {
    for (const n of nodes) await (await c1.storagePools.createLvmThin({ node: n, name: 'pool1', vg: 'vg', thinPool: 'thinpool' })).result();
    await (await c2.resourceDefinitions.create({ name: 'ha0' })).result();
    await (await c2.volumeDefinitions.create({ resource: 'ha0', sizeBytes: 16 << 20 })).result();
    const r = await cluster.ferry(['r', 'c', 'ha0', '--auto-place', '2'], { env: { FERRY_CONTROLLERS: second.url } });
    expect({ code: r.exitCode, err: r.stderr }).toEqual({ code: 0, err: '' });
    const seen = await c1.resources.list({ resources: ['ha0'] });
    expect(seen.length).toBe(2);
    expect(seen.every((x) => x.volumes[0]!.state.disk_state === 'UpToDate')).toBe(true);
    expect((await c1.resourceDefinitions.get('ha0')).volume_definitions[0]!.layer_data[0]!.data.minor_number).toBe(1000);
    // the DRBD port/minor allocation is shared: a definition made through controller 1 gets the next ones
    await (await c1.resourceDefinitions.create({ name: 'ha1' })).result();
    expect((await c2.resourceDefinitions.get('ha1')).layer_data[0]!.data.port).toBe(7001);
  });
});
