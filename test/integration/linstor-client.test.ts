// LINSTOR's own Python API library (python-linstor, installed by scripts/setup.sh into .tools/venv)
// talks to a ferry controller: it connects (version handshake), lists nodes, storage pools,
// resource definitions and resources, and creates rd + vd + an auto-placed resource; what it sees
// is what `ferry ... -m` shows.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execa } from 'execa';
import { join } from 'node:path';
import { startTestCluster, type TestCluster } from '../harness/cluster.js';

const nodes = ['node1', 'node2', 'node3'];
const PYTHON = join(process.cwd(), '.tools/venv/bin/python');
const SCRIPT = join(process.cwd(), 'test/fixtures/linstor-client/linstor_story.py');
let cluster: TestCluster;

interface Listing {
  controller: { version: string; rest_api_version: string };
  nodes: { name: string; type: string; connection_status: string; address: string }[];
  storage_pools: { name: string; node: string; provider_kind: string; free_kib: number | null; total_kib: number | null; thin: boolean }[];
  resource_definitions: { name: string; resource_group: string; port: number | null; volumes: { number: number; size_kib: number }[] }[];
  resources: { name: string; node: string; volumes: { number: number; storage_pool: string; device_path: string; disk_state: string }[] }[];
}

async function python(args: string[]) {
  const url = `linstor://127.0.0.1:${new URL(cluster.controllerUrl).port}`;
  return execa(PYTHON, [SCRIPT, url, ...args], { reject: false, timeout: 150_000 });
}

async function pyList(): Promise<Listing> {
  const r = await python(['list']);
  expect({ code: r.exitCode, err: r.stderr }).toEqual({ code: 0, err: '' });
  return JSON.parse(String(r.stdout)) as Listing;
}

async function ferryJson<T>(args: string[]): Promise<T> {
  const r = await cluster.ferry([...args, '-m']);
  expect({ code: r.exitCode, err: r.stderr }).toEqual({ code: 0, err: '' });
  return JSON.parse(String(r.stdout)) as T;
}

beforeAll(async () => {
  cluster = await startTestCluster({ nodes, offlineAfterMs: 5000 });
  await cluster.eventually('all nodes are ONLINE', async () => (await cluster.client.nodes.list()).every((n) => n.connection_status === 'ONLINE'), 60_000);
  for (const n of nodes) expect((await cluster.ferry(['sp', 'c', 'lvmthin', n, 'pool1', 'vg/thinpool'])).exitCode).toBe(0);
});

afterAll(async () => {
  await cluster?.stop();
});

describe('python-linstor against ferry', () => {
  it('connects and lists the nodes and storage pools that `ferry node list -m` / `ferry sp l -m` show', async () => {
    const seen = await pyList();
    expect(seen.controller.rest_api_version).toMatch(/^1\.\d+\.\d+$/);
    const fNodes = await ferryJson<{ name: string; type: string; connection_status: string; net_interfaces: { address: string }[] }[]>(['node', 'list']);
    expect(seen.nodes).toEqual(fNodes.map((n) => ({ name: n.name, type: n.type, connection_status: n.connection_status, address: n.net_interfaces[0]!.address })));
    expect(seen.nodes.map((n) => n.connection_status)).toEqual(['ONLINE', 'ONLINE', 'ONLINE']);
    const fPools = await ferryJson<{ storage_pool_name: string; node_name: string; provider_kind: string; free_capacity?: number; total_capacity?: number }[]>(['sp', 'l']);
    const expected = fPools.map((p) => ({
      name: p.storage_pool_name, node: p.node_name, provider_kind: p.provider_kind,
      free_kib: p.free_capacity ?? null, total_kib: p.total_capacity ?? null, thin: p.provider_kind === 'LVM_THIN',
    })).sort((a, b) => a.name.localeCompare(b.name) || a.node.localeCompare(b.node));
    expect(seen.storage_pools).toEqual(expected);
    expect(seen.storage_pools.filter((p) => p.thin).map((p) => p.node)).toEqual(nodes);
  });

  it('creates a resource definition, a volume definition and a resource auto-placed on 3 nodes, waiting as LINSTOR does', async () => {
    const r = await python(['create', 'pydb', String(32 * 1024), '3', 'pool1']);
    expect({ code: r.exitCode, err: r.stderr }).toEqual({ code: 0, err: '' });
    const steps = JSON.parse(String(r.stdout)) as Record<string, { ok: boolean; message: string }[]>;
    expect(Object.keys(steps)).toEqual(['rd', 'vd', 'autoplace']);
    expect(Object.values(steps).flat().filter((x) => !x.ok)).toEqual([]);
    // the answer came once the resource was up: nothing to wait for afterwards
    const rs = await ferryJson<{ name: string; node_name: string; volumes: { state: { disk_state: string } }[] }[]>(['r', 'l']);
    expect(rs.map((x) => [x.name, x.node_name, x.volumes[0]!.state.disk_state])).toEqual(nodes.map((n) => ['pydb', n, 'UpToDate']));
  });

  it('lists the resource definitions and resources that `ferry rd l -m` / `ferry r l -m` show', async () => {
    const seen = await pyList();
    const fRds = await ferryJson<{ name: string; resource_group_name: string; layer_data: { data: { port: number } }[]; volume_definitions: { volume_number: number; size_kib: number }[] }[]>(['rd', 'l']);
    expect(seen.resource_definitions).toEqual(fRds.map((d) => ({
      name: d.name, resource_group: d.resource_group_name, port: d.layer_data[0]!.data.port,
      volumes: d.volume_definitions.map((v) => ({ number: v.volume_number, size_kib: v.size_kib })),
    })));
    expect(seen.resource_definitions).toEqual([{ name: 'pydb', resource_group: 'DfltRscGrp', port: 7000, volumes: [{ number: 0, size_kib: 32768 }] }]);
    const fRs = await ferryJson<{ name: string; node_name: string; volumes: { volume_number: number; storage_pool_name: string; device_path: string; state: { disk_state: string } }[] }[]>(['r', 'l']);
    expect(seen.resources).toEqual(fRs.map((x) => ({
      name: x.name, node: x.node_name,
      volumes: x.volumes.map((v) => ({ number: v.volume_number, storage_pool: v.storage_pool_name, device_path: v.device_path, disk_state: v.state.disk_state })),
    })));
    expect(seen.resources.map((x) => x.volumes[0]!.device_path)).toEqual(['/dev/drbd1000', '/dev/drbd1000', '/dev/drbd1000']);
  });

  it('gets an error ApiCallRc for a duplicate, and LINSTOR paging (offset/limit) and repeated filters work', async () => {
    const dup = await python(['create', 'pydb', '1024', '1', 'pool1']);
    expect(dup.exitCode).toBe(1);
    const steps = JSON.parse(String(dup.stdout)) as Record<string, { error: boolean; message: string }[]>;
    expect(steps.rd![0]).toEqual({ ok: false, error: true, message: "resource definition 'pydb' already exists" });
    const base = cluster.controllerUrl;
    const page = (await (await fetch(`${base}/v1/view/storage-pools?offset=1&limit=2`)).json()) as unknown[];
    const all = (await (await fetch(`${base}/v1/view/storage-pools`)).json()) as unknown[];
    expect(page).toEqual(all.slice(1, 3));
    const two = (await (await fetch(`${base}/v1/view/resources?nodes=node1&nodes=node3`)).json()) as { node_name: string }[];
    expect(two.map((x) => x.node_name)).toEqual(['node1', 'node3']);
  });
});
