// The catalog's resource tables (migration 2): unique DRBD ports and minors, DRBD node ids per
// resource, idempotent creation, the per-resource lock. On an in-memory SQLite catalog and on a
// PostgreSQL catalog (a fresh database per test on the server of test/harness/postgres.ts).
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { Catalog } from '../../catalog/index.js';
import { migrate } from '../../catalog/schema.js';
import { firstFree } from '../../catalog/resources.js';
import { usePostgres, type PostgresServer } from '../harness/postgres.js';

let catalog: Catalog;
let server: PostgresServer | undefined;
let dbs = 0;

describe.each(['sqlite', 'postgres'] as const)('on %s', (backend) => {
  beforeAll(async () => {
    if (backend === 'postgres') server = await usePostgres();
  }, 120_000);
  afterAll(async () => {
    await server?.release();
    server = undefined;
  });
  beforeEach(async () => {
    catalog = await Catalog.open(backend === 'sqlite' ? 'sqlite::memory:' : await server!.createDatabase(`catalog_unit_${process.pid}_${++dbs}`));
    for (const n of ['node1', 'node2', 'node3']) await catalog.nodes.create({ name: n, address: '10.0.0.1', port: 3366, now: 1 });
  });
  afterEach(async () => {
    await catalog.close();
  });

  describe('catalog migration 2', () => {
    it('is applied once and has the default resource group', async () => {
      // Catalog.open ran every migration: running them again applies nothing
      expect(await migrate(catalog.db)).toEqual([]);
      const versions = await catalog.db.all<{ version: number }>('SELECT version FROM schema_version ORDER BY version');
      expect(versions.map((v) => Number(v.version))).toEqual(expect.arrayContaining([1, 2]));
      expect(await catalog.resources.resourceGroupExists('DfltRscGrp')).toBe(true);
    });
  });

  describe('resource definitions', () => {
    it('get unique DRBD ports from 7000, reusing freed ones', async () => {
      const a = await catalog.resources.createDefinition({ name: 'db0', resourceGroup: 'DfltRscGrp', secret: 's', now: 1 });
      const b = await catalog.resources.createDefinition({ name: 'db1', resourceGroup: 'DfltRscGrp', secret: 's', now: 1 });
      expect(a.created && a.record.port).toBe(7000);
      expect(b.created && b.record.port).toBe(7001);
      const dup = await catalog.resources.createDefinition({ name: 'db0', resourceGroup: 'DfltRscGrp', secret: 's', now: 1 });
      expect(dup).toMatchObject({ created: false, reason: 'exists' });
      expect(await catalog.resources.deleteDefinition('db0')).toBe(true);
      const c = await catalog.resources.createDefinition({ name: 'db2', resourceGroup: 'DfltRscGrp', secret: 's', now: 1 });
      expect(c.created && c.record.port).toBe(7000);
    });

    it('refuse an unknown resource group', async () => {
      expect(await catalog.resources.createDefinition({ name: 'db0', resourceGroup: 'nope', secret: 's', now: 1 })).toMatchObject({ created: false, reason: 'missing' });
    });
  });

  describe('volume definitions', () => {
    it('get volume numbers from 0 and cluster-unique minors from 1000', async () => {
      await catalog.resources.createDefinition({ name: 'db0', resourceGroup: 'DfltRscGrp', secret: 's', now: 1 });
      await catalog.resources.createDefinition({ name: 'db1', resourceGroup: 'DfltRscGrp', secret: 's', now: 1 });
      const v0 = await catalog.resources.createVolumeDefinition({ resource: 'db0', sizeBytes: 64 << 20 });
      const v1 = await catalog.resources.createVolumeDefinition({ resource: 'db0', sizeBytes: 1 << 20 });
      const w0 = await catalog.resources.createVolumeDefinition({ resource: 'db1', sizeBytes: 1 << 20 });
      expect([v0, v1, w0].map((v) => v.created && [v.record.volumeNumber, v.record.minor])).toEqual([[0, 1000], [1, 1001], [0, 1002]]);
      expect(await catalog.resources.createVolumeDefinition({ resource: 'nope', sizeBytes: 1 })).toMatchObject({ created: false, reason: 'missing' });
    });
  });

  describe('resources', () => {
    it('get DRBD node ids 0.. per resource, idempotently, and go away with their definition', async () => {
      await catalog.resources.createDefinition({ name: 'db0', resourceGroup: 'DfltRscGrp', secret: 's', now: 1 });
      const place = ['node2', 'node1', 'node3'].map((node) => ({ node, storagePool: 'pool1', flags: [] }));
      const first = await catalog.resources.createMany('db0', place, 5);
      const again = await catalog.resources.createMany('db0', place, 6);
      expect(again).toEqual(first);
      expect(first.map((r) => [r.node, r.nodeId])).toEqual([['node1', 1], ['node2', 0], ['node3', 2]]);
      await catalog.resources.recordVolume('db0', 'node1', { volumeNumber: 0, backingDisk: '/dev/vg/db0_00000', allocatedBytes: 4096, diskState: 'UpToDate', inUse: false }, 7);
      await catalog.resources.recordVolume('db0', 'node1', { volumeNumber: 0, backingDisk: '/dev/vg/db0_00000', allocatedBytes: 8192, diskState: 'UpToDate', inUse: false }, 8);
      expect((await catalog.resources.get('db0', 'node1'))?.volumes).toEqual([
        { volumeNumber: 0, backingDisk: '/dev/vg/db0_00000', allocatedBytes: 8192, diskState: 'UpToDate', inUse: false, updatedAt: 8 },
      ]);
      expect(await catalog.resources.delete('db0', 'node2')).toBe(true);
      const more = await catalog.resources.createMany('db0', [{ node: 'node2', storagePool: 'pool1', flags: [] }], 9);
      expect(more.find((r) => r.node === 'node2')?.nodeId).toBe(0);
      await catalog.resources.deleteDefinition('db0');
      expect(await catalog.resources.list()).toEqual([]);
    });

    it('serialise mutations with a lock held by one workflow at a time', async () => {
      expect(await catalog.resources.lock('db0', 'wf-a', 1)).toEqual({ held: true, holder: 'wf-a' });
      expect(await catalog.resources.lock('db0', 'wf-a', 2)).toEqual({ held: true, holder: 'wf-a' });
      expect(await catalog.resources.lock('db0', 'wf-b', 3)).toEqual({ held: false, holder: 'wf-a' });
      await catalog.resources.unlock('db0', 'wf-b');
      expect((await catalog.resources.lock('db0', 'wf-b', 4)).held).toBe(false);
      await catalog.resources.unlock('db0', 'wf-a');
      expect((await catalog.resources.lock('db0', 'wf-b', 5)).held).toBe(true);
    });
  });
});

describe('firstFree', () => {
  it.each([
    [[], 7000, 7000],
    [[7000, 7001, 7003], 7000, 7002],
    [[0, 1, 2], 0, 3],
  ])('used %j from %d -> %d', (used, first, want) => {
    expect(firstFree(used, first, first + 100)).toBe(want);
  });
  it('returns null when the range is full', () => expect(firstFree([0, 1], 0, 1)).toBeNull());
});
