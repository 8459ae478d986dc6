// The node lock: concurrent commands on one node serialise, writers in several processes keep the
// pool consistent, and a lock left by a dead process is broken.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import fs from 'node:fs';
import path from 'node:path';
import { parseLvsJson } from '../../activities/node/host/parse-lvm.js';
import { SimCluster, expectOk } from './lvm-helpers.js';

const N = 'c1';
let c: SimCluster;

beforeAll(async () => {
  c = new SimCluster();
  await c.initHost(N, ['--size', '1G']);
});
afterAll(() => c.cleanup());

describe('node lock', () => {
  it('serialises parallel lvcreate and parallel writers', async () => {
    const names = Array.from({ length: 6 }, (_, i) => `p${i}`);
    const created = await Promise.all(names.map((n) => c.tool(N, 'lvcreate', ['-V', '16M', '-T', 'vg/thinpool', '-n', n])));
    expect(created.map((r) => r.exitCode)).toEqual(names.map(() => 0));
    const writes = await Promise.all(names.map((n) => c.sim(['io', 'write', '--node', N, '--vg', 'vg', '--lv', n, '--pattern', n])));
    expect(writes.map((r) => r.exitCode)).toEqual(names.map(() => 0));
    for (const n of names) expectOk(await c.sim(['io', 'verify', '--node', N, '--vg', 'vg', '--lv', n, '--pattern', n]));
    const lvs = parseLvsJson(expectOk(await c.tool(N, 'lvs', ['--reportformat', 'json', '--units', 'b', '--nosuffix', '-o', 'lv_name,vg_name,lv_size,data_percent', 'vg'])).stdout);
    const pool = lvs.find((l) => l.name === 'thinpool')!;
    const used = ((pool.dataPercent ?? 0) / 100) * pool.sizeBytes;
    expect(Math.abs(used - 6 * 16 * 1024 * 1024)).toBeLessThan(0.01 * pool.sizeBytes);
  });

  it('breaks a lock left behind by a dead process', async () => {
    fs.writeFileSync(path.join(c.root, N, 'lock'), `999999999 ${(await import('node:os')).hostname()}\n`);
    const t0 = Date.now();
    expectOk(await c.tool(N, 'lvcreate', ['-V', '16M', '-T', 'vg/thinpool', '-n', 'after']));
    expect(Date.now() - t0).toBeLessThan(5000);
    expect(fs.existsSync(path.join(c.root, N, 'lock'))).toBe(false);
  });
});
