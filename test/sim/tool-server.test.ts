// The simulated node's tool server: sim/bin/<tool> sends its call to it instead of starting Node for
// every `lvs`. Answers must be the very same as the tool run as its own process, calls must run side
// by side, and a call whose caller is killed (a timed-out hung command) must not wedge the server.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execa } from 'execa';
import { SimCluster, SIM_BIN, expectOk, type Run } from './lvm-helpers.js';

const N = 'ts1';
let viaServer: SimCluster;
let viaProcess: SimCluster;

beforeAll(async () => {
  viaServer = new SimCluster({ tools: 'server' });
  viaProcess = new SimCluster({ tools: 'process' });
  await Promise.all([viaServer.initHost(N, ['--size', '2G']), viaProcess.initHost(N, ['--size', '2G'])]);
});
afterAll(() => {
  viaServer.cleanup();
  viaProcess.cleanup();
});

/** The same story of calls, ok and failing, with outputs that carry no random ids. */
const story: [string, string[]][] = [
  ['vgs', ['--reportformat', 'json', '--units', 'b', '--nosuffix', '-o', 'vg_name,vg_size,vg_free']],
  ['lvcreate', ['-V', '64M', '-T', 'vg/thinpool', '-n', 'db0_00000']],
  ['lvcreate', ['-V', '64M', '-T', 'vg/thinpool', '-n', 'db0_00000']],
  ['lvcreate', ['-V', '64M', '-T', 'vg/nopool', '-n', 'db1_00000']],
  ['lvcreate', ['-s', 'vg/db0_00000', '-n', 'db0_00000_snap1']],
  ['lvs', ['--reportformat', 'json', '--units', 'b', '--nosuffix', '-o', 'lv_name,vg_name,lv_size,pool_lv,origin,lv_attr,data_percent']],
  ['lvs', ['-o', 'lv_name,lv_size', 'vg/nope']],
  ['lvextend', ['-L', '128M', 'vg/db0_00000']],
  ['lvremove', ['-f', 'vg/db0_00000_snap1']],
  ['lvremove', ['-f', 'vg/db0_00000_snap1']],
  ['lvchange', ['--bogus']],
  ['drbdadm', ['status', 'nores']],
  ['drbdsetup', ['status', '--json']],
  ['drbdadm', ['--version']],
];

