// Fault injection: the next N calls of a command fail exactly as configured, for every simulated
// tool, and the production adapters see them as HostCommandError.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { HostCommandError, runHostCommand } from '../../activities/node/host/run.js';
import { listLogicalVolumes } from '../../activities/node/host/lvm.js';
import { SimCluster, expectOk } from './lvm-helpers.js';

const N = 'f1';
let c: SimCluster;

beforeAll(async () => {
  c = new SimCluster();
  await c.initHost(N, ['--size', '1G']);
});
afterAll(() => c.cleanup());

describe('ferry-sim fault', () => {
  it('makes the next N calls fail with the configured exit code and stderr, then runs normally', async () => {
    const id = expectOk(await c.sim(['fault', 'add', N, 'lvcreate', '--times', '2', '--exit-code', '5', '--stderr', '  Volume group "vg" has insufficient free space (0 extents): 256 required.'])).stdout.trim();
    expect(id).not.toBe('');
    const list = JSON.parse(expectOk(await c.sim(['fault', 'list', N])).stdout) as { command: string; remaining: number }[];
    expect(list).toMatchObject([{ command: 'lvcreate', remaining: 2 }]);
    for (let i = 0; i < 2; i++) {
      const r = await c.tool(N, 'lvcreate', ['-V', '8M', '-T', 'vg/thinpool', '-n', 'v']);
      expect(r).toEqual({ exitCode: 5, stdout: '', stderr: '  Volume group "vg" has insufficient free space (0 extents): 256 required.\n' });
    }
    expectOk(await c.tool(N, 'lvcreate', ['-V', '8M', '-T', 'vg/thinpool', '-n', 'v']));
    expect(JSON.parse(expectOk(await c.sim(['fault', 'list', N])).stdout)).toEqual([]);
  });

  it('matches sub-commands by argument words and leaves other calls alone', async () => {
    expectOk(await c.sim(['fault', 'add', N, 'lvcreate --snapshot', '--times', '1', '--exit-code', '3', '--stderr', 'boom']));
    expectOk(await c.tool(N, 'lvcreate', ['-V', '8M', '-T', 'vg/thinpool', '-n', 'w']));
    expectOk(await c.tool(N, 'lvcreate', ['-s', 'vg/w', '-n', 'ws1']));
    const r = await c.tool(N, 'lvcreate', ['--snapshot', '--name', 'ws2', 'vg/w']);
    expect(r.exitCode).toBe(3);
    expect(r.stderr).toBe('boom\n');
    // works for tools that are not LVM too, e.g. the DRBD tools' names
    expectOk(await c.sim(['fault', 'add', N, 'drbdadm adjust', '--exit-code', '10', '--stderr', 'adjust failed']));
    const list = JSON.parse(expectOk(await c.sim(['fault', 'list', N])).stdout) as { command: string }[];
    expect(list.map((f) => f.command)).toEqual(['drbdadm adjust']);
    expectOk(await c.sim(['fault', 'clear', N]));
  });

  it('delays and hangs', async () => {
    expectOk(await c.sim(['fault', 'add', N, 'lvs', '--times', '1', '--delay-ms', '700']));
    const t0 = Date.now();
    expectOk(await c.tool(N, 'lvs', []));
    expect(Date.now() - t0).toBeGreaterThanOrEqual(700);
    expectOk(await c.sim(['fault', 'add', N, 'vgs', '--times', '1', '--hang']));
    c.useForAdapters(N);
    const err = (await runHostCommand('vgs', [], { timeoutMs: 1000 }).catch((e: unknown) => e)) as HostCommandError;
    expect(err).toBeInstanceOf(HostCommandError);
    expect(err.timedOut).toBe(true);
    expectOk(await c.tool(N, 'vgs', []));
  });

  it('reaches the production adapters as HostCommandError with the stderr tail', async () => {
    c.useForAdapters(N);
    expectOk(await c.sim(['fault', 'add', N, 'lvs', '--times', '1', '--exit-code', '5', '--stderr', '  Volume group "vg" not found\n  Cannot process volume group vg']));
    const err = (await listLogicalVolumes('vg').catch((e: unknown) => e)) as HostCommandError;
    expect(err).toBeInstanceOf(HostCommandError);
    expect(err.exitCode).toBe(5);
    expect(err.command).toBe('lvs');
    expect(err.stderrTail).toBe('  Volume group "vg" not found\n  Cannot process volume group vg\n');
    expect((await listLogicalVolumes('vg')).map((l) => l.name)).toContain('thinpool');
  });
});
