import { describe, expect, it } from '@jest/globals';
import fs from 'node:fs';
import path from 'node:path';
import {
  DrbdParseError,
  isFullySynced,
  parseDrbdEventLine,
  parseDrbdEvents,
  parseDrbdStatusJson,
  parseDrbdStatusText,
  statusFromEvents,
} from '../../activities/node/host/parse-drbd.js';

const fixture = (name: string): string => fs.readFileSync(path.join(process.cwd(), 'test/fixtures/host', name), 'utf8');

describe('drbdsetup status --json (real output)', () => {
  const status = parseDrbdStatusJson(fixture('drbdsetup-status-two-resources.json'));

  it('reads resources, devices, connections and peer devices', () => {
    expect(status.map((r) => r.name)).toEqual(['1-single-0', '1-single-1']);
    const r = status[0]!;
    expect(r).toMatchObject({ nodeId: 2, role: 'Secondary', suspended: false, writeOrdering: 'flush' });
    expect(r.devices).toEqual([
      { volume: 0, minor: 2, diskState: 'UpToDate', client: false, quorum: true, sizeKiB: 409600, readKiB: 654321, writtenKiB: 123456 },
    ]);
    expect(r.connections[0]).toMatchObject({
      peerNodeId: 1,
      name: 'SLE15-sp1-gm-drbd1145296-node1',
      connectionState: 'Connected',
      peerRole: 'Primary',
    });
    expect(r.connections[0]!.peerDevices[0]).toMatchObject({
      volume: 0,
      replicationState: 'Established',
      peerDiskState: 'UpToDate',
      outOfSyncKiB: 0,
      percentInSync: 100,
    });
    expect(isFullySynced(r)).toBe(true);
    expect(status[1]!.devices[0]!.quorum).toBe(false);
  });

  it('accepts empty output (no resource up) and rejects garbage', () => {
    expect(parseDrbdStatusJson('')).toEqual([]);
    expect(parseDrbdStatusJson('[]\n')).toEqual([]);
    expect(() => parseDrbdStatusJson('{')).toThrow(DrbdParseError);
    expect(() => parseDrbdStatusJson('[{"name":"x"}]')).toThrow(DrbdParseError);
  });

  it('reports a resync in progress as not synced', () => {
    const raw = JSON.parse(fixture('drbdsetup-status-two-resources.json')) as Array<Record<string, unknown>>;
    const c = (raw[0]!.connections as Array<{ peer_devices: Array<Record<string, unknown>> }>)[0]!;
    Object.assign(c.peer_devices[0]!, { 'replication-state': 'SyncSource', 'peer-disk-state': 'Inconsistent', 'out-of-sync': 2048, 'percent-in-sync': 99.5 });
    const r = parseDrbdStatusJson(JSON.stringify(raw))[0]!;
    expect(r.connections[0]!.peerDevices[0]!.outOfSyncKiB).toBe(2048);
    expect(isFullySynced(r)).toBe(false);
  });
});

describe('drbdsetup events2 (real output)', () => {
  it('parses --now --statistics lines of a 3-node resource', () => {
    const events = parseDrbdEvents(fixture('drbd-events2-now-statistics.txt'));
    expect(events).toHaveLength(6);
    expect(events[0]).toEqual({
      timestamp: null,
      type: 'exists',
      object: 'resource',
      fields: { name: 'drbd1', role: 'Secondary', suspended: 'no', 'write-ordering': 'flush' },
    });
    const [r] = statusFromEvents(events);
    expect(r!.role).toBe('Secondary');
    expect(r!.devices[0]).toMatchObject({ volume: 0, minor: 1, diskState: 'UpToDate', sizeKiB: 765868 });
    expect(r!.connections.map((c) => [c.peerNodeId, c.name, c.connectionState, c.peerRole])).toEqual([
      [0, 'central-2004', 'Connected', 'Primary'],
      [1, 'poller-2004-1', 'Connected', 'Secondary'],
    ]);
    expect(r!.connections[1]!.peerDevices[0]).toMatchObject({ replicationState: 'Established', peerDiskState: 'UpToDate', outOfSyncKiB: 0 });
    expect(isFullySynced(r!)).toBe(true);
  });

  it('parses timestamped lines and a SyncSource peer device', () => {
    const events = parseDrbdEvents(fixture('drbd-events2-timestamped.txt'));
    expect(events[0]!.timestamp).toBe('2017-03-27T08:28:17.072611-07:00');
    const [r] = statusFromEvents(events);
    expect(r!.role).toBe('Primary');
    expect(r!.connections[0]!.peerDevices[0]).toMatchObject({ replicationState: 'SyncSource', peerDiskState: 'Inconsistent', outOfSyncKiB: 205655500 });
  });

  it('skips the end-of-dump marker and rejects malformed pairs', () => {
    expect(parseDrbdEventLine('exists -')).toBeNull();
    expect(parseDrbdEventLine('')).toBeNull();
    expect(() => parseDrbdEventLine('change resource name:r0 garbage')).toThrow(DrbdParseError);
  });
});

describe('drbdadm status text (real output)', () => {
  it('parses a SyncTarget with a diskless peer', () => {
    expect(parseDrbdStatusText(fixture('drbdsetup-status-synctarget.txt'))).toEqual([
      {
        name: 'my_ssd_res',
        role: 'Secondary',
        disks: [{ volume: -1, diskState: 'Inconsistent' }],
        peers: [
          { name: 'node2', role: 'Secondary', connectionState: 'Connected', volumes: [{ volume: -1, replicationState: 'SyncTarget', peerDiskState: 'UpToDate', done: 19.4 }] },
          { name: 'node3', role: 'Secondary', connectionState: 'Connected', volumes: [{ volume: -1, replicationState: 'Established', peerDiskState: 'Diskless', done: null }] },
        ],
      },
    ]);
  });

  it('parses several resources with a peer that is not connected', () => {
    const rs = parseDrbdStatusText(fixture('drbdadm-status-connecting.txt'));
    expect(rs.map((r) => [r.name, r.disks[0]!.diskState, r.peers[0]!.connectionState])).toEqual([
      ['lab-sysprep', 'Consistent', 'Connecting'],
      ['srv00-sql1', 'UpToDate', 'Connected'],
      ['srv01-lab01', 'Consistent', 'Connecting'],
      ['srv02-lab02', 'UpToDate', 'Connected'],
    ]);
  });
});
