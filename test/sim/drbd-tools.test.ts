// The simulated drbdadm/drbdsetup/drbdmeta as processes: their output parses with ferry's parsers
// and has the shape of real DRBD output (fixtures), states follow DRBD 9 (Inconsistent until
// forced or the initial sync is skipped), errors carry DRBD's wording and exit codes, faults armed
// with ferry-sim fail exactly as configured, and the production adapter works against them.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import fs from 'node:fs';
import path from 'node:path';
import * as drbd from '../../activities/node/host/drbd.js';
import { parseDrbdEvents, parseDrbdStatusJson, parseDrbdStatusText } from '../../activities/node/host/parse-drbd.js';
import { createResource, drbdadm, expectOk, io, lvName, MiB, SimCluster, status, viaDrbd, viaLv, waitSynced, writeResFile } from './drbd-helpers.js';
import type { ResourceLayout } from './drbd-helpers.js';

const fixture = (name: string): string => fs.readFileSync(path.join(process.cwd(), 'test', 'fixtures', 'host', name), 'utf8');

let c: SimCluster;

beforeAll(async () => {
  c = new SimCluster();
  for (const n of ['node1', 'node2', 'node3']) await c.initHost(n, ['--size', '1G']);
});
afterAll(() => c.cleanup());

/** Keys of every object at each level of a status --json document. */
function shape(json: unknown): Record<string, string[]> {
  const out: Record<string, Set<string>> = { resource: new Set(), device: new Set(), connection: new Set(), peer_device: new Set() };
  for (const r of json as Array<Record<string, unknown>>) {
    Object.keys(r).forEach((k) => out.resource!.add(k));
    for (const d of r.devices as Array<Record<string, unknown>>) Object.keys(d).forEach((k) => out.device!.add(k));
    for (const cn of r.connections as Array<Record<string, unknown>>) {
      Object.keys(cn).forEach((k) => out.connection!.add(k));
      for (const p of cn.peer_devices as Array<Record<string, unknown>>) Object.keys(p).forEach((k) => out.peer_device!.add(k));
    }
  }
  return Object.fromEntries(Object.entries(out).map(([k, v]) => [k, [...v].sort()]));
}

