// Parsers of DRBD 9 tool output: `drbdsetup status --json [--verbose --statistics]` (the one ferry
// relies on), `drbdsetup events2 --now` lines and the text of `drbdadm status` (for humans and
// logs). Pure functions over strings; tested against fixtures of real output in test/fixtures/host/.
import { z } from 'zod';

export type DrbdRole = 'Primary' | 'Secondary' | 'Unknown';

/** Disk states as DRBD 9 names them. */
export type DrbdDiskState =
  | 'Diskless'
  | 'Attaching'
  | 'Detaching'
  | 'Failed'
  | 'Negotiating'
  | 'Inconsistent'
  | 'Outdated'
  | 'DUnknown'
  | 'Consistent'
  | 'UpToDate';

export interface DrbdDeviceStatus {
  volume: number;
  minor: number;
  diskState: string;
  /** Intentionally diskless (a DRBD client). */
  client: boolean;
  quorum: boolean;
  /** Usable size in KiB (statistics only). */
  sizeKiB: number | null;
  readKiB: number | null;
  writtenKiB: number | null;
}

export interface DrbdPeerDeviceStatus {
  volume: number;
  replicationState: string;
  peerDiskState: string;
  peerClient: boolean;
  resyncSuspended: string;
  /** KiB still to resync to/from this peer (statistics only). */
  outOfSyncKiB: number | null;
  percentInSync: number | null;
  /** Progress of a running resync, 0..100, when DRBD reports sync details. */
  percentResyncDone: number | null;
  estimatedSecondsToFinish: number | null;
}

export interface DrbdConnectionStatus {
  peerNodeId: number;
  /** The peer's host name (connection name). */
  name: string;
  connectionState: string;
  peerRole: DrbdRole;
  congested: boolean;
  peerDevices: DrbdPeerDeviceStatus[];
}

export interface DrbdResourceStatus {
  name: string;
  nodeId: number;
  role: DrbdRole;
  suspended: boolean;
  writeOrdering: string | null;
  devices: DrbdDeviceStatus[];
  connections: DrbdConnectionStatus[];
}

export class DrbdParseError extends Error {
  override readonly name = 'DrbdParseError';
}

const num = z.number();
const optNum = z.number().optional();

const peerDeviceJson = z.object({
  volume: num,
  'replication-state': z.string(),
  'peer-disk-state': z.string(),
  'peer-client': z.boolean().optional(),
  'resync-suspended': z.string().optional(),
  'out-of-sync': optNum,
  'percent-in-sync': optNum,
  'percent-resync-done': optNum,
  'estimated-seconds-to-finish': optNum,
});

const connectionJson = z.object({
  'peer-node-id': num,
  name: z.string(),
  'connection-state': z.string(),
  congested: z.boolean().optional(),
  'peer-role': z.string(),
  peer_devices: z.array(peerDeviceJson).default([]),
});

const deviceJson = z.object({
  volume: num,
  minor: num,
  'disk-state': z.string(),
  client: z.boolean().optional(),
  quorum: z.boolean().optional(),
  size: optNum,
  read: optNum,
  written: optNum,
});

const resourceJson = z.object({
  name: z.string(),
  'node-id': num,
  role: z.string(),
  suspended: z.boolean().optional(),
  'write-ordering': z.string().optional(),
  devices: z.array(deviceJson).default([]),
  connections: z.array(connectionJson).default([]),
});

const statusJson = z.array(resourceJson);

function role(v: string): DrbdRole {
  return v === 'Primary' || v === 'Secondary' ? v : 'Unknown';
}

/** Parses `drbdsetup status --json` (with or without --verbose/--statistics). */
export function parseDrbdStatusJson(text: string): DrbdResourceStatus[] {
  let raw: unknown;
  try {
    raw = JSON.parse(text.trim() === '' ? '[]' : text);
  } catch (e) {
    throw new DrbdParseError(`drbdsetup status --json: invalid JSON: ${(e as Error).message}`);
  }
  const parsed = statusJson.safeParse(raw);
  if (!parsed.success) {
    const i = parsed.error.issues[0];
    throw new DrbdParseError(`drbdsetup status --json: unexpected shape at ${i?.path.join('.') ?? '?'}: ${i?.message ?? ''}`);
  }
  return parsed.data.map((r) => ({
    name: r.name,
    nodeId: r['node-id'],
    role: role(r.role),
    suspended: r.suspended ?? false,
    writeOrdering: r['write-ordering'] ?? null,
    devices: r.devices.map((d) => ({
      volume: d.volume,
      minor: d.minor,
      diskState: d['disk-state'],
      client: d.client ?? false,
      quorum: d.quorum ?? true,
      sizeKiB: d.size ?? null,
      readKiB: d.read ?? null,
      writtenKiB: d.written ?? null,
    })),
    connections: r.connections.map((c) => ({
      peerNodeId: c['peer-node-id'],
      name: c.name,
      connectionState: c['connection-state'],
      peerRole: role(c['peer-role']),
      congested: c.congested ?? false,
      peerDevices: c.peer_devices.map((p) => ({
        volume: p.volume,
        replicationState: p['replication-state'],
        peerDiskState: p['peer-disk-state'],
        peerClient: p['peer-client'] ?? false,
        resyncSuspended: p['resync-suspended'] ?? 'no',
        outOfSyncKiB: p['out-of-sync'] ?? null,
        percentInSync: p['percent-in-sync'] ?? null,
        percentResyncDone: p['percent-resync-done'] ?? null,
        estimatedSecondsToFinish: p['estimated-seconds-to-finish'] ?? null,
      })),
    })),
  }));
}

