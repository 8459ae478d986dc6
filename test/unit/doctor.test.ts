// core/doctor.ts: which differences between catalog, hosts and buckets are drift, which are in
// flight, and what the repair would do, in which order.
import { describe, expect, it } from '@jest/globals';
import { findDrift, parseFerryLvName, parseGrace, repairOrder, resFileUsage, type DoctorCatalogView, type HostReport } from '../../core/doctor.js';
import { renderResourceFile } from '../../core/drbd-config.js';

const view = (over: Partial<DoctorCatalogView> = {}): DoctorCatalogView => ({
  nodes: [{ name: 'n1', online: true }],
  pools: [{ node: 'n1', vg: 'vg', thinPool: 'tp' }],
  replicas: [{ resource: 'db0', node: 'n1', diskless: false, vg: 'vg', volumeNumbers: [0] }],
  definitions: [{ name: 'db0', port: 7000, minors: [1000] }],
  snapshots: [],
  locks: [],
  backupBases: [],
  backupHolders: [],
  remotes: [],
  ...over,
});
const lv = (name: string) => ({ vg: 'vg', name, pool: 'tp', origin: null });
const host = (over: Partial<HostReport> = {}): HostReport => ({
  node: 'n1', lvs: [lv('db0_00000')], drbdUp: [{ resource: 'db0', minors: [1000] }], resFiles: [{ resource: 'db0', port: 7000, minors: [1000] }], ...over,
});
const kinds = (items: { kind: string; object: string; inFlight: boolean }[]) => items.map((d) => `${d.kind} ${d.object}${d.inFlight ? ' (in flight)' : ''}`).sort();
const opts = { graceMs: 60_000, now: 1_000_000 };

describe('doctor: names and files', () => {
  it.each([
    ['db0_00000', { resource: 'db0', volumeNumber: 0, snapshot: null }],
    ['db0_00001_back_20240101_000000', { resource: 'db0', volumeNumber: 1, snapshot: 'back_20240101_000000' }],
    ['my_rsc_00000_snap1', { resource: 'my_rsc', volumeNumber: 0, snapshot: 'snap1' }],
    ['thinpool', null],
    ['db0_0000', null],
  ])('%s', (name, want) => expect(parseFerryLvName(name)).toEqual(want));

  it('reads the port and minors of a .res file ferry writes', () => {
    const text = renderResourceFile({ name: 'r', port: 7005, nodes: [{ name: 'a', nodeId: 0, address: '10.0.0.1', volumes: [{ volume: 0, minor: 1003, disk: null }, { volume: 1, minor: 1004, disk: null }] }] });
    expect(resFileUsage(text)).toEqual({ port: 7005, minors: [1003, 1004] });
  });

  it.each([['0s', 0], ['90', 90_000], ['30m', 1_800_000], ['2h', 7_200_000], ['1d', 86_400_000], ['5 minutes', null], ['-1s', null], ['', null]])('grace %s', (t, ms) => expect(parseGrace(t)).toBe(ms));
});

