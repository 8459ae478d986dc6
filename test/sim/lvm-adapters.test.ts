// The production LVM adapters (activities/node/host/lvm.ts) against the simulated host: the same
// argument arrays and parsing a real host gets, idempotent on retries.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  activateLogicalVolume,
  createThinSnapshot,
  deactivateLogicalVolume,
  ensureThinSnapshot,
  ensureThinVolume,
  extendLogicalVolume,
  getLogicalVolume,
  listLogicalVolumes,
  listVolumeGroups,
  removeLogicalVolume,
  renameLogicalVolume,
} from '../../activities/node/host/lvm.js';
import { NotFoundError } from '../../core/errors.js';
import { SimCluster } from './lvm-helpers.js';

let c: SimCluster;

beforeAll(async () => {
  c = new SimCluster();
  await c.initHost('a1', ['--size', '4G']);
  c.useForAdapters('a1');
});
afterAll(() => c.cleanup());

describe('lvm adapters on a simulated host', () => {
  it('lists the VG and pool', async () => {
    const [vg] = await listVolumeGroups();
    expect(vg).toMatchObject({ name: 'vg', sizeBytes: 4 * 1024 ** 3, extentBytes: 4 * 1024 * 1024, pvCount: 1, lvCount: 1 });
    expect(vg!.freeBytes).toBeLessThan(vg!.sizeBytes);
    expect((await listLogicalVolumes()).map((l) => [l.name, l.kind])).toEqual([['thinpool', 'thin-pool']]);
  });

  it('creates, snapshots, extends, renames and removes idempotently', async () => {
    const req = { vg: 'vg', pool: 'thinpool', name: 'db0_00000', sizeBytes: 100 * 1024 * 1024, tags: ['ferry'] };
    const first = await ensureThinVolume(req);
    expect(first.created).toBe(true);
    expect(first.volume).toMatchObject({ sizeBytes: 100 * 1024 * 1024, pool: 'thinpool', tags: ['ferry'], active: true });
    expect((await ensureThinVolume(req)).created).toBe(false);

    await createThinSnapshot({ vg: 'vg', origin: 'db0_00000', name: 'db0_00000_snap1' });
    const snap = await getLogicalVolume('vg', 'db0_00000_snap1');
    expect(snap).toMatchObject({ origin: 'db0_00000', active: true, skipActivation: true });
    expect((await ensureThinSnapshot({ vg: 'vg', origin: 'db0_00000', name: 'db0_00000_snap1' })).created).toBe(false);
    await deactivateLogicalVolume('vg', 'db0_00000_snap1');
    expect((await getLogicalVolume('vg', 'db0_00000_snap1'))!.active).toBe(false);
    await activateLogicalVolume('vg', 'db0_00000_snap1', { ignoreActivationSkip: true });
    expect((await getLogicalVolume('vg', 'db0_00000_snap1'))!.active).toBe(true);

    expect(await extendLogicalVolume('vg', 'db0_00000', 200 * 1024 * 1024)).toBe(200 * 1024 * 1024);
    expect(await extendLogicalVolume('vg', 'db0_00000', 150 * 1024 * 1024)).toBe(200 * 1024 * 1024);

    await renameLogicalVolume('vg', 'db0_00000_snap1', 'db0_00000_s1');
    await renameLogicalVolume('vg', 'db0_00000_snap1', 'db0_00000_s1'); // retried: already renamed
    expect(await removeLogicalVolume('vg', 'db0_00000_s1')).toBe(true);
    expect(await removeLogicalVolume('vg', 'db0_00000_s1')).toBe(false);
    expect(await getLogicalVolume('vg', 'db0_00000_s1')).toBeNull();
    await expect(getLogicalVolume('novg', 'x')).rejects.toBeInstanceOf(NotFoundError);
  });
});
