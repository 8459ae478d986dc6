// Prometheus metrics of ferry's processes (prom-client): operations (workflows) by type, host
// commands by command, and, on the controller, pool capacity, node liveness and backup queues read
// from the catalog at scrape time; on the agents, DRBD resync state read from drbdsetup at scrape
// time. The Temporal SDK's own metrics (temporal_*) are served by the SDK runtime
// on a private port and appended to the same /metrics answer, so one scrape gets both.
import { createServer, type Server } from 'node:http';
import { createServer as createNetServer } from 'node:net';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { setHostCommandObserver } from '../activities/node/host/run.js';
import { setBackupTransferObserver } from '../activities/node/backup/observer.js';
import type { DrbdResourceStatus } from '../activities/node/host/parse-drbd.js';

export interface FerryMetrics {
  registry: Registry;
  operationStarted(type: string): void;
  operationFinished(type: string, outcome: 'completed' | 'failed' | 'canceled', durationSeconds: number): void;
  /** A backup (backupCreate) ended: its stored bytes when it completed, its error type when it failed. */
  backupFinished(b: BackupOutcome): void;
  /** Appends the Temporal runtime's metrics (its Prometheus endpoint) to our own text. */
  render(): Promise<string>;
  contentType: string;
}

export interface BackupOutcome {
  outcome: 'completed' | 'failed' | 'canceled';
  mode: 'full' | 'incremental' | 'unknown';
  storedBytes: number;
  uncompressedBytes: number;
  durationSeconds: number;
  reason?: string;
}

const DURATION_BUCKETS = [0.1, 0.5, 1, 2, 5, 10, 30, 60, 300, 900, 3600, 4 * 3600];