export type DrbdEventObject = 'resource' | 'device' | 'connection' | 'peer-device' | 'path' | 'helper';

export interface DrbdEvent {
  /** ISO timestamp when events2 ran with --timestamps. */
  timestamp: string | null;
  /** exists, create, change, destroy, call, response. */
  type: string;
  object: DrbdEventObject | string;
  /** key:value pairs (the value is everything after the first colon). */
  fields: Record<string, string>;
}

const TIMESTAMP = /^\d{4}-\d{2}-\d{2}T[0-9:.]+(?:Z|[+-]\d{2}:\d{2})$/;

/**
 * Parses one `drbdsetup events2` line. Returns null for the `exists -` marker that ends the
 * initial state dump and for blank lines.
 */
export function parseDrbdEventLine(line: string): DrbdEvent | null {
  const words = line.trim().split(/\s+/).filter(Boolean);
  if (words.length === 0) return null;
  let timestamp: string | null = null;
  if (TIMESTAMP.test(words[0]!)) timestamp = words.shift()!;
  const type = words.shift();
  const object = words.shift();
  if (!type) return null;
  if (object === '-' || object === undefined) return null;
  const fields: Record<string, string> = {};
  for (const w of words) {
    const i = w.indexOf(':');
    if (i <= 0) throw new DrbdParseError(`drbdsetup events2: not a key:value pair: ${JSON.stringify(w)} in ${JSON.stringify(line)}`);
    fields[w.slice(0, i)] = w.slice(i + 1);
  }
  return { timestamp, type, object, fields };
}

/** Parses the output of `drbdsetup events2 --now` (all lines). */
export function parseDrbdEvents(text: string): DrbdEvent[] {
  return text.split('\n').map(parseDrbdEventLine).filter((e): e is DrbdEvent => e !== null);
}

/**
 * Folds `events2 --now` lines into the same shape as `status --json`, so callers that follow the
 * event stream and callers that poll status share one model.
 */
export function statusFromEvents(events: readonly DrbdEvent[]): DrbdResourceStatus[] {
  const byName = new Map<string, DrbdResourceStatus>();
  const intOr = (v: string | undefined, d: number | null): number | null => (v === undefined || v === '' || Number.isNaN(Number(v)) ? d : Number(v));
  const res = (name: string): DrbdResourceStatus => {
    let r = byName.get(name);
    if (!r) {
      r = { name, nodeId: -1, role: 'Unknown', suspended: false, writeOrdering: null, devices: [], connections: [] };
      byName.set(name, r);
    }
    return r;
  };
  const conn = (r: DrbdResourceStatus, f: Record<string, string>): DrbdConnectionStatus => {
    const peerNodeId = intOr(f['peer-node-id'], -1)!;
    const name = f['conn-name'] ?? '';
    let c = r.connections.find((x) => (peerNodeId >= 0 ? x.peerNodeId === peerNodeId : x.name === name));
    if (!c) {
      c = { peerNodeId, name, connectionState: 'StandAlone', peerRole: 'Unknown', congested: false, peerDevices: [] };
      r.connections.push(c);
    }
    return c;
  };
  for (const e of events) {
    const f = e.fields;
    const name = f.name;
    if (!name) continue;
    if (e.type === 'destroy') {
      if (e.object === 'resource') byName.delete(name);
      continue;
    }
    const r = res(name);
    switch (e.object) {
      case 'resource':
        if (f.role) r.role = role(f.role);
        if (f['node-id']) r.nodeId = Number(f['node-id']);
        if (f.suspended) r.suspended = f.suspended !== 'no';
        if (f['write-ordering']) r.writeOrdering = f['write-ordering'];
        break;
      case 'device': {
        const volume = intOr(f.volume, 0)!;
        let d = r.devices.find((x) => x.volume === volume);
        if (!d) {
          d = { volume, minor: -1, diskState: 'DUnknown', client: false, quorum: true, sizeKiB: null, readKiB: null, writtenKiB: null };
          r.devices.push(d);
        }
        if (f.minor) d.minor = Number(f.minor);
        if (f.disk) d.diskState = f.disk;
        if (f.client) d.client = f.client === 'yes';
        if (f.quorum) d.quorum = f.quorum === 'yes';
        d.sizeKiB = intOr(f.size, d.sizeKiB);
        d.readKiB = intOr(f.read, d.readKiB);
        d.writtenKiB = intOr(f.written, d.writtenKiB);
        break;
      }
      case 'connection': {
        const c = conn(r, f);
        if (f.connection) c.connectionState = f.connection;
        if (f.role) c.peerRole = role(f.role);
        if (f.congested) c.congested = f.congested === 'yes';
        break;
      }
      case 'peer-device': {
        const c = conn(r, f);
        const volume = intOr(f.volume, 0)!;
        let p = c.peerDevices.find((x) => x.volume === volume);
        if (!p) {
          p = {
            volume,
            replicationState: 'Off',
            peerDiskState: 'DUnknown',
            peerClient: false,
            resyncSuspended: 'no',
            outOfSyncKiB: null,
            percentInSync: null,
            percentResyncDone: null,
            estimatedSecondsToFinish: null,
          };
          c.peerDevices.push(p);
        }
        if (f.replication) p.replicationState = f.replication;
        if (f['peer-disk']) p.peerDiskState = f['peer-disk'];
        if (f['peer-client']) p.peerClient = f['peer-client'] === 'yes';
        if (f['resync-suspended']) p.resyncSuspended = f['resync-suspended'];
        p.outOfSyncKiB = intOr(f['out-of-sync'], p.outOfSyncKiB);
        p.percentResyncDone = intOr(f.done, p.percentResyncDone);
        break;
      }
      default:
        break;
    }
  }
  return [...byName.values()];
}

