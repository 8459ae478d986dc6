// The operator's story of storage pools and resources on three simulated hosts: pools, a resource
// definition with one volume, three replicas by the autoplacer, data written on one node read back
// on the others, bad input refused with no change, and deletion leaving no LVs behind. The same
// story runs on a SQLite catalog (resources.test.ts) and a PostgreSQL one (resources-postgres.test.ts).
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startTestCluster, type TestCluster } from '../harness/cluster.js';

export function resourcesStory(catalog: 'sqlite' | 'postgres'): void {
  const nodes = ['node1', 'node2', 'node3'];
  let cluster: TestCluster;

  beforeAll(async () => {
    cluster = await startTestCluster({ nodes, offlineAfterMs: 5000, catalog });
    await cluster.eventually('all nodes are ONLINE', async () => (await cluster.client.nodes.list()).every((n) => n.connection_status === 'ONLINE'), 60_000);
  });

  afterAll(async () => {
    await cluster?.stop();
  });

  async function lvNames(node: string): Promise<string[]> {
    const r = await cluster.sim(['state', node]);
    return [...String(r.stdout).matchAll(/"(db0_\d{5})"/g)].map((m) => m[1]!);
}

  describe('storage pools', () => {
    it('are created from the thin pool each host has, and listed with capacity', async () => {
      for (const n of nodes) {
        const r = await cluster.ferry(['sp', 'c', 'lvmthin', n, 'pool1', 'vg/thinpool']);
        expect({ n, code: r.exitCode, err: r.stderr }).toEqual({ n, code: 0, err: '' });
      }
      const l = await cluster.ferry(['sp', 'l']);
      expect(l.exitCode).toBe(0);
      for (const n of nodes) {
        expect(l.stdout).toMatch(new RegExp(`┊ DfltDisklessStorPool ┊ ${n}\\s+┊ DISKLESS`));
        expect(l.stdout).toMatch(new RegExp(`┊ pool1\\s+┊ ${n}\\s+┊ LVM_THIN ┊ vg/thinpool ┊ [0-9.]+ GiB\\s+┊ 19\\.96 GiB\\s+┊ True\\s+┊ Ok`));
      }
    });

    it('refuse a thin pool the host does not have, an unknown node and bad names, with no change', async () => {
      const missing = await cluster.ferry(['sp', 'c', 'lvmthin', 'node1', 'pool2', 'vg/nope']);
      expect(missing.exitCode).not.toBe(0);
      expect(missing.stderr).toMatch(/thin pool 'vg\/nope' not found on node 'node1'/);
      const unknown = await cluster.ferry(['sp', 'c', 'lvmthin', 'node9', 'pool1', 'vg/thinpool']);
      expect(unknown.exitCode).toBe(3);
      expect(unknown.stderr).toMatch(/node 'node9' not found/);
      const bad = await cluster.ferry(['sp', 'c', 'lvmthin', 'node1', '1bad', 'vg/thinpool']);
      expect(bad.exitCode).toBe(2);
      expect((await cluster.client.storagePools.list()).filter((p) => p.provider_kind === 'LVM_THIN').length).toBe(3);
    });
  });

  describe('a replicated resource', () => {
    it('is defined, auto-placed on three nodes and becomes UpToDate everywhere', async () => {
      expect((await cluster.ferry(['rd', 'c', 'db0'])).exitCode).toBe(0);
      expect((await cluster.ferry(['vd', 'c', 'db0', '64M'])).exitCode).toBe(0);
      const rc = await cluster.ferry(['r', 'c', 'db0', '--auto-place', '3']);
      expect({ code: rc.exitCode, err: rc.stderr }).toEqual({ code: 0, err: '' });
      const v = await cluster.ferry(['v', 'l']);
      for (const n of nodes) {
        expect(v.stdout).toMatch(new RegExp(`┊ ${n}\\s+┊ db0\\s+┊ pool1\\s+┊ 0\\s+┊ 1000\\s+┊ /dev/drbd1000 ┊[^┊]*┊ Unused ┊ UpToDate ┊`));
      }
      const rd = await cluster.client.resourceDefinitions.get('db0');
      expect(rd.layer_data[0]!.data.port).toBe(7000);
    });

    it('replicates data written on node1 to node2 and node3', async () => {
      const w = await cluster.sim(['io', 'write', '--node', 'node1', '--resource', 'db0', '--pattern', '7', '--length', '1M']);
      expect({ code: w.exitCode, err: w.stderr }).toEqual({ code: 0, err: '' });
      for (const n of ['node2', 'node3']) {
        const r = await cluster.sim(['io', 'verify', '--node', n, '--resource', 'db0', '--pattern', '7', '--length', '1M']);
        expect({ n, code: r.exitCode, err: r.stderr }).toEqual({ n, code: 0, err: '' });
      }
    });

    it('refuses bad input with a clear error and no change', async () => {
      // what the operator asked for, without the hosts' live figures (Allocated moves on its own)
      const asked = async () => JSON.stringify(await cluster.client.resources.list(), (k, v: unknown) => (k === 'allocated_size_kib' || k === 'allocated_reported_at' ? undefined : v));
      const before = await asked();
      const dup = await cluster.ferry(['rd', 'c', 'db0']);
      expect(dup.exitCode).toBe(5);
      expect(dup.stderr).toMatch(/resource definition 'db0' already exists/);
      expect((await cluster.ferry(['rd', 'c', 'all'])).exitCode).toBe(2);
      expect((await cluster.ferry(['vd', 'c', 'db0', '0'])).exitCode).toBe(2);
      expect((await cluster.ferry(['rd', 'c', 'db1'])).exitCode).toBe(0);
      expect((await cluster.ferry(['vd', 'c', 'db1', '8M'])).exitCode).toBe(0);
      const tooMany = await cluster.ferry(['r', 'c', 'db1', '--auto-place', '4']);
      expect(tooMany.exitCode).not.toBe(0);
      expect(tooMany.stderr).toMatch(/Not enough available nodes/);
      const noPool = await cluster.ferry(['r', 'c', 'node1', 'db1', '--storage-pool', 'nopool']);
      expect(noPool.exitCode).toBe(3);
      expect(await asked()).toBe(before);
      expect((await cluster.ferry(['rd', 'd', 'db1'])).exitCode).toBe(0);
    });

    it('is deleted from one node, then everywhere, leaving no LVs on the hosts', async () => {
      expect(await lvNames('node3')).toContain('db0_00000');
      const d = await cluster.ferry(['r', 'd', 'node3', 'db0']);
      expect({ code: d.exitCode, err: d.stderr }).toEqual({ code: 0, err: '' });
      expect(await lvNames('node3')).toEqual([]);
      expect((await cluster.client.resources.list()).map((r) => r.node_name)).toEqual(['node1', 'node2']);
      const rd = await cluster.ferry(['rd', 'd', 'db0']);
      expect({ code: rd.exitCode, err: rd.stderr }).toEqual({ code: 0, err: '' });
      for (const n of nodes) expect(await lvNames(n)).toEqual([]);
      expect(await cluster.client.resourceDefinitions.list()).toEqual([]);
    });
  });
}
