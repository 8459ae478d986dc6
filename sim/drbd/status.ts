// What the simulated drbdsetup/drbdadm print about a resource: `status --json` (the shape of
// drbd-utils 9: resources with devices and connections with peer_devices), the `status` text and
// `events2 --now` lines. Computed from a World (see engine.ts) from one node's point of view.
import { BM_BLOCK_BYTES } from './state.js';
import { connState, jobBetween } from './engine.js';
import type { World } from './engine.js';

const KIB_PER_BLOCK = BM_BLOCK_BYTES / 1024;

export interface PeerDeviceView {
  volume: number;
  replication: string;
  peerDisk: string;
  peerClient: boolean;
  outOfSyncKiB: number;
  percentInSync: number;
  received: number;
  sent: number;
  sync: null | {
    totalBlocks: number;
    doneBlocks: number;
    elapsedMs: number;
    rate: number;
  };
}

export interface ConnectionView {
  peer: string;
  peerNodeId: number;
  connection: string;
  peerRole: string;
  devices: PeerDeviceView[];
}

export interface DeviceView {
  volume: number;
  minor: number;
  disk: string;
  client: boolean;
  quorum: boolean;
  sizeKiB: number;
  read: number;
  written: number;
  alWrites: number;
  bmWrites: number;
}

export interface ResourceView {
  name: string;
  nodeId: number;
  role: string;
  /** suspended by `drbdadm suspend-io` */
  suspended: boolean;
  devices: DeviceView[];
  connections: ConnectionView[];
}

const round2 = (x: number): number => Math.round(x * 100) / 100;

function oosBlocks(w: World, me: string, peer: string, vol: string): number {
  const job = jobBetween(w, me, peer, vol);
  if (job) return (w.mdOf(job.source, vol)?.bitmaps[job.target] ?? []).length;
  const mine = w.rt(me)!.volumes[vol]!;
  const pr = w.rt(me)!.peers[peer]!;
  if (mine.disk === null || pr.diskful[vol] === false) return 0;
  const md = w.mdOf(me, vol);
  if (!md) return 0;
  const bm = md.bitmaps[peer];
  if (bm) return bm.length;
  // no bitmap for that peer: everything it would need is unknown = out of sync
  return Math.ceil(mine.sizeBytes / BM_BLOCK_BYTES);
}

function quorumOf(w: World, me: string): boolean {
  const r = w.rt(me)!;
  const q = r.options.quorum;
  if (!q || q === 'off') return true;
  const voters = 1 + Object.keys(r.peers).length;
  const reach = 1 + Object.keys(r.peers).filter((p) => connState(w, me, p) === 'Connected').length;
  if (q === 'majority') return reach * 2 > voters;
  if (q === 'all') return reach === voters;
  const n = Number(q);
  return Number.isInteger(n) ? reach >= n : true;
}

/** The view of the resource from this world's own node. */
export function resourceView(w: World): ResourceView | null {
  const me = w.self;
  const r = w.rt(me);
  if (!r) return null;
  const vols = Object.keys(r.volumes).sort((a, b) => Number(a) - Number(b));
  const quorum = quorumOf(w, me);
  const devices: DeviceView[] = vols.map((vol) => {
    const v = r.volumes[vol]!;
    return {
      volume: Number(vol),
      minor: v.minor,
      disk: v.diskState,
      client: v.disk === null,
      quorum,
      sizeKiB: Math.floor(v.sizeBytes / 1024),
      read: Math.round(v.readKiB),
      written: Math.round(v.writtenKiB),
      alWrites: v.alWrites,
      bmWrites: v.bmWrites,
    };
  });
  const connections: ConnectionView[] = Object.keys(r.peers)
    .sort((a, b) => r.peers[a]!.nodeId - r.peers[b]!.nodeId)
    .map((peer) => {
      const pr = r.peers[peer]!;
      const cs = connState(w, me, peer);
      const connected = cs === 'Connected';
      const prt = w.rt(peer);
      return {
        peer,
        peerNodeId: pr.nodeId,
        connection: cs,
        peerRole: connected ? prt!.role : 'Unknown',
        devices: vols.map((vol) => {
          const size = r.volumes[vol]!.sizeBytes;
          const oos = oosBlocks(w, me, peer, vol);
          const oosKiB = Math.min(oos * KIB_PER_BLOCK, Math.floor(size / 1024));
          let replication = connected ? 'Established' : 'Off';
          let sync: PeerDeviceView['sync'] = null;
          const job = connected ? jobBetween(w, me, peer, vol) : null;
          if (job) {
            replication = job.source === me ? 'SyncSource' : 'SyncTarget';
            sync = { totalBlocks: job.job.totalBlocks, doneBlocks: job.job.doneBlocks, elapsedMs: w.now - job.job.startedAt, rate: job.job.rateBytesPerSec };
          }
          const pv = prt?.volumes[vol];
          return {
            volume: Number(vol),
            replication,
            peerDisk: connected && pv ? pv.diskState : 'DUnknown',
            peerClient: pr.diskful[vol] === false,
            outOfSyncKiB: oosKiB,
            percentInSync: size === 0 ? 0 : round2(100 * (1 - (oosKiB * 1024) / size)),
            received: Math.round(pr.receivedKiB),
            sent: Math.round(pr.sentKiB),
            sync,
          };
        }),
      };
    });
  return { name: w.res, nodeId: r.nodeId, role: r.role, suspended: r.suspendedUser === true, devices, connections };
}

