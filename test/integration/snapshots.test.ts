// The operator's story of snapshots on three simulated hosts: a replicated resource, data written
// through DRBD, a snapshot, more data, a refused rollback (a newer snapshot exists), a rollback
// that brings the old bytes back on every replica, a restore into a new resource, a snapshot that
// fails on one node and leaves nothing behind, and bad input refused with no change.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startTestCluster, type TestCluster } from '../harness/cluster.js';
import { lvNames } from '../harness/checks.js';

const nodes = ['node1', 'node2', 'node3'];
const PATTERN_A = '101';
const PATTERN_B = '202';
let cluster: TestCluster;
const lvs = (node: string) => lvNames(cluster, node);

beforeAll(async () => {
  cluster = await startTestCluster({ nodes, offlineAfterMs: 5000 });
  await cluster.eventually('all nodes are ONLINE', async () => (await cluster.client.nodes.list()).every((n) => n.connection_status === 'ONLINE'), 60_000);
  for (const n of nodes) expect((await cluster.ferry(['sp', 'c', 'lvmthin', n, 'pool1', 'vg/thinpool'])).exitCode).toBe(0);
});

afterAll(async () => {
  await cluster?.stop();
});

const ok = (r: { exitCode?: number; stderr: unknown }) => ({ code: r.exitCode, err: String(r.stderr) });

const io = (verb: 'write' | 'verify', node: string, resource: string, pattern: string) =>
  cluster.sim(['io', verb, '--node', node, '--resource', resource, '--pattern', pattern, '--length', '2M']);
const ioLv = (node: string, lv: string, pattern: string) =>
  cluster.sim(['io', 'verify', '--node', node, '--vg', 'vg', '--lv', lv, '--pattern', pattern, '--length', '2M']);