describe('the tool server', () => {
  it('answers every call of the story exactly as the tool run as its own process', async () => {
    for (const [tool, args] of story) {
      const a = await viaServer.tool(N, tool, args);
      const b = await viaProcess.tool(N, tool, args);
      expect({ call: `${tool} ${args.join(' ')}`, ...a }).toEqual({ call: `${tool} ${args.join(' ')}`, ...b });
    }
    // the story had failures in it, with the real tools' wording
    const dup = await viaServer.tool(N, 'lvcreate', ['-V', '64M', '-T', 'vg/thinpool', '-n', 'db0_00000']);
    expect(dup.exitCode).toBe(5);
    expect(dup.stderr).toMatch(/already exists in volume group "vg"/);
  });

  it('is what answers: with no node on PATH a call still works through it, and not without it', async () => {
    // a PATH with bash and cat only: running the tool as a Node process is impossible
    const bin = fs.mkdtempSync(path.join(os.tmpdir(), 'ferry-nonode-'));
    for (const t of ['bash', 'cat']) fs.symlinkSync((await execa('which', [t])).stdout.trim(), path.join(bin, t));
    const run = async (env: Record<string, string>): Promise<Run> => {
      const r = await execa('vgs', ['--noheadings', '-o', 'vg_name'], { env: { ...env, PATH: `${SIM_BIN}:${bin}` }, extendEnv: false, reject: false });
      return { exitCode: r.exitCode ?? -1, stdout: String(r.stdout).trim(), stderr: String(r.stderr) };
    };
    const served = await run(viaServer.env(N));
    expect(served).toEqual({ exitCode: 0, stdout: 'vg', stderr: '' });
    const alone = await run(viaProcess.env(N));
    expect(alone.exitCode).toBe(127);
    fs.rmSync(bin, { recursive: true, force: true });
  });

  it('runs calls side by side: 12 concurrent lvcreate all land', async () => {
    const names = Array.from({ length: 12 }, (_, i) => `par${i}_00000`);
    const rs = await Promise.all(names.map((n) => viaServer.tool(N, 'lvcreate', ['-V', '8M', '-T', 'vg/thinpool', '-n', n])));
    expect(rs.map((r) => r.exitCode)).toEqual(names.map(() => 0));
    const lvs = expectOk(await viaServer.tool(N, 'lvs', ['--noheadings', '-o', 'lv_name'])).stdout.split('\n').map((l) => l.trim());
    for (const n of names) expect(lvs).toContain(n);
  });

  it('survives a hung call whose caller was killed, and keeps serving', async () => {
    expectOk(await viaServer.sim(['fault', 'add', N, 'vgs', '--times', '3', '--hang']));
    const hung = await Promise.all([1, 2, 3].map(() => execa('vgs', [], { env: viaServer.env(N), reject: false, timeout: 800 })));
    expect(hung.map((r) => r.timedOut)).toEqual([true, true, true]);
    const t0 = Date.now();
    const after = expectOk(await viaServer.tool(N, 'vgs', ['--noheadings', '-o', 'vg_name']));
    expect(after.stdout.trim()).toBe('vg');
    expect(Date.now() - t0).toBeLessThan(10_000);
  });

  it('answers a call killed mid-way by a --crash-at-write fault as a killed process (137), frees its lock, and keeps serving', async () => {
    expectOk(await viaServer.tool(N, 'lvcreate', ['-V', '8M', '-T', 'vg/thinpool', '-n', 'crashy']));
    // the first write of lvremove's state: killed before the LV is gone
    expectOk(await viaServer.sim(['fault', 'add', N, 'lvremove', '--times', '1', '--crash-at-write', '1']));
    const killed = await viaServer.tool(N, 'lvremove', ['-f', 'vg/crashy']);
    expect(killed.exitCode).toBe(137);
    expect(fs.existsSync(path.join(viaServer.root, N, 'lock'))).toBe(false);
    expect(expectOk(await viaServer.tool(N, 'lvs', ['--noheadings', '-o', 'lv_name', 'vg/crashy'])).stdout.trim()).toBe('crashy');
    // the next call runs unarmed, in a new worker
    expectOk(await viaServer.tool(N, 'lvremove', ['-f', 'vg/crashy']));
    expect((await viaServer.tool(N, 'lvs', ['vg/crashy'])).exitCode).toBe(5);
  });

  it('streams thin_send byte for byte as the process does, the data copied by the caller (dd), not by Node', async () => {
    const sha = async (c: SimCluster, args: string[]): Promise<string> => {
      const r = await execa('thin_send', args, { env: c.env(N), encoding: 'buffer', reject: false });
      expect({ code: r.exitCode, err: Buffer.from(r.stderr).toString() }).toEqual({ code: 0, err: '' });
      return createHash('sha256').update(r.stdout).digest('hex');
    };
    for (const c of [viaServer, viaProcess]) {
      expectOk(await c.tool(N, 'lvcreate', ['-V', '24M', '-T', 'vg/thinpool', '-n', 'ts_00000']));
      expectOk(await c.sim(['io', 'write', '--node', N, '--vg', 'vg', '--lv', 'ts_00000', '--offset', '0', '--length', '6M', '--pattern', 'a']));
      expectOk(await c.sim(['io', 'write', '--node', N, '--vg', 'vg', '--lv', 'ts_00000', '--offset', String(13 * 1024 * 1024), '--length', '3M', '--pattern', 'b']));
      expectOk(await c.tool(N, 'lvcreate', ['-s', 'vg/ts_00000', '-n', 'ts_00000_s1']));
      expectOk(await c.sim(['io', 'write', '--node', N, '--vg', 'vg', '--lv', 'ts_00000', '--offset', String(2 * 1024 * 1024), '--length', '1M', '--pattern', 'c']));
      expectOk(await c.tool(N, 'lvcreate', ['-s', 'vg/ts_00000', '-n', 'ts_00000_s2']));
      for (const snap of ['ts_00000_s1', 'ts_00000_s2']) expectOk(await c.tool(N, 'lvchange', ['-ay', '-K', `vg/${snap}`]));
    }
    const full = await sha(viaServer, ['vg/ts_00000_s1']);
    expect(full).toBe(await sha(viaProcess, ['vg/ts_00000_s1']));
    const inc = await sha(viaServer, ['vg/ts_00000_s1', 'vg/ts_00000_s2']);
    expect(inc).toBe(await sha(viaProcess, ['vg/ts_00000_s1', 'vg/ts_00000_s2']));
    expect(inc).not.toBe(full);
    // no node on PATH: the stream still flows (bash, printf and dd only)
    const bin = fs.mkdtempSync(path.join(os.tmpdir(), 'ferry-nonode-'));
    for (const t of ['bash', 'cat', 'dd']) fs.symlinkSync((await execa('which', [t])).stdout.trim(), path.join(bin, t));
    const r = await execa('thin_send', ['vg/ts_00000_s1'], { env: { ...viaServer.env(N), PATH: `${SIM_BIN}:${bin}` }, extendEnv: false, encoding: 'buffer', reject: false });
    expect(r.exitCode).toBe(0);
    expect(createHash('sha256').update(r.stdout).digest('hex')).toBe(full);
    fs.rmSync(bin, { recursive: true, force: true });
  });

  it('falls back to running the tool as a process when its server is gone', async () => {
    const env = { ...viaServer.env(N), FERRY_SIM_TOOL_SERVER: '127.0.0.1:1' };
    const r = await execa('vgs', ['--noheadings', '-o', 'vg_name'], { env, reject: false });
    expect({ code: r.exitCode, out: String(r.stdout).trim() }).toEqual({ code: 0, out: 'vg' });
  });
});