describe('output of a 3-node resource (one diskless)', () => {
  const shapeRes: ResourceLayout = { name: 'shape', port: 7100, sizeMiB: 16, nodes: [['node1', true], ['node2', true], ['node3', false]], minor: 1100 };

  beforeAll(async () => {
    await createResource(c, shapeRes);
    await waitSynced(c, 'node1', 'shape');
    expectOk(await io(c, 'write', 'node1', viaDrbd('shape'), 0, 1 * MiB, 'x'));
  });

  it('drbdsetup status --json has the keys of real output and parses', async () => {
    const out = expectOk(await c.tool('node1', 'drbdsetup', ['status', '--json'])).stdout;
    expect(shape(JSON.parse(out))).toEqual(shape(JSON.parse(fixture('drbdsetup-status-two-resources.json'))));
    const [s] = parseDrbdStatusJson(out);
    expect(s).toMatchObject({ name: 'shape', nodeId: 0, role: 'Secondary', suspended: false, writeOrdering: 'flush' });
    expect(s!.devices).toEqual([{ volume: 0, minor: 1100, diskState: 'UpToDate', client: false, quorum: true, sizeKiB: 16 * 1024, readKiB: 0, writtenKiB: 1024 }]);
    expect(s!.connections.map((x) => [x.peerNodeId, x.name, x.connectionState, x.peerRole, x.peerDevices[0]!.peerDiskState, x.peerDevices[0]!.peerClient])).toEqual([
      [1, 'node2', 'Connected', 'Secondary', 'UpToDate', false],
      [2, 'node3', 'Connected', 'Secondary', 'Diskless', true],
    ]);
  });

  it('drbdsetup events2 --now --statistics prints the fields of real events2 lines', async () => {
    const out = expectOk(await c.tool('node2', 'drbdsetup', ['events2', '--now', '--statistics', 'shape'])).stdout;
    expect(out.endsWith('exists -\n')).toBe(true);
    const keysOf = (text: string): Record<string, string[]> => {
      const m: Record<string, string[]> = {};
      for (const e of parseDrbdEvents(text)) m[String(e.object)] = Object.keys(e.fields).sort();
      return m;
    };
    expect(keysOf(out)).toEqual(keysOf(fixture('drbd-events2-now-statistics.txt')));
    const plain = expectOk(await c.tool('node2', 'drbdsetup', ['events2', '--now', 'shape'])).stdout.split('\n');
    expect(plain[0]).toBe('exists resource name:shape role:Secondary suspended:no write-ordering:flush');
    expect(plain).toContain('exists device name:shape volume:0 minor:1100 disk:UpToDate client:no quorum:yes');
  });

  it('drbdadm status prints the text layout of real drbdadm', async () => {
    const out = expectOk(await drbdadm(c, 'node3', 'status', 'shape')).stdout;
    expect(out).toBe('shape role:Secondary\n  disk:Diskless\n  node1 role:Secondary\n    peer-disk:UpToDate\n  node2 role:Secondary\n    peer-disk:UpToDate\n\n');
    expect(parseDrbdStatusText(out)[0]!.peers.map((p) => p.volumes[0]!.peerDiskState)).toEqual(['UpToDate', 'UpToDate']);
    expectOk(await c.sim(['net', 'cut', 'node2']));
    const cut = expectOk(await drbdadm(c, 'node1', 'status')).stdout;
    expect(cut).toContain('  node2 connection:Connecting\n');
    expectOk(await c.sim(['net', 'heal', 'node2']));
  });

  it('ferry-sim state shows the DRBD state of a node', async () => {
    const st = JSON.parse(expectOk(await c.sim(['state', 'node1'])).stdout) as { drbd: { resources: Record<string, { role: string }> } };
    expect(st.drbd.resources.shape!.role).toBe('Secondary');
  });

  it('an attached backing LV is in use for lvremove', async () => {
    const r = await c.tool('node1', 'lvremove', ['-f', `vg/${lvName('shape')}`]);
    expect(r.exitCode).not.toBe(0);
    expect(r.stderr).toMatch(/in use/);
  });

  it('the production adapter drives the simulated host', async () => {
    c.useForAdapters('node1');
    const s = await drbd.status('shape');
    expect(s?.devices[0]?.diskState).toBe('UpToDate');
    expect(await drbd.status('nothere')).toBeNull();
    await drbd.primary('shape');
    expect((await drbd.status('shape'))?.role).toBe('Primary');
    // a Secondary cannot write while a peer is Primary (DRBD 9 auto-promote refuses the open)
    const r = await io(c, 'write', 'node2', viaDrbd('shape'), 0, 4096, 'y');
    expect(r.stderr).toMatch(/Wrong medium type/);
    await drbd.secondary('shape');
    expect(await drbd.createMetadata('shape', { volume: 0 })).toBe(false); // attached: refused, counts as done
  });

  it('suspend-io holds writes until resume-io, and status says suspended:user meanwhile', async () => {
    c.useForAdapters('node1');
    await drbd.suspendIo('shape');
    expect((await drbd.status('shape'))?.suspended).toBe(true);
    expect(expectOk(await drbdadm(c, 'node1', 'status', 'shape')).stdout.split('\n')[0]).toBe('shape role:Secondary suspended:user');
    expect(expectOk(await c.tool('node1', 'drbdsetup', ['events2', '--now', 'shape'])).stdout).toContain('exists resource name:shape role:Secondary suspended:user');
    // a write started while suspended has not landed until resume-io
    const pending = io(c, 'write', 'node1', viaDrbd('shape'), 2 * MiB, 1 * MiB, 's');
    let landed = false;
    void pending.then(() => { landed = true; });
    await new Promise((r) => setTimeout(r, 1500));
    expect(landed).toBe(false);
    expect((await io(c, 'verify', 'node2', viaLv('shape'), 2 * MiB, 1 * MiB, 's')).exitCode).not.toBe(0);
    await drbd.resumeIo('shape');
    expectOk(await pending);
    expect((await drbd.status('shape'))?.suspended).toBe(false);
    expectOk(await io(c, 'verify', 'node2', viaLv('shape'), 2 * MiB, 1 * MiB, 's'));
    // not up on this node: DRBD's error
    const r = await drbdadm(c, 'node1', 'suspend-io', 'nothere');
    expect(r.exitCode).toBe(10);
  });
});

