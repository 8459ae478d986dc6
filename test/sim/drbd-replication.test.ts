// Replication of real bytes by the simulated DRBD, tools run as processes: synchronous writes to
// every replica, out-of-sync tracking while a node is cut off and a resync of exactly those blocks,
// a full sync of a new diskful peer, the resync rate limit, and a diskless node using its peers.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  createResource,
  drbdadm,
  expectOk,
  io,
  lvSha,
  MiB,
  SimCluster,
  status,
  viaDrbd,
  viaLv,
  waitSynced,
  writeResFile,
} from './drbd-helpers.js';
import type { ResourceLayout } from './drbd-helpers.js';

const NODES = ['node1', 'node2', 'node3', 'node4'];
let c: SimCluster;

beforeAll(async () => {
  c = new SimCluster();
  for (const n of NODES) await c.initHost(n, ['--size', '2G']);
});
afterAll(() => c.cleanup());

const BLOCK = 64 * 1024;

/** KiB a node received from all its peers of r3 (replication and resync), from drbdsetup status --json. */
async function receivedKiB(node: string, res = 'r3'): Promise<number> {
  const raw = JSON.parse(expectOk(await c.tool(node, 'drbdsetup', ['status', res, '--json'])).stdout) as Array<{
    connections: Array<{ peer_devices: Array<{ received: number }> }>;
  }>;
  return raw[0]!.connections.reduce((a, x) => a + x.peer_devices[0]!.received, 0);
}

describe('three diskful replicas', () => {
  const r3: ResourceLayout = { name: 'r3', port: 7001, sizeMiB: 64, nodes: [['node1', true], ['node2', true], ['node3', true]], minor: 1001 };

  beforeAll(async () => {
    await createResource(c, r3);
    await waitSynced(c, 'node1', 'r3');
  });

  it('a write on node1 lands byte for byte on node2 and node3 (protocol C: before it returns)', async () => {
    expectOk(await io(c, 'write', 'node1', viaDrbd('r3'), 0, 8 * MiB, 'first'));
    for (const n of ['node1', 'node2', 'node3']) {
      expectOk(await io(c, 'verify', n, viaLv('r3'), 0, 8 * MiB, 'first'));
      expectOk(await io(c, 'verify', n, viaDrbd('r3'), 0, 8 * MiB, 'first'));
    }
    const sha = await lvSha(c, 'node1', 'r3');
    expect(await lvSha(c, 'node2', 'r3')).toBe(sha);
    expect(await lvSha(c, 'node3', 'r3')).toBe(sha);
  });

  it('while node3 is cut off, writes are tracked out of sync; after heal only those blocks resync', async () => {
    expectOk(await c.sim(['net', 'cut', 'node3']));
    const s1 = await status(c, 'node1', 'r3');
    const toNode3 = (s: typeof s1) => s.connections.find((x) => x.name === 'node3')!;
    expect(toNode3(s1).connectionState).toBe('Connecting');
    expect(toNode3(s1).peerDevices[0]!.peerDiskState).toBe('DUnknown');

    // 1 block + 2 blocks (straddling) + 1 block (10 bytes inside one block) = 4 blocks
    expectOk(await io(c, 'write', 'node1', viaDrbd('r3'), 16 * MiB, BLOCK, 'second'));
    expectOk(await io(c, 'write', 'node1', viaDrbd('r3'), 20 * MiB + BLOCK / 2, BLOCK, 'second'));
    expectOk(await io(c, 'write', 'node1', viaDrbd('r3'), 30 * MiB + 100, 10, 'second'));
    const oosBlocks = 4;

    const during = await status(c, 'node1', 'r3');
    expect(toNode3(during).peerDevices[0]!.outOfSyncKiB).toBe((oosBlocks * BLOCK) / 1024);
    expect(during.connections.find((x) => x.name === 'node2')!.peerDevices[0]!.outOfSyncKiB).toBe(0);
    // node2 got the writes, node3 did not
    expectOk(await io(c, 'verify', 'node2', viaLv('r3'), 16 * MiB, BLOCK, 'second'));
    expect((await io(c, 'verify', 'node3', viaLv('r3'), 16 * MiB, BLOCK, 'second')).exitCode).not.toBe(0);
    // node3 itself still believes it is UpToDate and sees its peers as not connected
    const cut = await status(c, 'node3', 'r3');
    expect(cut.devices[0]!.diskState).toBe('UpToDate');
    expect(cut.connections.every((x) => x.connectionState === 'Connecting')).toBe(true);

    const receivedBefore = await receivedKiB('node3');
    expectOk(await c.sim(['net', 'heal', 'node3']));
    const after = await waitSynced(c, 'node1', 'r3');
    await waitSynced(c, 'node3', 'r3');
    // only the out-of-sync blocks travelled: node3 received exactly those 4 blocks (counters in KiB)
    expect((await receivedKiB('node3')) - receivedBefore).toBe((oosBlocks * BLOCK) / 1024);
    expect(toNode3(after).peerDevices[0]!.outOfSyncKiB).toBe(0);
    const s2 = await status(c, 'node2', 'r3');
    expect(s2.connections.find((x) => x.name === 'node3')!.peerDevices[0]!.peerDiskState).toBe('UpToDate');

    const sha = await lvSha(c, 'node1', 'r3');
    expect(await lvSha(c, 'node2', 'r3')).toBe(sha);
    expect(await lvSha(c, 'node3', 'r3')).toBe(sha);
    expectOk(await io(c, 'verify', 'node3', viaDrbd('r3'), 20 * MiB + BLOCK / 2, BLOCK, 'second'));
  });

  it('a node that was down comes back and catches up the same way', async () => {
    expectOk(await drbdadm(c, 'node2', 'down', 'r3'));
    expectOk(await io(c, 'write', 'node3', viaDrbd('r3'), 40 * MiB, 3 * BLOCK, 'third'));
    expectOk(await drbdadm(c, 'node2', 'up', 'r3'));
    await waitSynced(c, 'node2', 'r3');
    expectOk(await io(c, 'verify', 'node2', viaLv('r3'), 40 * MiB, 3 * BLOCK, 'third'));
    expect(await lvSha(c, 'node2', 'r3')).toBe(await lvSha(c, 'node1', 'r3'));
  });
});

