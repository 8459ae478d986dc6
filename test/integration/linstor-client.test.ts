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

describe('what linstor-csi asks of a LINSTOR controller, through python-linstor', () => {
  type Coded = { code: string; message: string }[];
  let story: Record<string, unknown>;
  const codes = (k: string) => (story[k] as Coded).map((r) => r.code);

  beforeAll(async () => {
    const r = await python(['csi', 'sc-fast', 'csivol', 'pydb', 'pool1']);
    expect({ code: r.exitCode, err: r.stderr }).toEqual({ code: 0, err: '' });
    story = JSON.parse(String(r.stdout)) as Record<string, unknown>;
  });

  it('modifies a StorageClass resource group: filter and properties in one PUT, the same PUT again, an empty one', () => {
    expect(codes('rg_create')).toEqual(['OK']);
    expect(codes('rg_modify_all')).toEqual(['OK']);
    expect(story.rg_after_modify).toEqual({
      name: 'sc-fast', props: { 'Aux/csi-storage-class': 'fast' },
      select_filter: { place_count: 2, storage_pool: 'pool1', storage_pool_list: ['pool1'], layer_stack: ['DRBD', 'STORAGE'] },
    });
    // linstor-csi sends its whole filter again on every CreateVolume; nothing to change is a success
    expect(codes('rg_modify_same')).toEqual(['OK']);
    expect(codes('rg_modify_nothing')).toEqual(['OK']);
  });

  it('refuses a layer stack ferry cannot deploy with FAIL_INVLD_LAYER_STACK, and changes nothing', () => {
    expect(codes('rg_modify_bad_layers')).toEqual(['FAIL_INVLD_LAYER_STACK']);
    expect((story.rg_modify_bad_layers as Coded)[0]!.message).toMatch(/select_filter\.layer_stack: ferry deploys DRBD over STORAGE only/);
    expect(story.rg_after_bad).toEqual(story.rg_after_modify);
  });

  it('answers FAIL_EXISTS_RSC_DFN to a second create, the code linstor-csi reads as "made by a concurrent call"', () => {
    expect(codes('rd_create')).toEqual(['OK']);
    expect(codes('rd_create_again')).toEqual(['FAIL_EXISTS_RSC_DFN']);
  });

  it('keeps BalanceResourcesEnabled and sets then deletes allow-two-primaries on the resource definition', () => {
    expect(codes('rd_set')).toEqual(['OK']);
    expect(story.rd_after_set).toEqual({ BalanceResourcesEnabled: 'false', 'DrbdOptions/Net/allow-two-primaries': 'yes' });
    expect(codes('rd_unset')).toEqual(['OK']);
    expect(story.rd_after_unset).toEqual({ BalanceResourcesEnabled: 'false' });
    expect(codes('ctrl_set')).toEqual(['OK']);
    expect(codes('ctrl_set_bad')).toEqual(['FAIL_INVLD_PROP']);
  });

  it('keeps volume-definition properties (FileSystem/Type, Aux/csi-*), refuses an unknown key, and deletes one', () => {
    expect(codes('vd_create')).toEqual(['OK']);
    expect(codes('vd_set')).toEqual(['OK']);
    expect(codes('vd_set_bad_key')).toEqual(['FAIL_INVLD_PROP']);
    expect(story.vd_after_set).toEqual([{ number: 0, size_kib: 8192, props: { 'FileSystem/Type': 'ext4', 'Aux/csi-volume-name': 'pvc-1' } }]);
    expect(codes('vd_unset')).toEqual(['OK']);
    expect(story.vd_after_unset).toEqual([{ number: 0, size_kib: 8192, props: { 'FileSystem/Type': 'ext4' } }]);
  });

  it('deletes a volume definition through a workflow, and refuses while resources use it with FAIL_IN_USE', () => {
    expect(codes('vd_delete_deployed')).toEqual(['FAIL_IN_USE']);
    expect((story.vd_delete_deployed as Coded)[0]!.message).toMatch(/in use by resource 'pydb' on node1, node2, node3/);
    expect(story.vd_after_delete_deployed).toEqual([0]);
    expect(codes('vd_delete')).toEqual(['OK']);
    expect(story.vd_after_delete).toEqual([]);
    expect(codes('vd_delete_missing_rd')).toEqual(['FAIL_NOT_FOUND_RSC_DFN']);
  });

  it('answers golinstor\'s GET of one volume definition, and creates one with properties as golinstor sends them', async () => {
    const base = cluster.controllerUrl;
    const created = await fetch(`${base}/v1/resource-definitions/csivol/volume-definitions`, {
      method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ volume_definition: { volume_number: 0, size_kib: 4096, props: { 'FileSystem/Type': 'xfs', 'FileSystem/MkfsParams': '' } } }),
    });
    expect(created.status).toBe(201);
    const one = await fetch(`${base}/v1/resource-definitions/csivol/volume-definitions/0`);
    expect(one.status).toBe(200);
    expect(await one.json()).toEqual(expect.objectContaining({ volume_number: 0, size_kib: 4096, props: { 'FileSystem/Type': 'xfs', 'FileSystem/MkfsParams': '' } }));
    const missing = await fetch(`${base}/v1/resource-definitions/csivol/volume-definitions/7`);
    expect(missing.status).toBe(404);
    const [rc] = (await missing.json()) as { ret_code: number; message: string }[];
    expect(rc!.message).toBe("volume definition 7 of 'csivol' not found");
    // the exact 64-bit code: MASK_ERROR | FAIL_NOT_FOUND_VLM_DFN (303) | MASK_VLM_DFN
    const text = await (await fetch(`${base}/v1/resource-definitions/csivol/volume-definitions/7`)).text();
    expect(text).toContain(`"ret_code":${BigInt.asIntN(64, 0xc000000000000000n | 0x300000n | 303n).toString()}`);
  });

  it('answers a path it does not serve as LINSTOR does: 404 with an ApiCallRc list, not an object-not-found', async () => {
    const r = await fetch(`${cluster.controllerUrl}/v1/no-such-thing/here`);
    expect(r.status).toBe(404);
    const body = (await r.json()) as { ret_code: number; message: string }[];
    expect(body).toEqual([expect.objectContaining({ message: "Path '/v1/no-such-thing/here' not found on server." })]);
    expect(await (await fetch(`${cluster.controllerUrl}/v1/no-such-thing/here`)).text()).toContain(`"ret_code":${BigInt.asIntN(64, 0xc000000000000000n | 998n).toString()}`);
  });
});

