// The simulated lvm2 tools, run as processes: output parses with the production parsers and has
// the shape of real lvm2 output (fixtures), data is real (CoW snapshots), errors are lvm2's.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import fs from 'node:fs';
import path from 'node:path';
import { parseLvsJson, parseVgsJson, LVS_FIELDS } from '../../activities/node/host/parse-lvm.js';
import { SimCluster, expectOk } from './lvm-helpers.js';

const N = 'n1';
const LVS_JSON = ['--reportformat', 'json', '--units', 'b', '--nosuffix', '-o', LVS_FIELDS.join(',')];
const fixture = (name: string): string => fs.readFileSync(path.join(process.cwd(), 'test', 'fixtures', 'host', name), 'utf8');

/** The report layout with the rows taken out. */
function skeleton(json: string): string {
  return json
    .split('\n')
    .filter((l) => !/^\s*\{"/.test(l))
    .map((l) => l.trimEnd())
    .join('\n');
}

let c: SimCluster;

beforeAll(async () => {
  c = new SimCluster();
  await c.initHost(N, ['--size', '2G']);
});
afterAll(() => c.cleanup());

async function lvs(...extra: string[]) {
  const r = expectOk(await c.tool(N, 'lvs', [...LVS_JSON, ...extra]));
  return parseLvsJson(r.stdout);
}

describe('vgs and lvs', () => {
  it('report the volume group and thin pool made by host init, in real lvm2 json layout', async () => {
    const vgsOut = expectOk(await c.tool(N, 'vgs', ['--reportformat', 'json', '--units', 'b', '--nosuffix', '-o', 'vg_name,vg_size,vg_free']));
    expect(skeleton(vgsOut.stdout)).toBe(skeleton(fixture('vgs-units-b.json')).replace(/^ {2}\{/, '  {'));
    const [vg] = parseVgsJson(vgsOut.stdout);
    expect(vg).toMatchObject({ name: 'vg', sizeBytes: 2 * 1024 ** 3 });
    const lvsOut = expectOk(await c.tool(N, 'lvs', ['-o', 'lv_name,lv_size', '--reportformat', 'json']));
    expect(skeleton(lvsOut.stdout)).toBe(skeleton(fixture('lvs-lvmreport-man.json')));
    const pool = (await lvs()).find((l) => l.name === 'thinpool')!;
    expect(pool).toMatchObject({ kind: 'thin-pool', vg: 'vg', dataPercent: 0, chunkBytes: 65536, path: null });
    expect(pool.attr).toMatch(/^twi-a-tz--$/);
  });

  it('prints the basic text report like lvm2 (two-space prefix, aligned, sizes in bytes)', async () => {
    const r = expectOk(await c.tool(N, 'lvs', ['--units', 'b', '--nosuffix', '-o', 'lv_name,lv_size,copy_percent']));
    const lines = r.stdout.split('\n').filter(Boolean);
    expect(lines[0]).toMatch(/^ {2}LV +LSize +Cpy%Sync$/);
    expect(lines[1]).toMatch(/^ {2}thinpool +\d+$/);
  });

  it('fails like lvm2 for missing LVs and VGs (exit 5)', async () => {
    const a = await c.tool(N, 'lvs', [...LVS_JSON, 'vg/nope']);
    expect(a.exitCode).toBe(5);
    expect(a.stderr).toBe('  Failed to find logical volume "vg/nope"\n');
    const b = await c.tool(N, 'vgs', ['novg']);
    expect(b.exitCode).toBe(5);
    expect(b.stderr).toBe('  Volume group "novg" not found\n  Cannot process volume group novg\n');
  });
});

describe('lvcreate / lvremove / lvextend / lvrename / lvchange', () => {
  it('creates thin volumes in every argument form and refuses duplicates', async () => {
    expect(expectOk(await c.tool(N, 'lvcreate', ['-V', '64M', '-T', 'vg/thinpool', '-n', 'a'])).stdout).toBe('  Logical volume "a" created.\n');
    expectOk(await c.tool(N, 'lvcreate', ['--thin', '-V', '64m', '--thinpool', 'thinpool', '-n', 'b', 'vg', '--addtag', 'ferry', '--addtag', 'rd=db0']));
    expectOk(await c.tool(N, 'lvcreate', ['--type', 'thin', '--virtualsize', `${64 * 1024 * 1024}b`, '--thinpool', 'thinpool', '--name', 'c', 'vg']));
    const dup = await c.tool(N, 'lvcreate', ['-V', '64M', '-T', 'vg/thinpool', '-n', 'a']);
    expect(dup.exitCode).toBe(5);
    expect(dup.stderr).toBe('  Logical Volume "a" already exists in volume group "vg"\n');
    const all = await lvs('vg');
    expect(all.find((l) => l.name === 'b')).toMatchObject({ kind: 'thin', pool: 'thinpool', sizeBytes: 64 * 1024 * 1024, tags: ['ferry', 'rd=db0'], path: '/dev/vg/b', dataPercent: 0, active: true });
    const sel = expectOk(await c.tool(N, 'lvs', [...LVS_JSON, '-S', 'lv_tags={ferry}']));
    expect(parseLvsJson(sel.stdout).map((l) => l.name)).toEqual(['b']);
  });

  it('refuses a pool bigger than the VG with lvm2 wording', async () => {
    const r = await c.tool(N, 'lvcreate', ['--type', 'thin-pool', '-L', '100G', '-n', 'big', 'vg']);
    expect(r.exitCode).toBe(5);
    expect(r.stderr).toMatch(/^ {2}Volume group "vg" has insufficient free space \(\d+ extents\): \d+ required\.\n$/);
  });

  it('extends, renames and removes; removal gives the chunks back', async () => {
    expectOk(await c.sim(['io', 'write', '--node', N, '--vg', 'vg', '--lv', 'c', '--length', '8M', '--pattern', 'c1']));
    const before = (await lvs('vg/thinpool'))[0]!.dataPercent!;
    expect(before).toBeGreaterThan(0);
    const ext = expectOk(await c.tool(N, 'lvextend', ['-L', '128M', 'vg/c']));
    expect(ext.stdout).toContain('  Logical volume vg/c successfully resized.\n');
    const same = await c.tool(N, 'lvextend', ['-L', '128M', 'vg/c']);
    expect(same.exitCode).toBe(5);
    expect(same.stderr).toBe('  New size (32 extents) matches existing size (32 extents).\n');
    expect(expectOk(await c.tool(N, 'lvrename', ['vg', 'c', 'c2'])).stdout).toBe('  Renamed "c" to "c2" in volume group "vg"\n');
    expectOk(await c.sim(['io', 'verify', '--node', N, '--vg', 'vg', '--lv', 'c2', '--length', '8M', '--pattern', 'c1']));
    expect(expectOk(await c.tool(N, 'lvremove', ['-f', 'vg/c2'])).stdout).toBe('  Logical volume "c2" successfully removed.\n');
    expect((await lvs('vg/thinpool'))[0]!.dataPercent).toBeLessThan(before);
    const again = await c.tool(N, 'lvremove', ['-f', 'vg/c2']);
    expect(again.exitCode).toBe(5);
    expect(again.stderr).toBe('  Failed to find logical volume "vg/c2"\n');
  });
});

describe('thin snapshots', () => {
  it('are copy-on-write: the snapshot keeps its content after the origin is overwritten', async () => {
    expectOk(await c.tool(N, 'lvcreate', ['-V', '32M', '-T', 'vg/thinpool', '-n', 'orig']));
    expectOk(await c.sim(['io', 'write', '--node', N, '--vg', 'vg', '--lv', 'orig', '--pattern', 'A']));
    expectOk(await c.tool(N, 'lvcreate', ['-s', 'vg/orig', '-n', 'snapA']));
    let snap = (await lvs('vg/snapA'))[0]!;
    expect(snap.attr).toBe('Vwi---tz-k'); // thin snapshots get the activation skip flag and stay inactive
    expect(snap.origin).toBe('orig');
    expect(snap.dataPercent).toBeNull();
    // -ay alone does not activate an LV with the skip flag; -K does
    expectOk(await c.tool(N, 'lvchange', ['-ay', 'vg/snapA']));
    expect((await lvs('vg/snapA'))[0]!.active).toBe(false);
    expectOk(await c.tool(N, 'lvchange', ['-ay', '-K', 'vg/snapA']));
    snap = (await lvs('vg/snapA'))[0]!;
    expect(snap.attr).toBe('Vwi-a-tz-k');
    expect(snap.dataPercent).toBe(100);

    const poolBefore = (await lvs('vg/thinpool'))[0]!.dataPercent!;
    expectOk(await c.sim(['io', 'write', '--node', N, '--vg', 'vg', '--lv', 'orig', '--offset', '1M', '--length', '3M', '--pattern', 'B']));
    expectOk(await c.sim(['io', 'verify', '--node', N, '--vg', 'vg', '--lv', 'snapA', '--pattern', 'A']));
    expectOk(await c.sim(['io', 'verify', '--node', N, '--vg', 'vg', '--lv', 'orig', '--offset', '1M', '--length', '3M', '--pattern', 'B']));
    expectOk(await c.sim(['io', 'verify', '--node', N, '--vg', 'vg', '--lv', 'orig', '--offset', '4M', '--pattern', 'A']));
    const bad = await c.sim(['io', 'verify', '--node', N, '--vg', 'vg', '--lv', 'snapA', '--offset', '1M', '--length', '1M', '--pattern', 'B']);
    expect(bad.exitCode).toBe(1);
    expect(bad.stderr).toContain('verify failed at offset');
    // the overwritten 3 MiB were copied on write: the pool grew by about that much
    const pool = (await lvs('vg/thinpool'))[0]!;
    const grewBytes = ((pool.dataPercent! - poolBefore) / 100) * pool.sizeBytes;
    expect(Math.abs(grewBytes - 3 * 1024 * 1024)).toBeLessThan(0.02 * pool.sizeBytes);
  });

  it('activate -kn snapshots right away and follow linstor\'s lvcreate flags', async () => {
    expectOk(await c.tool(N, 'lvcreate', ['--snapshot', '--setactivationskip', 'y', '--ignoreactivationskip', '--activate', 'y', '--name', 'snapL', 'vg/orig']));
    expect((await lvs('vg/snapL'))[0]!.attr).toBe('Vwi-a-tz-k');
    expectOk(await c.tool(N, 'lvcreate', ['-s', 'vg/orig', '-kn', '-n', 'snapN']));
    expect((await lvs('vg/snapN'))[0]!.attr).toBe('Vwi-a-tz--');
  });
});

describe('a full thin pool', () => {
  it('fails writes and new thin volumes; data_percent reaches 100', async () => {
    const d = new SimCluster();
    try {
      await d.initHost('small', ['--size', '64M', '--pool-size', '8M']);
      expectOk(await d.tool('small', 'lvcreate', ['-V', '64M', '-T', 'vg/thinpool', '-n', 'v']));
      const w = await d.sim(['io', 'write', '--node', 'small', '--vg', 'vg', '--lv', 'v', '--length', '16M', '--pattern', 'x']);
      expect(w.exitCode).toBe(1);
      expect(w.stderr).toContain('No space left on device');
      const pool = parseLvsJson(expectOk(await d.tool('small', 'lvs', [...LVS_JSON, 'vg/thinpool'])).stdout)[0]!;
      expect(pool.dataPercent).toBe(100);
      const cr = await d.tool('small', 'lvcreate', ['-V', '8M', '-T', 'vg/thinpool', '-n', 'w']);
      expect(cr.exitCode).toBe(5);
      expect(cr.stderr).toBe('  Cannot create new thin volume, free space in thin pool vg/thinpool reached threshold.\n');
    } finally {
      d.cleanup();
    }
  });

  it('ferry-sim pool fill makes a big pool full without writing, unfill undoes it', async () => {
    expectOk(await c.sim(['pool', 'fill', N, 'vg/thinpool']));
    expect((await lvs('vg/thinpool'))[0]!.dataPercent).toBe(100);
    const w = await c.sim(['io', 'write', '--node', N, '--vg', 'vg', '--lv', 'a', '--length', '1M', '--pattern', 'y']);
    expect(w.exitCode).toBe(1);
    expect((await c.tool(N, 'lvcreate', ['-s', 'vg/a', '-n', 'sfull'])).exitCode).toBe(5);
    expectOk(await c.sim(['pool', 'unfill', N, 'vg/thinpool']));
    expectOk(await c.sim(['io', 'write', '--node', N, '--vg', 'vg', '--lv', 'a', '--length', '1M', '--pattern', 'y']));
  });
});