/** One resource of `drbdadm status` / `drbdsetup status` text output. */
export interface DrbdStatusText {
  name: string;
  role: string;
  /** Per volume (volume -1 when the resource has one volume and the line has no volume: prefix). */
  disks: { volume: number; diskState: string }[];
  peers: {
    name: string;
    role: string | null;
    connectionState: string;
    volumes: { volume: number; replicationState: string; peerDiskState: string; done: number | null }[];
  }[];
}

function kv(words: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const w of words) {
    const i = w.indexOf(':');
    if (i > 0) out[w.slice(0, i)] = w.slice(i + 1);
  }
  return out;
}

/** Parses the text of `drbdadm status` (the default, non-verbose format). */
export function parseDrbdStatusText(text: string): DrbdStatusText[] {
  const out: DrbdStatusText[] = [];
  let cur: DrbdStatusText | null = null;
  let peer: DrbdStatusText['peers'][number] | null = null;
  for (const rawLine of text.split('\n')) {
    if (rawLine.trim() === '') {
      peer = null;
      continue;
    }
    const indent = rawLine.length - rawLine.trimStart().length;
    const words = rawLine.trim().split(/\s+/);
    const first = words[0]!;
    if (indent === 0) {
      const f = kv(words.slice(1));
      cur = { name: first, role: f.role ?? 'Unknown', disks: [], peers: [] };
      out.push(cur);
      peer = null;
      continue;
    }
    if (!cur) throw new DrbdParseError(`drbdadm status: indented line before any resource: ${JSON.stringify(rawLine)}`);
    if (indent <= 2) {
      const f = kv(words);
      if (first.includes(':')) {
        // local device line: [volume:N] disk:STATE ...
        cur.disks.push({ volume: f.volume === undefined ? -1 : Number(f.volume), diskState: f.disk ?? 'DUnknown' });
        peer = null;
      } else {
        const pf = kv(words.slice(1));
        peer = { name: first, role: pf.role ?? null, connectionState: pf.connection ?? 'Connected', volumes: [] };
        cur.peers.push(peer);
      }
      continue;
    }
    if (!peer) throw new DrbdParseError(`drbdadm status: peer device line without a peer: ${JSON.stringify(rawLine)}`);
    const f = kv(words);
    peer.volumes.push({
      volume: f.volume === undefined ? -1 : Number(f.volume),
      replicationState: f.replication ?? 'Established',
      peerDiskState: f['peer-disk'] ?? 'DUnknown',
      done: f.done === undefined ? null : Number(f.done),
    });
  }
  return out;
}

/** True when every device is UpToDate and every connection to a diskful peer is Established and UpToDate. */
export function isFullySynced(r: DrbdResourceStatus): boolean {
  if (r.devices.some((d) => d.diskState !== 'UpToDate' && d.diskState !== 'Diskless')) return false;
  for (const c of r.connections) {
    if (c.connectionState !== 'Connected') return false;
    for (const p of c.peerDevices) {
      if (p.peerDiskState === 'Diskless') continue;
      if (p.replicationState !== 'Established' || p.peerDiskState !== 'UpToDate') return false;
    }
  }
  return true;
}