describe('a new diskful peer', () => {
  const r2: ResourceLayout = { name: 'grow', port: 7002, sizeMiB: 32, nodes: [['node1', true], ['node2', true]], minor: 1002 };

  it('fully syncs the allocated blocks from an UpToDate peer', async () => {
    await createResource(c, r2);
    expectOk(await io(c, 'write', 'node1', viaDrbd('grow'), 0, 3 * MiB, 'base'));
    expectOk(await io(c, 'write', 'node2', viaDrbd('grow'), 20 * MiB, 1 * MiB, 'base'));

    const grown: ResourceLayout = { ...r2, nodes: [...r2.nodes, ['node4', true]] };
    writeResFile(c, grown);
    expectOk(await c.tool('node4', 'lvcreate', ['-V', '32M', '-T', 'vg/thinpool', '-n', 'grow_00000']));
    expectOk(await drbdadm(c, 'node4', '--max-peers', '7', '--', '--force', 'create-md', 'grow/0'));
    expectOk(await drbdadm(c, 'node1', 'adjust', 'grow'));
    expectOk(await drbdadm(c, 'node2', 'adjust', 'grow'));
    expectOk(await drbdadm(c, 'node4', 'adjust', 'grow'));
    const s = await waitSynced(c, 'node4', 'grow');
    expect(s.devices[0]!.diskState).toBe('UpToDate');
    // 3 MiB + 1 MiB allocated on the source: that is what a thin full sync moves
    expect(await receivedKiB('node4', 'grow')).toBe(4 * 1024);
    const sha = await lvSha(c, 'node1', 'grow');
    expect(await lvSha(c, 'node4', 'grow')).toBe(sha);
    expect(await lvSha(c, 'node2', 'grow')).toBe(sha);
  });
});

