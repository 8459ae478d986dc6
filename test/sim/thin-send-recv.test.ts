// thin_send | thin_recv between two simulated nodes: full and incremental streams, only changed
// chunks move, the production spawn helpers pipe the stream, broken streams are refused.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { finishThin, spawnThinRecv, spawnThinSend, thinRecvArgs, thinSendArgs } from '../../activities/node/host/thin.js';
import { HostCommandError } from '../../activities/node/host/run.js';
import { SimCluster, expectOk } from './lvm-helpers.js';

const MiB = 1024 * 1024;
const HEADER = 32;
const RECORD = 24;
let c: SimCluster;

beforeAll(async () => {
  c = new SimCluster();
  await c.initHost('src', ['--size', '1G']);
  await c.initHost('dst', ['--size', '1G']);
  expectOk(await c.tool('src', 'lvcreate', ['-V', '64M', '-T', 'vg/thinpool', '-n', 'vol']));
  expectOk(await c.tool('dst', 'lvcreate', ['-V', '64M', '-T', 'vg/thinpool', '-n', 'vol']));
});
afterAll(() => c.cleanup());

async function send(node: string, args: string[]): Promise<Buffer> {
  const { execa } = await import('execa');
  const r = await execa('thin_send', args, { env: c.env(node), encoding: 'buffer' });
  return Buffer.from(r.stdout);
}

describe('thin_send / thin_recv', () => {
  it('a full stream carries the allocated chunks only and recreates the volume elsewhere', async () => {
    expectOk(await c.sim(['io', 'write', '--node', 'src', '--vg', 'vg', '--lv', 'vol', '--offset', '0', '--length', '10M', '--pattern', 'p1']));
    expectOk(await c.sim(['io', 'write', '--node', 'src', '--vg', 'vg', '--lv', 'vol', '--offset', '40M', '--length', '2M', '--pattern', 'p1']));
    expectOk(await c.tool('src', 'lvcreate', ['-s', 'vg/vol', '-n', 's1', '-K', '-ay']));
    const stream = await send('src', ['vg/s1']);
    expect(stream.subarray(0, 8).toString('latin1')).toBe('FTHNSTRM');
    const payload = 12 * MiB;
    expect(stream.length).toBeGreaterThanOrEqual(payload);
    expect(stream.length).toBeLessThan(payload * 1.05 + HEADER + 10 * RECORD);
    const r = await c.tool('dst', 'thin_recv', ['vg/vol'], stream);
    expect(r.exitCode).toBe(0);
    expectOk(await c.sim(['io', 'verify', '--node', 'dst', '--vg', 'vg', '--lv', 'vol', '--length', '10M', '--pattern', 'p1']));
    expectOk(await c.sim(['io', 'verify', '--node', 'dst', '--vg', 'vg', '--lv', 'vol', '--offset', '40M', '--length', '2M', '--pattern', 'p1']));
    expectOk(await c.sim(['io', 'verify', '--node', 'dst', '--vg', 'vg', '--lv', 'vol', '--offset', '10M', '--length', '30M', '--pattern', 'zero']));
  });

  it('an incremental stream moves only the chunks changed between two snapshots (piped by the production helpers)', async () => {
    // change 3 MiB + 2 scattered 64 KiB chunks
    expectOk(await c.sim(['io', 'write', '--node', 'src', '--vg', 'vg', '--lv', 'vol', '--offset', '20M', '--length', '3M', '--pattern', 'p2']));
    expectOk(await c.sim(['io', 'write', '--node', 'src', '--vg', 'vg', '--lv', 'vol', '--offset', '1M', '--length', '64K', '--pattern', 'p2']));
    expectOk(await c.sim(['io', 'write', '--node', 'src', '--vg', 'vg', '--lv', 'vol', '--offset', '50M', '--length', '100', '--pattern', 'p2']));
    expectOk(await c.tool('src', 'lvcreate', ['-s', 'vg/vol', '-n', 's2', '-kn']));
    const changed = 3 * MiB + 2 * 64 * 1024;
    const stream = await send('src', ['vg/s1', 'vg/s2']);
    expect(stream.length).toBeGreaterThanOrEqual(changed);
    expect(stream.length).toBeLessThanOrEqual(changed * 1.05 + HEADER + 8 * RECORD);

    const saved = { ...process.env };
    try {
      Object.assign(process.env, c.env('src'));
      const sender = spawnThinSend({ vg: 'vg', base: 's1', snapshot: 's2' });
      Object.assign(process.env, c.env('dst'));
      const receiver = spawnThinRecv({ vg: 'vg', lv: 'vol' });
      sender.stdout.pipe(receiver.stdin);
      await Promise.all([
        finishThin(sender, 'thin_send', thinSendArgs({ vg: 'vg', base: 's1', snapshot: 's2' })),
        finishThin(receiver, 'thin_recv', thinRecvArgs({ vg: 'vg', lv: 'vol' })),
      ]);
    } finally {
      process.env = saved;
    }
    // dst now equals s2: p1 where untouched, p2 where changed
    const sha = async (node: string, lv: string) => expectOk(await c.sim(['io', 'read', '--node', node, '--vg', 'vg', '--lv', lv, '--sha256'])).stdout;
    expect(await sha('dst', 'vol')).toBe(await sha('src', 's2'));
    expect(await sha('dst', 'vol')).not.toBe(await sha('src', 's1'));
  });

  it('refuses truncated streams, inactive snapshots and unknown LVs', async () => {
    const stream = await send('src', ['vg/s1', 'vg/s2']);
    const cut = await c.tool('dst', 'thin_recv', ['vg/vol'], stream.subarray(0, stream.length - 100));
    expect(cut.exitCode).toBe(1);
    expect(cut.stderr).toContain('unexpected end of stream');
    const junk = await c.tool('dst', 'thin_recv', ['vg/vol'], Buffer.from('not a stream at all, really not at all'));
    expect(junk.exitCode).toBe(1);
    expect(junk.stderr).toContain('bad magic');
    expectOk(await c.tool('src', 'lvcreate', ['-s', 'vg/vol', '-n', 's3']));
    const inactive = await c.tool('src', 'thin_send', ['vg/s3']);
    expect(inactive.exitCode).toBe(1);
    expect(inactive.stderr).toContain('/dev/vg/s3');
    const missing = await c.tool('src', 'thin_send', ['vg/nope']);
    expect(missing.exitCode).toBe(1);
    const saved = { ...process.env };
    try {
      Object.assign(process.env, c.env('src'));
      const p = spawnThinSend({ vg: 'vg', snapshot: 'nope' });
      p.stdout.resume();
      const err = await finishThin(p, 'thin_send', ['vg/nope']).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(HostCommandError);
      expect((err as HostCommandError).stderrTail).toContain('Failed to find logical volume "vg/nope"');
    } finally {
      process.env = saved;
    }
  });
});