describe('initial states and errors', () => {
  const fresh: ResourceLayout = { name: 'fresh', port: 7101, sizeMiB: 8, nodes: [['node1', true], ['node2', true]], minor: 1101 };

  it('new disks are Inconsistent until primary --force; then the peer syncs from it', async () => {
    await createResource(c, fresh, { skipInitialSync: false });
    const s = await status(c, 'node1', 'fresh');
    expect(s.devices[0]!.diskState).toBe('Inconsistent');
    expect(s.connections[0]!.peerDevices[0]!.peerDiskState).toBe('Inconsistent');
    const p = await drbdadm(c, 'node1', 'primary', 'fresh');
    expect(p.exitCode).toBe(17);
    expect(p.stderr).toBe("fresh: State change failed: (-2) Need access to UpToDate data\nCommand 'drbdsetup primary fresh' terminated with exit code 17\n");
    expectOk(await drbdadm(c, 'node1', 'primary', '--force', 'fresh'));
    expectOk(await io(c, 'write', 'node1', viaDrbd('fresh'), 0, 2 * MiB, 'forced'));
    await waitSynced(c, 'node2', 'fresh');
    expectOk(await io(c, 'verify', 'node2', viaLv('fresh'), 0, 2 * MiB, 'forced'));
    expectOk(await drbdadm(c, 'node1', 'secondary', 'fresh'));
  });

  it('invalidate makes a replica resync fully from its peer', async () => {
    expectOk(await drbdadm(c, 'node2', 'invalidate', 'fresh'));
    await waitSynced(c, 'node2', 'fresh');
    expectOk(await io(c, 'verify', 'node2', viaLv('fresh'), 0, 2 * MiB, 'forced'));
  });

  it('disconnect / connect a peer', async () => {
    expectOk(await drbdadm(c, 'node1', 'disconnect', 'fresh'));
    expect((await status(c, 'node1', 'fresh')).connections[0]!.connectionState).toBe('StandAlone');
    expect((await status(c, 'node2', 'fresh')).connections[0]!.connectionState).toBe('Connecting');
    expectOk(await io(c, 'write', 'node1', viaDrbd('fresh'), 4 * MiB, 64 * 1024, 'while-disconnected'));
    expect((await status(c, 'node1', 'fresh')).connections[0]!.peerDevices[0]!.outOfSyncKiB).toBe(64);
    expectOk(await drbdadm(c, 'node1', 'connect', 'fresh'));
    await waitSynced(c, 'node2', 'fresh');
    expectOk(await io(c, 'verify', 'node2', viaLv('fresh'), 4 * MiB, 64 * 1024, 'while-disconnected'));
  });

  it('LINSTOR day-0 generation identifiers (drbdmeta set-gi) skip the initial sync as well', async () => {
    const d0: ResourceLayout = { name: 'day0', port: 7102, sizeMiB: 8, nodes: [['node1', true], ['node2', true]], minor: 1102 };
    writeResFile(c, d0);
    for (const n of ['node1', 'node2']) {
      expectOk(await c.tool(n, 'lvcreate', ['-V', '8M', '-T', 'vg/thinpool', '-n', lvName('day0')]));
      expectOk(await drbdadm(c, n, '--max-peers', '7', '--', '--force', 'create-md', 'day0/0'));
      const meta = await c.tool(n, 'drbdmeta', ['1102', 'v09', `/dev/vg/${lvName('day0')}`, 'internal', 'get-gi', '--node-id', '0', '--force']);
      expect(meta.stdout.startsWith('0000000000000004:')).toBe(true);
      expectOk(await c.tool(n, 'drbdmeta', ['--force', '--node-id', n === 'node1' ? '0' : '1', '1102', 'v09', `/dev/vg/${lvName('day0')}`, 'internal', 'set-gi', '6D3A5B1E9F7C2A40:0:0:0:1:1:']));
    }
    for (const n of ['node1', 'node2']) expectOk(await drbdadm(c, n, 'adjust', 'day0'));
    const s = await waitSynced(c, 'node1', 'day0');
    expect(s.connections[0]!.peerDevices[0]!.outOfSyncKiB).toBe(0);
    const raw = JSON.parse(expectOk(await c.tool('node2', 'drbdsetup', ['status', 'day0', '--json'])).stdout) as Array<{ connections: Array<{ peer_devices: Array<{ received: number }> }> }>;
    expect(raw[0]!.connections[0]!.peer_devices[0]!.received).toBe(0);
  });

  it('up without meta data, unknown resources and bad config fail like drbdadm', async () => {
    const nomd: ResourceLayout = { name: 'nomd', port: 7103, sizeMiB: 8, nodes: [['node1', true], ['node2', true]], minor: 1103 };
    writeResFile(c, nomd);
    expectOk(await c.tool('node1', 'lvcreate', ['-V', '8M', '-T', 'vg/thinpool', '-n', lvName('nomd')]));
    const up = await drbdadm(c, 'node1', 'up', 'nomd');
    expect(up.exitCode).toBe(255);
    expect(up.stderr).toMatch(/^No valid meta data found/);
    expect((await c.tool('node1', 'drbdsetup', ['status', 'nomd', '--json'])).exitCode).toBe(10);

    const unknown = await drbdadm(c, 'node1', 'up', 'nope');
    expect(unknown.exitCode).toBe(10);
    expect(unknown.stderr).toBe("'nope' not defined in your config (for this host).\n");

    const bad = path.join(c.root, 'bad.res');
    fs.writeFileSync(bad, 'resource bad {\n  on node1 { node-id 0 }\n}\n');
    const nop = await drbdadm(c, 'node1', '--config-to-test', bad, 'sh-nop');
    expect(nop.exitCode).toBe(10);
    expect(nop.stderr).toMatch(/bad\.res:2: Parse error/);
    expectOk(await drbdadm(c, 'node1', 'sh-nop'));
  });
});