describe('resync rate limit', () => {
  it('a resync takes about size / c-max-rate', async () => {
    const rl: ResourceLayout = { name: 'slow', port: 7003, sizeMiB: 64, nodes: [['node1', true], ['node2', true]], minor: 1003, options: { disk: { 'c-max-rate': '8M' } } };
    await createResource(c, rl);
    await waitSynced(c, 'node1', 'slow');
    expectOk(await c.sim(['net', 'cut', 'node2']));
    expectOk(await io(c, 'write', 'node1', viaDrbd('slow'), 0, 16 * MiB, 'rate'));
    expectOk(await c.sim(['net', 'heal', 'node2']));
    const t0 = Date.now();
    const mid = await status(c, 'node1', 'slow');
    expect(mid.connections[0]!.peerDevices[0]!.replicationState).toBe('SyncSource');
    const target = await status(c, 'node2', 'slow');
    expect(target.devices[0]!.diskState).toBe('Inconsistent');
    expect(target.connections[0]!.peerDevices[0]!.replicationState).toBe('SyncTarget');
    // reads on the SyncTarget already return the new data (fetched from the source)
    expectOk(await io(c, 'verify', 'node2', viaDrbd('slow'), 0, 16 * MiB, 'rate'));
    let sawProgress = false;
    for (;;) {
      const s = await status(c, 'node1', 'slow');
      const p = s.connections[0]!.peerDevices[0]!;
      if (p.replicationState === 'SyncSource' && (p.percentResyncDone ?? 0) > 0 && (p.percentResyncDone ?? 0) < 100) sawProgress = true;
      if (p.replicationState === 'Established') break;
      if (Date.now() - t0 > 20000) throw new Error('resync did not finish');
      await new Promise((r) => setTimeout(r, 100));
    }
    const secs = (Date.now() - t0) / 1000;
    expect(sawProgress).toBe(true);
    // 16 MiB at 8 MiB/s = 2 s
    expect(secs).toBeGreaterThan(1.5);
    expect(secs).toBeLessThan(4.5);
    expect(await lvSha(c, 'node2', 'slow')).toBe(await lvSha(c, 'node1', 'slow'));
  });
});

describe('a diskless node', () => {
  it('reads and writes through its UpToDate peers', async () => {
    const dl: ResourceLayout = { name: 'client', port: 7004, sizeMiB: 16, nodes: [['node1', true], ['node2', true], ['node3', false]], minor: 1004 };
    await createResource(c, dl);
    const s = await waitSynced(c, 'node3', 'client');
    expect(s.devices[0]).toMatchObject({ diskState: 'Diskless', client: true, sizeKiB: 16 * 1024 });
    expectOk(await io(c, 'write', 'node3', viaDrbd('client'), 1 * MiB, 2 * MiB, 'client'));
    expectOk(await io(c, 'verify', 'node1', viaLv('client'), 1 * MiB, 2 * MiB, 'client'));
    expectOk(await io(c, 'verify', 'node2', viaLv('client'), 1 * MiB, 2 * MiB, 'client'));
    expectOk(await io(c, 'verify', 'node3', viaDrbd('client'), 1 * MiB, 2 * MiB, 'client'));
    // with no diskful peer reachable there is no data
    expectOk(await c.sim(['net', 'cut', 'node3']));
    const r = await io(c, 'verify', 'node3', viaDrbd('client'), 1 * MiB, 4096, 'client');
    expect(r.exitCode).not.toBe(0);
    expect(r.stderr).toMatch(/no access to UpToDate data/);
    expectOk(await c.sim(['net', 'heal', 'node3']));
  });
});
