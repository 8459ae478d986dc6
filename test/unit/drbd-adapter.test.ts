// The node agent's DRBD adapter: argument arrays it runs, idempotency on retries, status parsing,
// refusal of names that could be read as options. A fake runner stands in for the host.
import { describe, expect, it } from '@jest/globals';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as drbd from '../../activities/node/host/drbd.js';
import { HostCommandError } from '../../activities/node/host/run.js';
import type { HostCommandOptions, HostCommandResult } from '../../activities/node/host/run.js';
import { ValidationError } from '../../core/errors.js';

type Call = { cmd: string; args: readonly string[]; opts?: HostCommandOptions };

function fakeRunner(reply: (c: Call) => Partial<HostCommandResult> | HostCommandError = () => ({})) {
  const calls: Call[] = [];
  const run = async (cmd: string, args: readonly string[], opts?: HostCommandOptions): Promise<HostCommandResult> => {
    const c = { cmd, args, opts };
    calls.push(c);
    const r = reply(c);
    if (r instanceof HostCommandError) throw r;
    return { command: cmd, args, exitCode: 0, stdout: '', stderr: '', durationMs: 1, ...r };
  };
  return { run, calls };
}

const fail = (cmd: string, args: readonly string[], exitCode: number, stderr: string): HostCommandError => new HostCommandError({ command: cmd, args, exitCode, stderr });

describe('DRBD adapter commands', () => {
  it('builds the argument arrays LINSTOR uses', async () => {
    const f = fakeRunner();
    await drbd.createMetadata('db0', { run: f.run, volume: 0, force: true });
    await drbd.up('db0', { run: f.run });
    await drbd.adjust('db0', { run: f.run, discardMyData: true });
    await drbd.primary('db0', { run: f.run, force: true });
    await drbd.secondary('db0', { run: f.run });
    await drbd.disconnect('db0', { run: f.run, peer: 'node3' });
    await drbd.connect('db0', { run: f.run });
    await drbd.invalidate('db0', { run: f.run, volume: 1 });
    await drbd.skipInitialSync('db0', { run: f.run, volume: 0 });
    await drbd.down('db0', { run: f.run });
    expect(f.calls.map((c) => [c.cmd, ...c.args].join(' '))).toEqual([
      'drbdadm --max-peers 7 -- --force create-md db0/0',
      'drbdadm up db0',
      'drbdadm adjust --discard-my-data db0',
      'drbdadm primary --force db0',
      'drbdadm secondary db0',
      'drbdadm disconnect db0:node3',
      'drbdadm connect db0',
      'drbdadm invalidate db0/1',
      'drbdadm new-current-uuid --clear-bitmap db0/0',
      'drbdadm down db0',
    ]);
  });

  it('create-md without --force answers no and treats existing meta data as done', async () => {
    const f = fakeRunner((c) => fail(c.cmd, c.args, 1, 'Found v09 meta data on /dev/vg/db0_00000\nOperation canceled.'));
    expect(await drbd.createMetadata('db0', { run: f.run })).toBe(false);
    expect(f.calls[0]!.opts?.input).toBe('no\n');
    const g = fakeRunner((c) => fail(c.cmd, c.args, 20, 'open(/dev/vg/x) failed: No such file or directory'));
    await expect(drbd.createMetadata('db0', { run: g.run })).rejects.toThrow(HostCommandError);
  });

  it('down and status treat a resource that is not up as done / null', async () => {
    const f = fakeRunner((c) => fail(c.cmd, c.args, 10, 'db0: No such resource'));
    await expect(drbd.down('db0', { run: f.run })).resolves.toBeUndefined();
    await expect(drbd.status('db0', { run: f.run })).resolves.toBeNull();
    const g = fakeRunner((c) => fail(c.cmd, c.args, 11, 'db0: State change failed: (-12) Device is held open by someone'));
    await expect(drbd.down('db0', { run: g.run })).rejects.toThrow(/held open/);
  });

  it('status parses drbdsetup status --json', async () => {
    const json = fs.readFileSync(path.join(process.cwd(), 'test/fixtures/host/drbdsetup-status-two-resources.json'), 'utf8');
    // the fixture's names start with a digit, which ferry's (LINSTOR's) name rule does not allow
    const f = fakeRunner(() => ({ stdout: json.replace(/"1-single-1"/g, '"single1"') }));
    const s = await drbd.status('single1', { run: f.run });
    expect(f.calls[0]!.args).toEqual(['status', 'single1', '--json', '--verbose', '--statistics']);
    expect(s).toMatchObject({ name: 'single1', role: 'Secondary', devices: [{ minor: 3, diskState: 'UpToDate' }] });
    expect(await drbd.statusAll({ run: f.run })).toHaveLength(2);
  });

  it.each([['-x'], ['db0;rm'], ['a/b'], ['']])('refuses resource name %j', async (name) => {
    const f = fakeRunner();
    await expect(drbd.up(name, { run: f.run })).rejects.toThrow(ValidationError);
    expect(f.calls).toHaveLength(0);
  });

  it('refuses a peer name that is not a host name', async () => {
    const f = fakeRunner();
    await expect(drbd.disconnect('db0', { run: f.run, peer: '--force' })).rejects.toThrow(ValidationError);
  });
});

describe('resource files', () => {
  it('go to FERRY_DRBD_CONF_DIR, else /etc/drbd.d, and are rewritten only when changed', async () => {
    expect(drbd.drbdConfDir({})).toBe('/etc/drbd.d');
    expect(drbd.drbdConfDir({ FERRY_DRBD_CONF_DIR: '/x/drbd.d' })).toBe('/x/drbd.d');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ferry-drbd-conf-'));
    try {
      const cfg = { name: 'db0', port: 7000, nodes: [{ name: 'n1', nodeId: 0, address: '10.0.0.1', volumes: [{ volume: 0, minor: 1000, disk: '/dev/vg/db0_00000' }] }] };
      expect(await drbd.writeResourceFile(cfg, { dir })).toBe(true);
      expect(await drbd.writeResourceFile(cfg, { dir })).toBe(false);
      expect(fs.readFileSync(path.join(dir, 'db0.res'), 'utf8')).toContain('resource db0 {');
      await drbd.removeResourceFile('db0', { dir });
      await drbd.removeResourceFile('db0', { dir });
      expect(fs.existsSync(path.join(dir, 'db0.res'))).toBe(false);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