function resyncDone(s: NonNullable<PeerDeviceView['sync']>): number {
  return s.totalBlocks === 0 ? 100 : round2((100 * s.doneBlocks) / s.totalBlocks);
}

/** One resource of `drbdsetup status --json`. */
export function statusJsonOf(v: ResourceView): Record<string, unknown> {
  return {
    name: v.name,
    'node-id': v.nodeId,
    role: v.role,
    suspended: v.suspended,
    'write-ordering': 'flush',
    devices: v.devices.map((d) => ({
      volume: d.volume,
      minor: d.minor,
      'disk-state': d.disk,
      client: d.client,
      quorum: d.quorum,
      size: d.sizeKiB,
      read: d.read,
      written: d.written,
      'al-writes': d.alWrites,
      'bm-writes': d.bmWrites,
      'upper-pending': 0,
      'lower-pending': 0,
    })),
    connections: v.connections.map((c) => ({
      'peer-node-id': c.peerNodeId,
      name: c.peer,
      'connection-state': c.connection,
      congested: false,
      'peer-role': c.peerRole,
      'ap-in-flight': 0,
      'rs-in-flight': 0,
      peer_devices: c.devices.map((p) => {
        const o: Record<string, unknown> = {
          volume: p.volume,
          'replication-state': p.replication,
          'peer-disk-state': p.peerDisk,
          'peer-client': p.peerClient,
          'resync-suspended': 'no',
          received: p.received,
          sent: p.sent,
          'out-of-sync': p.outOfSyncKiB,
          pending: 0,
          unacked: 0,
          'has-sync-details': p.sync !== null,
          'has-online-verify-details': false,
          'percent-in-sync': p.percentInSync,
        };
        if (p.sync) {
          const s = p.sync;
          const doneSectors = (s.doneBlocks * BM_BLOCK_BYTES) / 512;
          const leftBytes = (s.totalBlocks - s.doneBlocks) * BM_BLOCK_BYTES;
          const mibs = s.elapsedMs > 0 ? round2((s.doneBlocks * BM_BLOCK_BYTES) / (1024 * 1024) / (s.elapsedMs / 1000)) : 0;
          Object.assign(o, {
            'rs-total': s.totalBlocks * (BM_BLOCK_BYTES / 4096),
            'rs-dt-start-ms': s.elapsedMs,
            'rs-paused-ms': 0,
            'rs-dt0-ms': s.elapsedMs,
            'rs-db0-sectors': doneSectors,
            'rs-dt1-ms': s.elapsedMs,
            'rs-db1-sectors': doneSectors,
            'rs-failed': 0,
            'rs-same-csum': 0,
            want: Math.round(s.rate / 1024),
            'db/dt [MiB/s]': mibs,
            'db0/dt0 [MiB/s]': mibs,
            'db1/dt1 [MiB/s]': mibs,
            'estimated-seconds-to-finish': Math.ceil(leftBytes / s.rate),
            'percent-resync-done': resyncDone(s),
          });
        }
        return o;
      }),
    })),
  };
}

