// The snapshot node activities (activities/node/snapshots.ts) against a simulated host: LINSTOR's
// snapshot LV names, idempotent create/delete, and an LV rolled back to a snapshot's bytes.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { ensureThinVolume, getLogicalVolume } from '../../activities/node/host/lvm.js';
import { createSnapshotNodeActivities, snapshotLvName } from '../../activities/node/snapshots.js';
import { expectOk, SimCluster } from './lvm-helpers.js';

let c: SimCluster;
const node = createSnapshotNodeActivities({ node: 's1' });
const vol = { vlmNr: 0, vg: 'vg', lv: 'db0_00000' };

beforeAll(async () => {
  c = new SimCluster();
  await c.initHost('s1', ['--size', '2G']);
  c.useForAdapters('s1');
  await ensureThinVolume({ vg: 'vg', pool: 'thinpool', name: 'db0_00000', sizeBytes: 64 * 1024 * 1024 });
});
afterAll(() => c.cleanup());

const io = (verb: string, lv: string, pattern: string) => c.sim(['io', verb, '--node', 's1', '--vg', 'vg', '--lv', lv, '--length', '1M', '--pattern', pattern]);

describe('snapshot node activities on a simulated host', () => {
  it('names snapshot LVs as LINSTOR does', () => {
    expect(snapshotLvName('db0', 0, 'snap1')).toBe('db0_00000_snap1');
    expect(snapshotLvName('db0', 12, 's')).toBe('db0_00012_s');
  });

  it('creates a snapshot once, however often it is retried, and deletes it the same way', async () => {
    expectOk(await io('write', 'db0_00000', '11'));
    const first = await node.createSnapshot({ resource: 'db0', snapshot: 'snap1', volumes: [vol] });
    expect(first).toEqual([{ vlmNr: 0, vg: 'vg', lv: 'db0_00000_snap1', created: true }]);
    const again = await node.createSnapshot({ resource: 'db0', snapshot: 'snap1', volumes: [vol] });
    expect(again[0]!.created).toBe(false);
    expect(await getLogicalVolume('vg', 'db0_00000_snap1')).toMatchObject({ origin: 'db0_00000', kind: 'thin' });
    expectOk(await io('verify', 'db0_00000_snap1', '11'));

    expect(await node.deleteSnapshot({ resource: 'db0', snapshot: 'snap1', volumes: [vol] })).toEqual(['vg/db0_00000_snap1']);
    expect(await node.deleteSnapshot({ resource: 'db0', snapshot: 'snap1', volumes: [vol] })).toEqual([]);
    expect(await getLogicalVolume('vg', 'db0_00000_snap1')).toBeNull();
  });

  it('refuses a snapshot of a volume that is not there', async () => {
    await expect(node.createSnapshot({ resource: 'db0', snapshot: 'x', volumes: [{ vlmNr: 1, vg: 'vg', lv: 'db0_00001' }] })).rejects.toThrow(/not found/);
  });

  it('rolls an LV back to a snapshot, once per operation token', async () => {
    expectOk(await io('write', 'db0_00000', '21'));
    await node.createSnapshot({ resource: 'db0', snapshot: 'snap2', volumes: [vol] });
    expectOk(await io('write', 'db0_00000', '22'));
    const req = { token: 'run-1', volumes: [{ vg: 'vg', snapshotLv: 'db0_00000_snap2', lv: 'db0_00000' }] };
    await node.replaceLvsFromSnapshot(req);
    expectOk(await io('verify', 'db0_00000', '21'));
    expectOk(await io('write', 'db0_00000', '23'));
    await node.replaceLvsFromSnapshot(req); // a retry of the same operation changes nothing
    expectOk(await io('verify', 'db0_00000', '23'));
    expect(await getLogicalVolume('vg', 'db0_00000')).toMatchObject({ active: true, skipActivation: false });
  });
});