describe('the key-value store linstor-csi keeps its snapshot-to-backup mapping in, through python-linstor', () => {
  type Coded = { code: string; message: string }[];
  let story: Record<string, unknown>;
  const codes = (k: string) => (story[k] as Coded).map((r) => r.code);

  beforeAll(async () => {
    const r = await python(['kvs', 'csi-backup-mapping']);
    expect({ code: r.exitCode, err: r.stderr }).toEqual({ code: 0, err: '' });
    story = JSON.parse(String(r.stdout)) as Record<string, unknown>;
  });

  it('creates an instance on its first keys, lists it, and deletes one key', () => {
    expect(codes('modify')).toEqual(['OK']);
    expect(story.instances).toEqual(['csi-backup-mapping']);
    expect(story.props).toEqual({ 'snap-1': 'backup-1', 'snap-2': 'backup-2' });
    expect(codes('delete_key')).toEqual(['OK']);
    expect(story.props_after_delete).toEqual({ 'snap-2': 'backup-2' });
  });

  it('refuses a bad instance name (FAIL_INVLD_KVS_NAME) and a value that is not text (FAIL_INVLD_PROP), changing nothing', () => {
    expect(codes('bad_name')).toEqual(['FAIL_INVLD_KVS_NAME']);
    expect(codes('bad_value')).toEqual(['FAIL_INVLD_PROP']);
    expect((story.bad_value as Coded)[0]!.message).toMatch(/override_props\.snap-3: values are text/);
    expect(story.props_after_bad).toEqual({ 'snap-2': 'backup-2' });
  });

  it("works as python-linstor's dict-like linstor.KV expects ('/'-prefixed keys answered without the '/')", () => {
    expect(story.kv_class).toEqual({ 'pvc-1': 'snap-a' });
    expect(story.instances_after).toEqual(['csi-backup-mapping', 'csi-backup-mapping-kv']);
  });

  it('answers golinstor\'s GET of one instance as a list of one, and deletes an instance (FAIL_NOT_FOUND_KVS after)', async () => {
    const base = cluster.controllerUrl;
    expect(await (await fetch(`${base}/v1/key-value-store/CSI-Backup-Mapping`)).json()).toEqual([{ name: 'csi-backup-mapping', props: { 'snap-2': 'backup-2' } }]);
    const del = await fetch(`${base}/v1/key-value-store/csi-backup-mapping-kv`, { method: 'DELETE' });
    expect(del.status).toBe(201);
    const r = await python(['kvs-list']);
    expect(JSON.parse(String(r.stdout))).toEqual(['csi-backup-mapping']);
    const gone = await fetch(`${base}/v1/key-value-store/csi-backup-mapping-kv`);
    expect(gone.status).toBe(404);
    expect(await gone.text()).toContain(`"ret_code":${BigInt.asIntN(64, 0xc000000000000000n | 0x400000n | 316n).toString()}`);
    const again = await fetch(`${base}/v1/key-value-store/csi-backup-mapping-kv`, { method: 'DELETE' });
    expect(again.status).toBe(404);
  });
});