export function createMetrics(o: { process: 'controller' | 'agent'; node?: string; temporalMetricsUrl?: string }): FerryMetrics {
  const registry = new Registry();
  registry.setDefaultLabels({ ferry_process: o.process, ...(o.node ? { ferry_node: o.node } : {}) });
  collectDefaultMetrics({ register: registry, prefix: 'ferry_process_' });
  const started = new Counter({ name: 'ferry_operations_started_total', help: 'Operations (workflows) started, by workflow type', labelNames: ['type'], registers: [registry] });
  const completed = new Counter({ name: 'ferry_operations_completed_total', help: 'Operations that completed successfully, by workflow type', labelNames: ['type'], registers: [registry] });
  const failed = new Counter({ name: 'ferry_operations_failed_total', help: 'Operations that failed, by workflow type', labelNames: ['type'], registers: [registry] });
  const canceled = new Counter({ name: 'ferry_operations_canceled_total', help: 'Operations that were canceled, by workflow type', labelNames: ['type'], registers: [registry] });
  const duration = new Histogram({ name: 'ferry_operation_duration_seconds', help: 'Start to close time of operations, by workflow type and outcome', labelNames: ['type', 'outcome'], buckets: DURATION_BUCKETS, registers: [registry] });
  const cmds = new Counter({ name: 'ferry_host_commands_total', help: 'Host commands run by the agent, by command and outcome', labelNames: ['command', 'outcome'], registers: [registry] });
  const cmdFailures = new Counter({ name: 'ferry_host_command_failures_total', help: 'Host commands that failed, by command and exit code', labelNames: ['command', 'exit_code'], registers: [registry] });
  const cmdDuration = new Histogram({ name: 'ferry_host_command_duration_seconds', help: 'Run time of host commands, by command', labelNames: ['command'], buckets: [0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 30, 120], registers: [registry] });
  // backups as a whole (controller: from the workflow's end) and their transfers (agent: per volume)
  const backups = new Counter({ name: 'ferry_backups_total', help: 'Backups (backupCreate) that ended, by outcome and mode', labelNames: ['outcome', 'mode'], registers: [registry] });
  const backupBytes = new Counter({ name: 'ferry_backup_bytes_total', help: 'Bytes of completed backups: stored in the bucket (compressed) and read from the volumes (uncompressed)', labelNames: ['kind'], registers: [registry] });
  const backupDuration = new Histogram({ name: 'ferry_backup_duration_seconds', help: 'Start to end of backups, by outcome', labelNames: ['outcome'], buckets: DURATION_BUCKETS, registers: [registry] });
  const backupFailures = new Counter({ name: 'ferry_backup_failures_total', help: 'Backups that failed, by reason (error type)', labelNames: ['reason'], registers: [registry] });
  if (o.process === 'agent') {
    const xferBytes = new Counter({ name: 'ferry_backup_transfer_bytes_total', help: 'Bytes of finished backup transfers of this node: upload (shipping) or download (restore), compressed or uncompressed', labelNames: ['direction', 'kind'], registers: [registry] });
    const xferDuration = new Histogram({ name: 'ferry_backup_transfer_duration_seconds', help: 'Run time of backup transfers of one volume, by direction and outcome', labelNames: ['direction', 'outcome'], buckets: DURATION_BUCKETS, registers: [registry] });
    const xferFailures = new Counter({ name: 'ferry_backup_transfer_failures_total', help: 'Backup transfers that failed, by direction and reason (S3 error kind, damaged-data, secret...)', labelNames: ['direction', 'reason'], registers: [registry] });
    setBackupTransferObserver((t) => {
      xferDuration.observe({ direction: t.direction, outcome: t.ok ? 'ok' : 'failed' }, t.durationMs / 1000);
      if (t.ok) {
        xferBytes.inc({ direction: t.direction, kind: 'compressed' }, t.compressedBytes);
        if (t.uncompressedBytes !== undefined) xferBytes.inc({ direction: t.direction, kind: 'uncompressed' }, t.uncompressedBytes);
      } else {
        xferFailures.inc({ direction: t.direction, reason: t.reason ?? 'other' });
      }
    });
    setHostCommandObserver((c) => {
      const command = c.command.split('/').pop() ?? c.command;
      cmds.inc({ command, outcome: c.ok ? 'ok' : 'failed' });
      cmdDuration.observe({ command }, c.durationMs / 1000);
      if (!c.ok) cmdFailures.inc({ command, exit_code: c.exitCode === null ? 'none' : String(c.exitCode) });
    });
  }
  return {
    registry,
    contentType: registry.contentType,
    operationStarted: (type) => started.inc({ type }),
    operationFinished(type, outcome, seconds) {
      (outcome === 'completed' ? completed : outcome === 'failed' ? failed : canceled).inc({ type });
      duration.observe({ type, outcome }, seconds);
    },
    backupFinished(b) {
      backups.inc({ outcome: b.outcome, mode: b.mode });
      backupDuration.observe({ outcome: b.outcome }, b.durationSeconds);
      if (b.outcome === 'completed') {
        backupBytes.inc({ kind: 'stored' }, b.storedBytes);
        backupBytes.inc({ kind: 'uncompressed' }, b.uncompressedBytes);
      }
      if (b.outcome === 'failed') backupFailures.inc({ reason: b.reason ?? 'other' });
    },
    async render() {
      let text = await registry.metrics();
      if (o.temporalMetricsUrl) {
        try {
          const res = await fetch(o.temporalMetricsUrl, { signal: AbortSignal.timeout(2000) });
          if (res.ok) text += `\n# Temporal SDK runtime metrics\n${await res.text()}`;
        } catch {
          // the SDK runtime's endpoint is optional: our own metrics still answer
        }
      }
      return text;
    },
  };
}

let instance: FerryMetrics | undefined;

/** The process's metrics, created on first use (the process's entry point calls it first, with its options). */
export function processMetrics(o: Parameters<typeof createMetrics>[0]): FerryMetrics {
  instance ??= createMetrics(o);
  return instance;
}

/** Label values and value of one sample of a gauge. */
type Sample = [labels: Record<string, string>, value: number];

/**
 * Gauges computed at scrape time from one read (`load`) that serves all of them: they are collected
 * concurrently, so the read is reused for a second. Each gauge turns the read into its samples.
 */
function addScrapedGauges<T>(m: FerryMetrics, read: () => Promise<T>, gauges: { name: string; help: string; labelNames: string[]; samples: (data: T) => Sample[] }[]): void {
  for (const g of gauges) m.registry.removeSingleMetric(g.name);
  let cached: { at: number; data: Promise<T> } | undefined;
  const load = () => {
    if (!cached || Date.now() - cached.at > 1000) cached = { at: Date.now(), data: read() };
    return cached.data;
  };
  for (const g of gauges) {
    new Gauge({
      name: g.name, help: g.help, labelNames: g.labelNames, registers: [m.registry],
      async collect() {
        const samples = g.samples(await load());
        this.reset();
        for (const [labels, value] of samples) this.set(labels, value);
      },
    });
  }
}