describe('doctor: drift', () => {
  it('a host that matches the catalog has none', () => {
    expect(findDrift([view()], [host()], [], opts)).toEqual([]);
  });

  it('names orphans, missing pieces and conflicts, each with a fix', () => {
    const h = host({
      lvs: [lv('ghost_00000'), lv('notferry')],
      drbdUp: [{ resource: 'db0', minors: [1000] }, { resource: 'old', minors: [1000] }],
      resFiles: [{ resource: 'left', port: 7000, minors: [1001] }],
    });
    const out = findDrift([view()], [h], [], opts);
    expect(kinds(out)).toEqual([
      'minor-conflict minor 1000', 'missing-lv vg/db0_00000', 'missing-res-file db0.res', 'orphan-drbd old', 'orphan-lv vg/ghost_00000', 'orphan-lv vg/notferry',
      'orphan-res-file left.res', 'port-conflict port 7000',
    ]);
    // only ferry-named LVs are removed by --repair
    expect(out.find((d) => d.object === 'vg/notferry')!.repair).toBeNull();
    expect(out.find((d) => d.object === 'vg/ghost_00000')!.repair).toEqual({ kind: 'remove-lv', node: 'n1', resource: 'ghost', vg: 'vg', lv: 'ghost_00000' });
  });

  it('an LV whose resource lock is held, or whose resource is being shipped, is in flight', () => {
    const h = host({ lvs: [lv('db0_00000'), lv('new0_00000'), lv('db0_00000_back_1')] });
    expect(kinds(findDrift([view({ locks: [{ resource: 'new0', holder: 'resource-create/new0' }], backupHolders: ['backup/db0/back_1'] })], [h], [], opts)))
      .toEqual(['orphan-lv vg/db0_00000_back_1 (in flight)', 'orphan-lv vg/new0_00000 (in flight)']);
  });

  it('what either catalog read references is not an orphan (an operation that ended while the doctor looked)', () => {
    const h = host({ lvs: [lv('db0_00000'), lv('db1_00000')] });
    const after = view({ replicas: [...view().replicas, { resource: 'db1', node: 'n1', diskless: false, vg: 'vg', volumeNumbers: [0] }] });
    expect(kinds(findDrift([view(), after], [h], [], opts)).filter((k) => k.startsWith('orphan'))).toEqual([]);
  });

  it("catalog snapshots and the last backup's kept base snapshot are referenced", () => {
    const h = host({ lvs: [lv('db0_00000'), lv('db0_00000_s1'), lv('db0_00000_back_9')] });
    const v = view({ snapshots: [{ resource: 'db0', snapshot: 's1', state: 'Successful', nodes: [{ node: 'n1', vg: 'vg' }], volumeNumbers: [0] }], backupBases: [{ resource: 'db0', snapshot: 'back_9', node: 'n1' }] });
    expect(findDrift([v], [h], [], opts)).toEqual([]);
  });

  it('S3 leftovers younger than the grace period are in flight; committed backups with missing data need an operator', () => {
    const out = findDrift([view()], [host()], [{
      remote: 'bk',
      uncommitted: [{ id: 'a_back_1', rsc: 'a', keys: ['a_00000_back_1'], newestMs: opts.now - 1000 }, { id: 'b_back_1', rsc: 'b', keys: ['b_00000_back_1'], newestMs: 0 }],
      uploads: [{ key: 'c_00000_back_1', uploadId: 'u1', initiatedMs: 0 }],
      broken: [{ id: 'd_back_1', missingKeys: ['d_00000_back_1'] }],
    }], opts);
    expect(kinds(out)).toEqual(['broken-backup d_back_1', 'stale-upload c_00000_back_1', 'uncommitted-backup a_back_1 (in flight)', 'uncommitted-backup b_back_1']);
    expect(out.find((d) => d.kind === 'broken-backup')!.repair).toBeNull();
  });
});

describe('doctor: repair order', () => {
  it('takes DRBD down before its .res and LVs, snapshots before their origins, S3 last', () => {
    const order = repairOrder([
      { kind: 'discard-uncommitted', remote: 'bk', id: 'x', keys: [] },
      { kind: 'remove-lv', node: 'n', resource: 'r', vg: 'vg', lv: 'r_00000' },
      { kind: 'remove-lv', node: 'n', resource: 'r', vg: 'vg', lv: 'r_00000_s' },
      { kind: 'abort-upload', remote: 'bk', key: 'k', uploadId: 'u' },
      { kind: 'remove-res-file', node: 'n', resource: 'q' },
      { kind: 'down-drbd', node: 'n', resource: 'r' },
    ]);
    expect(order.map((a) => a.kind === 'remove-lv' ? a.lv : a.kind)).toEqual(['down-drbd', 'remove-res-file', 'r_00000_s', 'r_00000', 'abort-upload', 'discard-uncommitted']);
  });
});
