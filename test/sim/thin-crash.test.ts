// A simulated host tool killed at any point of a thin-pool write leaves the pool as dm-thin's
// transactions would: every chunk an LV maps is owned by it (a crash may leak a chunk, never hand one
// LV's chunk to another), a snapshot keeps its bytes, and each chunk written holds its old or its new
// bytes. The evacuation that ended with another resource's bytes on a new replica (issue 23) was a
// tool killed between the mapping write and the refcount write: the next allocation reused the chunk.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { SimCluster, expectOk } from './lvm-helpers.js';

const N = 'n1';
const CHUNK = 64 * 1024;
const MiB = 1024 * 1024;
let c: SimCluster;

beforeAll(async () => {
  c = new SimCluster({ tools: 'process' });
  await c.initHost(N, ['--size', '512M']);
});
afterAll(() => c.cleanup());

const ioArgs = (verb: string, lv: string, pattern: string, offset: number, length: number) =>
  ['io', verb, '--node', N, '--vg', 'vg', '--lv', lv, '--pattern', pattern, '--offset', String(offset), '--length', String(length)];
const holds = async (lv: string, pattern: string, offset: number, length: number) => (await c.sim(ioArgs('verify', lv, pattern, offset, length))).exitCode === 0;

describe('a thin write killed at every point', () => {
  it('never maps a chunk it does not own: a snapshot, the written LV and the next allocation all keep their bytes', async () => {
    // partial chunk at the start (copy-on-write of a shared chunk), whole shared chunks, a partial end
    const offset = CHUNK + 100;
    const length = 4 * CHUNK;
    let completed = false;
    for (let crashAt = 1; !completed && crashAt <= 40; crashAt++) {
      const [a, s, b] = [`a${crashAt}`, `s${crashAt}`, `b${crashAt}`];
      expectOk(await c.tool(N, 'lvcreate', ['-V', '1M', '-T', 'vg/thinpool', '-n', a]));
      expectOk(await c.sim(ioArgs('write', a, 'old', 0, MiB)));
      expectOk(await c.tool(N, 'lvcreate', ['-s', `vg/${a}`, '-n', s]));
      expectOk(await c.tool(N, 'lvcreate', ['-V', '1M', '-T', 'vg/thinpool', '-n', b]));

      const run = await c.simCrashing(ioArgs('write', a, 'new', offset, length), crashAt);
      completed = !run.killed;
      if (completed) expect(run.exitCode).toBe(0);

      expect({ crashAt, over: c.overMappedChunks(N) }).toEqual({ crashAt, over: [] });
      // the next writer allocates fresh chunks: they must not be a's or s's
      expectOk(await c.sim(ioArgs('write', b, 'other', 0, MiB)));
      expect({ crashAt, b: await holds(b, 'other', 0, MiB), snapshot: await holds(s, 'old', 0, MiB) }).toEqual({ crashAt, b: true, snapshot: true });
      // a: untouched outside the write; inside, each chunk's part of the write is old or new
      expect({ crashAt, before: await holds(a, 'old', 0, offset), after: await holds(a, 'old', offset + length, MiB - offset - length) }).toEqual({
        crashAt,
        before: true,
        after: true,
      });
      for (let pos = offset; pos < offset + length; ) {
        const end = Math.min(offset + length, (Math.floor(pos / CHUNK) + 1) * CHUNK);
        const old = await holds(a, 'old', pos, end - pos);
        const fresh = !old && (await holds(a, 'new', pos, end - pos));
        expect({ crashAt, pos, oldOrNew: old || fresh }).toEqual({ crashAt, pos, oldOrNew: true });
        if (completed) expect({ pos, fresh }).toEqual({ pos, fresh: true });
        pos = end;
      }
    }
    expect(completed).toBe(true);
  });

  it('lvcreate --snapshot and lvremove killed at every point leave no chunk mapped without a reference', async () => {
    expectOk(await c.tool(N, 'lvcreate', ['-V', '1M', '-T', 'vg/thinpool', '-n', 'origin']));
    expectOk(await c.sim(ioArgs('write', 'origin', 'orig', 0, MiB)));
    const steps: [string, (i: number) => Promise<[string, string[]]>][] = [
      ['snapshot', async (i) => ['lvcreate', ['-s', 'vg/origin', '-n', `snap${i}`]]],
      [
        'remove',
        async (i) => {
          expectOk(await c.tool(N, 'lvcreate', ['-s', 'vg/origin', '-n', `gone${i}`]));
          return ['lvremove', ['-f', `vg/gone${i}`]];
        },
      ],
    ];
    for (const [what, cmd] of steps) {
      let completed = false;
      for (let crashAt = 1; !completed && crashAt <= 10; crashAt++) {
        const [tool, args] = await cmd(crashAt);
        const run = await c.toolCrashing(N, tool, args, crashAt);
        completed = !run.killed;
        expect({ what, crashAt, over: c.overMappedChunks(N) }).toEqual({ what, crashAt, over: [] });
        // the origin overwritten (copy-on-write where a snapshot shares it), then a fresh LV filled
        expectOk(await c.sim(ioArgs('write', 'origin', `o${what}${crashAt}`, 0, MiB)));
        expectOk(await c.tool(N, 'lvcreate', ['-V', '1M', '-T', 'vg/thinpool', '-n', `f${what}${crashAt}`]));
        expectOk(await c.sim(ioArgs('write', `f${what}${crashAt}`, 'fill', 0, MiB)));
        expect({ what, crashAt, origin: await holds('origin', `o${what}${crashAt}`, 0, MiB) }).toEqual({ what, crashAt, origin: true });
      }
      expect({ what, completed }).toEqual({ what, completed: true });
    }
  });
});