/** Controller-only gauges computed from the catalog when scraped. */
export interface CatalogGaugeData {
  pools: { node: string; pool: string; freeBytes: number | null; totalBytes: number | null }[];
  nodes: { node: string; up: boolean }[];
  /** per node: backups holding a shipping slot, and backups queued for one (MaxConcurrentBackupsPerNode) */
  backupQueues: { node: string; shipping: number; queued: number }[];
}

export function addCatalogGauges(m: FerryMetrics, read: () => Promise<CatalogGaugeData>): void {
  addScrapedGauges(m, read, [
    {
      name: 'ferry_pool_free_bytes', help: 'Free bytes of a storage pool, as last reported by its node', labelNames: ['node', 'pool'],
      samples: (d) => d.pools.flatMap((p): Sample[] => (p.freeBytes !== null ? [[{ node: p.node, pool: p.pool }, p.freeBytes]] : [])),
    },
    {
      name: 'ferry_pool_total_bytes', help: 'Total bytes of a storage pool', labelNames: ['node', 'pool'],
      samples: (d) => d.pools.flatMap((p): Sample[] => (p.totalBytes !== null ? [[{ node: p.node, pool: p.pool }, p.totalBytes]] : [])),
    },
    {
      name: 'ferry_backup_slots_in_use', help: 'Backups shipping from a node now (holding one of its MaxConcurrentBackupsPerNode slots)', labelNames: ['node'],
      samples: (d) => d.backupQueues.map((q): Sample => [{ node: q.node }, q.shipping]),
    },
    {
      name: 'ferry_backup_queue_depth', help: 'Backups queued for a shipping slot of a node', labelNames: ['node'],
      samples: (d) => d.backupQueues.map((q): Sample => [{ node: q.node }, q.queued]),
    },
    {
      name: 'ferry_node_up', help: '1 when the node\'s agent reports (ONLINE), else 0', labelNames: ['node'],
      samples: (d) => d.nodes.map((n): Sample => [{ node: n.node }, n.up ? 1 : 0]),
    },
  ]);
}

/** Every (resource, volume, peer) of the hosts' DRBD status, with that peer device's state. */
function peerDeviceSamples(resources: DrbdResourceStatus[], value: (p: DrbdResourceStatus['connections'][number]['peerDevices'][number]) => number | null): Sample[] {
  return resources.flatMap((r) => r.connections.flatMap((c) => c.peerDevices.flatMap((p): Sample[] => {
    const v = value(p);
    return v === null ? [] : [[{ resource: r.name, volume: String(p.volume), peer: c.name }, v]];
  })));
}

/**
 * Agent-only gauges of DRBD replication, read with `drbdsetup status --statistics` when scraped:
 * what is still to resync to each peer (grows while a peer is away, falls to 0 as it resyncs), and
 * whether a resync is running.
 */
export function addDrbdGauges(m: FerryMetrics, read: () => Promise<DrbdResourceStatus[]>): void {
  addScrapedGauges(m, () => read().catch(() => []), [
    {
      name: 'ferry_drbd_out_of_sync_bytes', help: 'Bytes of a volume still to resync to (or from) a peer', labelNames: ['resource', 'volume', 'peer'],
      samples: (rs) => peerDeviceSamples(rs, (p) => (p.outOfSyncKiB !== null ? p.outOfSyncKiB * 1024 : null)),
    },
    {
      name: 'ferry_drbd_resyncing', help: '1 while a volume resyncs with a peer (SyncSource/SyncTarget), else 0', labelNames: ['resource', 'volume', 'peer'],
      samples: (rs) => peerDeviceSamples(rs, (p) => (/^Sync(Source|Target)$/.test(p.replicationState) ? 1 : 0)),
    },
  ]);
}

/** A free TCP port on 127.0.0.1 (for the Temporal runtime's private Prometheus endpoint). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createNetServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const addr = s.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      s.close(() => resolve(port));
    });
  });
}

/** The agent's own /metrics HTTP server. */
export function serveMetrics(m: FerryMetrics, host: string, port: number): Promise<Server> {
  const server = createServer((req, res) => {
    if (req.url !== '/metrics') {
      res.writeHead(404).end();
      return;
    }
    m.render().then(
      (text) => res.writeHead(200, { 'content-type': m.contentType }).end(text),
      (e: Error) => res.writeHead(500).end(e.message),
    );
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve(server));
  });
}