/** `drbdadm status` / `drbdsetup status` text of one resource (ends with a blank line). */
export function statusTextOf(v: ResourceView, opts: { verbose?: boolean; statistics?: boolean } = {}): string {
  const multi = v.devices.length > 1;
  const lines: string[] = [];
  // like drbdsetup: `suspended:user` whenever suspended, `suspended:no` only in verbose output
  lines.push(`${v.name}${opts.verbose ? ` node-id:${v.nodeId}` : ''} role:${v.role}${v.suspended ? ' suspended:user' : opts.verbose ? ' suspended:no' : ''}`);
  for (const d of v.devices) {
    let l = `  ${multi || opts.verbose ? `volume:${d.volume} ` : ''}${opts.verbose ? `minor:${d.minor} ` : ''}disk:${d.disk}`;
    if (opts.verbose) l += ` client:${d.client ? 'yes' : 'no'} quorum:${d.quorum ? 'yes' : 'no'}`;
    lines.push(l);
    if (opts.statistics) lines.push(`      size:${d.sizeKiB} read:${d.read} written:${d.written} al-writes:${d.alWrites} bm-writes:${d.bmWrites} upper-pending:0 lower-pending:0`);
  }
  for (const c of v.connections) {
    if (c.connection !== 'Connected') {
      lines.push(`  ${c.peer}${opts.verbose ? ` node-id:${c.peerNodeId}` : ''} connection:${c.connection}`);
      continue;
    }
    lines.push(`  ${c.peer}${opts.verbose ? ` node-id:${c.peerNodeId} connection:Connected` : ''} role:${c.peerRole}`);
    for (const p of c.devices) {
      let l = `    ${multi || opts.verbose ? `volume:${p.volume} ` : ''}`;
      if (p.replication !== 'Established' || opts.verbose) l += `replication:${p.replication} `;
      l += `peer-disk:${p.peerDisk}`;
      if (p.sync) l += ` done:${resyncDone(p.sync).toFixed(2)}`;
      lines.push(l);
      if (opts.statistics) lines.push(`        received:${p.received} sent:${p.sent} out-of-sync:${p.outOfSyncKiB} pending:0 unacked:0`);
    }
  }
  return lines.join('\n') + '\n\n';
}

const yn = (b: boolean): string => (b ? 'yes' : 'no');

/** `drbdsetup events2 --now` lines (without the final `exists -`). */
export function events2Of(v: ResourceView, opts: { statistics?: boolean } = {}): string[] {
  const out: string[] = [];
  out.push(`exists resource name:${v.name} role:${v.role} suspended:${v.suspended ? 'user' : 'no'} write-ordering:flush`);
  for (const c of v.connections) {
    let l = `exists connection name:${v.name} peer-node-id:${c.peerNodeId} conn-name:${c.peer} connection:${c.connection} role:${c.peerRole}`;
    if (opts.statistics) l += ' congested:no ap-in-flight:0 rs-in-flight:0';
    out.push(l);
  }
  for (const d of v.devices) {
    let l = `exists device name:${v.name} volume:${d.volume} minor:${d.minor} disk:${d.disk} client:${yn(d.client)} quorum:${yn(d.quorum)}`;
    if (opts.statistics) {
      l += ` size:${d.sizeKiB} read:${d.read} written:${d.written} al-writes:${d.alWrites} bm-writes:${d.bmWrites} upper-pending:0 lower-pending:0 al-suspended:no blocked:no`;
    }
    out.push(l);
  }
  for (const c of v.connections) {
    for (const p of c.devices) {
      let l = `exists peer-device name:${v.name} peer-node-id:${c.peerNodeId} conn-name:${c.peer} volume:${p.volume} replication:${p.replication} peer-disk:${p.peerDisk} peer-client:${yn(p.peerClient)} resync-suspended:no`;
      if (opts.statistics) l += ` received:${p.received} sent:${p.sent} out-of-sync:${p.outOfSyncKiB} pending:0 unacked:0`;
      if (p.sync) l += ` done:${resyncDone(p.sync).toFixed(2)}`;
      out.push(l);
    }
  }
  return out;
}