describe('snapshots of a replicated resource', () => {
  it('are taken on every replica while data is there', async () => {
    expect(ok(await cluster.ferry(['rd', 'c', 'db0']))).toEqual({ code: 0, err: '' });
    expect(ok(await cluster.ferry(['vd', 'c', 'db0', '32M']))).toEqual({ code: 0, err: '' });
    expect(ok(await cluster.ferry(['r', 'c', 'db0', '--auto-place', '3']))).toEqual({ code: 0, err: '' });
    expect(ok(await io('write', 'node1', 'db0', PATTERN_A))).toEqual({ code: 0, err: '' });

    const s = await cluster.ferry(['s', 'c', 'db0', 's1']);
    expect(ok(s)).toEqual({ code: 0, err: '' });
    expect(s.stdout).toMatch(/New snapshot 's1' of resource 'db0' created on node1, node2, node3/);
    // I/O was suspended on every replica for the snapshots, and resumed
    expect(s.stdout).not.toMatch(/not suspended/);
    const s1 = await cluster.ferry(['s', 'c', 'db0', 's1json', '-m']);
    expect(JSON.parse(String(s1.stdout))).toMatchObject({ result: { ioSuspended: true } });
    for (const n of nodes) expect(String((await cluster.host(n, 'drbdsetup', ['status', '--json', 'db0'])).stdout)).toContain('"suspended": false');
    expect(ok(await cluster.ferry(['s', 'd', 'db0', 's1json']))).toEqual({ code: 0, err: '' });
    for (const n of nodes) {
      expect(await lvs(n)).toEqual(['db0_00000', 'db0_00000_s1']);
      expect(ok(await ioLv(n, 'db0_00000_s1', PATTERN_A))).toEqual({ code: 0, err: '' });
    }
    const l = await cluster.ferry(['s', 'l']);
    expect(l.exitCode).toBe(0);
    expect(l.stdout).toMatch(/ResourceName ┊ SnapshotName ┊ NodeNames\s+┊ Volumes\s+┊ CreatedOn\s+┊ State/);
    expect(l.stdout).toMatch(/┊ db0\s+┊ s1\s+┊ node1, node2, node3 ┊ 0: 32(\.00)? MiB ┊ \d{4}-\d\d-\d\d \d\d:\d\d:\d\d ┊ Successful ┊/);
  });

  it('roll back only to the most recent snapshot, then bring the old bytes back on every replica', async () => {
    expect(ok(await io('write', 'node2', 'db0', PATTERN_B))).toEqual({ code: 0, err: '' });
    expect(ok(await cluster.ferry(['s', 'c', 'db0', 's2']))).toEqual({ code: 0, err: '' });
    const refused = await cluster.ferry(['s', 'rb', 'db0', 's1']);
    expect(refused.exitCode).toBe(5);
    expect(refused.stderr).toMatch(/only be rolled back to its most recent snapshot; delete the newer snapshot first: s2/);
    expect(ok(await io('verify', 'node3', 'db0', PATTERN_B))).toEqual({ code: 0, err: '' }); // nothing changed

    expect(ok(await cluster.ferry(['s', 'd', 'db0', 's2']))).toEqual({ code: 0, err: '' });
    for (const n of nodes) expect(await lvs(n)).toEqual(['db0_00000', 'db0_00000_s1']);
    const rb = await cluster.ferry(['s', 'rb', 'db0', 's1']);
    expect(ok(rb)).toEqual({ code: 0, err: '' });
    for (const n of nodes) {
      expect({ n, ...ok(await io('verify', n, 'db0', PATTERN_A)) }).toEqual({ n, code: 0, err: '' });
      expect({ n, ...ok(await ioLv(n, 'db0_00000', PATTERN_A)) }).toEqual({ n, code: 0, err: '' });
    }
    const v = await cluster.ferry(['v', 'l', '-r', 'db0']);
    for (const n of nodes) expect(v.stdout).toMatch(new RegExp(`┊ ${n}\\s+┊ db0\\s+┊ pool1 .*┊ UpToDate ┊`));
    // the resource replicates again after the rollback
    expect(ok(await io('write', 'node3', 'db0', PATTERN_B))).toEqual({ code: 0, err: '' });
    expect(ok(await io('verify', 'node1', 'db0', PATTERN_B))).toEqual({ code: 0, err: '' });
  });

  it('restore into a new resource with the snapshot\'s bytes on the same nodes', async () => {
    const r = await cluster.ferry(['s', 'r', 'r', '--from-resource', 'db0', '--from-snapshot', 's1', '--to-resource', 'db0copy']);
    expect(ok(r)).toEqual({ code: 0, err: '' });
    const rs = await cluster.client.resources.list({ resources: ['db0copy'] });
    expect(rs.map((x) => x.node_name).sort()).toEqual(nodes);
    for (const n of nodes) {
      expect({ n, ...ok(await io('verify', n, 'db0copy', PATTERN_A)) }).toEqual({ n, code: 0, err: '' });
      expect(await lvs(n)).toContain('db0copy_00000');
    }
    const rd = await cluster.client.resourceDefinitions.get('db0copy');
    expect(rd.layer_data[0]!.data.port).not.toBe((await cluster.client.resourceDefinitions.get('db0')).layer_data[0]!.data.port);
    // the copy is independent of the original
    expect(ok(await io('write', 'node1', 'db0copy', '303'))).toEqual({ code: 0, err: '' });
    expect(ok(await io('verify', 'node2', 'db0', PATTERN_B))).toEqual({ code: 0, err: '' });
  });

  it('that fail on one node leave no snapshot LV anywhere and I/O running', async () => {
    const f = await cluster.sim(['fault', 'add', 'node2', 'lvcreate --snapshot', '--exit-code', '5', '--stderr', '  Insufficient free space: simulated failure']);
    expect(f.exitCode).toBe(0);
    try {
      const s = await cluster.ferry(['s', 'c', 'db0', 'sfail']);
      expect(s.exitCode).not.toBe(0);
      expect(s.stderr).toMatch(/snapshot 'sfail' of 'db0' failed on node2: .*lvcreate.*Insufficient free space/);
      expect(s.stderr).toMatch(/snapshots already made were removed and I\/O resumed/);
    } finally {
      await cluster.sim(['fault', 'clear', 'node2']);
    }
    for (const n of nodes) expect((await lvs(n)).filter((x) => x.endsWith('_sfail'))).toEqual([]);
    expect((await cluster.client.snapshots.list()).map((x) => `${x.resource_name}/${x.name}`)).toEqual(['db0/s1']);
    expect(ok(await io('write', 'node1', 'db0', PATTERN_A))).toEqual({ code: 0, err: '' });
    expect(ok(await io('verify', 'node3', 'db0', PATTERN_A))).toEqual({ code: 0, err: '' });
    // and the same snapshot works once the host is fixed
    expect(ok(await cluster.ferry(['s', 'c', 'db0', 'sfail']))).toEqual({ code: 0, err: '' });
    expect(ok(await cluster.ferry(['s', 'd', 'db0', 'sfail']))).toEqual({ code: 0, err: '' });
  });

  it('refuse bad input with a clear error and no change', async () => {
    const before = JSON.stringify({ s: await cluster.client.snapshots.list(), lvs: await Promise.all(nodes.map(lvs)), rd: (await cluster.client.resourceDefinitions.list()).map((d) => d.name) });
    const cases: [string[], number, RegExp][] = [
      [['s', 'c', 'nosuch', 's9'], 3, /resource definition 'nosuch' not found/],
      [['s', 'c', 'db0', 's1'], 5, /snapshot 's1' of resource 'db0' already exists/],
      [['s', 'c', 'db0', '9bad'], 2, /snapshot/i],
      [['s', 'c', 'db0', 'a'.repeat(49)], 2, /snapshot/i],
      [['s', 'd', 'db0', 'nosuch'], 3, /snapshot 'nosuch' of resource 'db0' not found/],
      [['s', 'rb', 'db0', 'nosuch'], 3, /snapshot 'nosuch' of resource 'db0' not found/],
      [['s', 'rb', 'nosuch', 's1'], 3, /resource definition 'nosuch' not found/],
      [['s', 'r', 'r', '--from-resource', 'db0', '--from-snapshot', 'nosuch', '--to-resource', 'x1'], 3, /snapshot 'nosuch' of resource 'db0' not found/],
      [['s', 'r', 'r', '--from-resource', 'db0', '--from-snapshot', 's1', '--to-resource', 'db0copy'], 5, /resource definition 'db0copy' already exists/],
      [['s', 'r', 'r', '--from-resource', 'db0', '--from-snapshot', 's1', '--to-resource', 'bad name'], 2, /resource/i],
      [['rd', 'd', 'db0'], 5, /has snapshots \(s1\); delete them first/],
    ];
    for (const [args, code, msg] of cases) {
      const r = await cluster.ferry(args);
      expect({ args, code: r.exitCode }).toEqual({ args, code });
      expect(r.stderr).toMatch(msg);
    }
    const after = JSON.stringify({ s: await cluster.client.snapshots.list(), lvs: await Promise.all(nodes.map(lvs)), rd: (await cluster.client.resourceDefinitions.list()).map((d) => d.name) });
    expect(after).toBe(before);
  });
});
