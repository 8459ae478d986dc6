// lvm.ts with a fake runner: the exact argv ferry runs, and idempotency on retries.
import { describe, expect, it } from '@jest/globals';
import { HostCommandError } from '../../activities/node/host/run.js';
import type { HostCommandOptions, HostCommandResult } from '../../activities/node/host/run.js';
import {
  createThinSnapshot,
  ensureThinVolume,
  extendLogicalVolume,
  listLogicalVolumes,
  removeLogicalVolume,
} from '../../activities/node/host/lvm.js';
import { thinRecvArgs, thinSendArgs } from '../../activities/node/host/thin.js';

type Call = { cmd: string; args: readonly string[] };

function fakeRunner(handler: (c: Call) => { stdout?: string; exitCode?: number; stderr?: string }) {
  const calls: Call[] = [];
  const run = async (cmd: string, args: readonly string[], _opts?: HostCommandOptions): Promise<HostCommandResult> => {
    const c = { cmd, args };
    calls.push(c);
    const r = handler(c);
    if (r.exitCode) throw new HostCommandError({ command: cmd, args, exitCode: r.exitCode, stderr: r.stderr ?? '' });
    return { command: cmd, args, exitCode: 0, stdout: r.stdout ?? '', stderr: '', durationMs: 0 };
  };
  return { run, calls };
}

const lvsJson = (rows: Record<string, string>[]): string =>
  `  {\n      "report": [\n          {\n              "lv": [\n${rows.map((r) => '                  ' + JSON.stringify(r)).join(',\n')}\n              ]\n          }\n      ]\n  }\n`;

const vol = { lv_name: 'db0_00000', vg_name: 'vg', lv_attr: 'Vwi-a-tz--', lv_size: '1073741824', pool_lv: 'thinpool', origin: '', data_percent: '0.00', metadata_percent: '', lv_tags: '', chunk_size: '0', lv_path: '/dev/vg/db0_00000' };

describe('lvm adapters', () => {
  it('lists with json, bytes and a fixed field list', async () => {
    const f = fakeRunner(() => ({ stdout: lvsJson([vol]) }));
    const lvs = await listLogicalVolumes('vg', { run: f.run });
    expect(f.calls[0]!.cmd).toBe('lvs');
    expect(f.calls[0]!.args).toEqual(['--reportformat', 'json', '--units', 'b', '--nosuffix', '-o', 'lv_name,vg_name,lv_attr,lv_size,pool_lv,origin,data_percent,metadata_percent,lv_tags,chunk_size,lv_path', 'vg']);
    expect(lvs[0]).toMatchObject({ name: 'db0_00000', sizeBytes: 1073741824, pool: 'thinpool', kind: 'thin' });
  });

  it('ensureThinVolume creates once and accepts an existing volume on retry', async () => {
    let exists = false;
    const f = fakeRunner((c) => {
      if (c.cmd === 'lvs') return exists ? { stdout: lvsJson([vol]) } : { exitCode: 5, stderr: '  Failed to find logical volume "vg/db0_00000"\n' };
      if (c.cmd === 'lvcreate') {
        exists = true;
        return { stdout: '  Logical volume "db0_00000" created.\n' };
      }
      return {};
    });
    const req = { vg: 'vg', pool: 'thinpool', name: 'db0_00000', sizeBytes: 1073741824, tags: ['ferry'] };
    expect((await ensureThinVolume(req, { run: f.run })).created).toBe(true);
    expect(f.calls.find((c) => c.cmd === 'lvcreate')!.args).toEqual(['--type', 'thin', '--virtualsize', '1073741824b', '--thinpool', 'thinpool', '--name', 'db0_00000', '--addtag', 'ferry', 'vg']);
    expect((await ensureThinVolume(req, { run: f.run })).created).toBe(false);
    expect(f.calls.filter((c) => c.cmd === 'lvcreate')).toHaveLength(1);
    await expect(ensureThinVolume({ ...req, sizeBytes: 2 * 1073741824 }, { run: f.run })).rejects.toThrow(/exists but is not/);
  });

  it('removeLogicalVolume is idempotent', async () => {
    const f = fakeRunner(() => ({ exitCode: 5, stderr: '  Failed to find logical volume "vg/x"\n' }));
    expect(await removeLogicalVolume('vg', 'x', { run: f.run })).toBe(false);
    expect(f.calls[0]!.args).toEqual(['-f', 'vg/x']);
  });

  it('extendLogicalVolume does nothing when already big enough', async () => {
    const f = fakeRunner(() => ({ stdout: lvsJson([vol]) }));
    expect(await extendLogicalVolume('vg', 'db0_00000', 1024, { run: f.run })).toBe(1073741824);
    expect(f.calls.map((c) => c.cmd)).toEqual(['lvs']);
  });

  it('snapshots the way thin_send needs them: active with the skip flag', async () => {
    const f = fakeRunner(() => ({}));
    await createThinSnapshot({ vg: 'vg', origin: 'db0_00000', name: 'db0_00000_s1' }, { run: f.run });
    expect(f.calls[0]!.args).toEqual(['--snapshot', '--setactivationskip', 'y', '--ignoreactivationskip', '--activate', 'y', '--name', 'db0_00000_s1', 'vg/db0_00000']);
  });

  it('refuses names that could be options', async () => {
    const f = fakeRunner(() => ({}));
    await expect(removeLogicalVolume('vg', '-rf', { run: f.run })).rejects.toThrow(/not a valid LVM name/);
    expect(f.calls).toHaveLength(0);
    expect(() => thinSendArgs({ vg: 'vg', snapshot: '--all' })).toThrow();
    expect(thinSendArgs({ vg: 'vg', base: 's1', snapshot: 's2' })).toEqual(['vg/s1', 'vg/s2']);
    expect(thinRecvArgs({ vg: 'vg', lv: 't' })).toEqual(['vg/t']);
  });
});