describe('faults', () => {
  it('drbdadm fails exactly as armed, for exactly as many calls', async () => {
    const fl: ResourceLayout = { name: 'faulty', port: 7104, sizeMiB: 8, nodes: [['node1', true], ['node2', true]], minor: 1104 };
    writeResFile(c, fl);
    expectOk(await c.tool('node1', 'lvcreate', ['-V', '8M', '-T', 'vg/thinpool', '-n', lvName('faulty')]));
    expectOk(await drbdadm(c, 'node1', 'create-md', '--force', 'faulty'));
    expectOk(await c.sim(['fault', 'add', 'node1', 'drbdadm', 'adjust', '--times', '2', '--exit-code', '10', '--stderr', 'faulty: Failure: (162) Invalid configuration request']));
    for (let i = 0; i < 2; i++) {
      const r = await drbdadm(c, 'node1', 'adjust', 'faulty');
      expect(r).toMatchObject({ exitCode: 10, stderr: 'faulty: Failure: (162) Invalid configuration request\n', stdout: '' });
    }
    // other drbdadm commands are not affected, and nothing happened
    expect((await drbdadm(c, 'node1', 'status', 'faulty')).stderr).toMatch(/No such resource/);
    expectOk(await drbdadm(c, 'node1', 'adjust', 'faulty'));
    expect((await status(c, 'node1', 'faulty')).devices[0]!.diskState).toBe('Inconsistent');

    expectOk(await c.sim(['fault', 'add', 'node1', 'drbdsetup', 'status', '--times', '1', '--exit-code', '20', '--stderr', 'error sending config command']));
    c.useForAdapters('node1');
    await expect(drbd.status('faulty')).rejects.toThrow(/drbdsetup failed with exit code 20: error sending config command/);
    expect((await drbd.status('faulty'))?.name).toBe('faulty');
  });
});
