// `ferry-sim host init` prepares a host as an operator would; running it again (a second
// `npm start`) leaves the host and its data as they are.
import { afterAll, describe, expect, it } from '@jest/globals';
import { SimCluster } from './lvm-helpers.js';

const sim = new SimCluster();
afterAll(() => sim.cleanup());

describe('ferry-sim host init', () => {
  it('creates the volume group and thin pool once, and a second run changes nothing', async () => {
    const first = await sim.sim(['host', 'init', 'node1', '--size', '1G']);
    expect(first.exitCode).toBe(0);
    expect((await sim.tool('node1', 'lvcreate', ['-V', '8M', '-T', 'vg/thinpool', '-n', 'keep'])).exitCode).toBe(0);
    const again = await sim.sim(['host', 'init', 'node1', '--size', '1G']);
    expect(again.exitCode).toBe(0);
    const lvs = await sim.tool('node1', 'lvs', ['--noheadings', '-o', 'lv_name', 'vg']);
    expect(lvs.stdout.split('\n').map((l) => l.trim()).filter(Boolean).sort()).toEqual(['keep', 'thinpool']);
  });
});
