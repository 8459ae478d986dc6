// `ferry agent --node NAME`: the node agent. The only process that touches its host: it polls the
// host's own task queue and reports to the controller that it is alive and what its LVM holds.
import { Worker, type NativeConnection } from '@temporalio/worker';
import type { FerryConfig } from '../core/config.js';
import { nodeTaskQueue } from '../core/config.js';
import { createNodeActivities } from '../activities/node/activities.js';
import { createResourceNodeActivities } from '../activities/node/resources.js';
import { createEvacuationNodeActivities } from '../activities/node/evacuation.js';
import { createSnapshotNodeActivities } from '../activities/node/snapshots.js';
import { createBackupNodeActivities } from '../activities/node/backups.js';
import { createResizeNodeActivities } from '../activities/node/resize.js';
import { createDoctorNodeActivities } from '../activities/node/doctor.js';
import { ferryDataConverter } from './payload-codec.js';
import { loadConfig } from './config-file.js';
import { createLogger, type Logger } from './logger.js';
import { connectWorkerWhenUp, installTemporalRuntime } from './temporal.js';
import { addDrbdGauges, freePort, processMetrics, serveMetrics } from './metrics.js';
import { statusAll as drbdStatusAll } from '../activities/node/host/drbd.js';
import { errorReportInterceptor, postErrorReport } from './error-reports.js';
import { writeFileSync } from 'node:fs';
import { transportFromEnv } from '../client/transport.js';
import { reportToController } from './report.js';
import { startUsageWatch, usageWatchInterceptor, type UsageWatch } from './usage-watch.js';

export async function runAgent(node: string, cfg: FerryConfig = loadConfig()): Promise<void> {
  const log = createLogger({ process: 'agent', node }, cfg.logLevel);
  // FERRY_AGENT_METRICS_PORT: unset/0 no metrics; N listen on N; 'auto' a free port (announced in
  // FERRY_AGENT_METRICS_ANNOUNCE_FILE). The SDK runtime's metrics ride along (worker/metrics.ts).
  const metricsPortEnv = process.env.FERRY_AGENT_METRICS_PORT ?? '0';
  const metricsOn = metricsPortEnv !== '' && metricsPortEnv !== '0';
  const temporalMetricsPort = metricsOn ? await freePort() : 0;
  installTemporalRuntime(log, metricsOn ? { metricsBindAddress: `127.0.0.1:${temporalMetricsPort}` } : {});
  const metrics = processMetrics({ process: 'agent', node, ...(metricsOn ? { temporalMetricsUrl: `http://127.0.0.1:${temporalMetricsPort}/metrics` } : {}) });
  const metricsServer = metricsOn
    ? await serveMetrics(metrics, process.env.FERRY_AGENT_METRICS_HOST ?? '0.0.0.0', metricsPortEnv === 'auto' ? 0 : Number(metricsPortEnv))
    : undefined;
  if (metricsServer) {
    addDrbdGauges(metrics, () => drbdStatusAll());
    const a = metricsServer.address();
    const port = typeof a === 'object' && a ? a.port : 0;
    log.info({ metrics: `http://127.0.0.1:${port}/metrics` }, 'agent metrics');
    if (process.env.FERRY_AGENT_METRICS_ANNOUNCE_FILE) writeFileSync(process.env.FERRY_AGENT_METRICS_ANNOUNCE_FILE, String(port));
  }
  const taskQueue = nodeTaskQueue(cfg.temporal.taskQueuePrefix, node);
  // the usage watch starts once the worker is up; activities poke it when they ran
  const usageWatch: { current?: UsageWatch } = {};
  const createWorker = (connection: NativeConnection) => Worker.create({
    connection,
    namespace: cfg.temporal.namespace,
    taskQueue,
    interceptors: { activity: [errorReportInterceptor({ node, record: postErrorReport(cfg.controllers), log }), usageWatchInterceptor(() => usageWatch.current)] },
    activities: { ...createNodeActivities({ node }), ...createResourceNodeActivities({ node }), ...createEvacuationNodeActivities({ node }), ...createSnapshotNodeActivities({ node }), ...createBackupNodeActivities({ node }), ...createResizeNodeActivities({ node }), ...createDoctorNodeActivities({ node }) },
    dataConverter: ferryDataConverter(),
    // heartbeat details (a shipment's finished parts) reach the server within a second: a retry resumes from them
    maxHeartbeatThrottleInterval: '1 second',
  });
  const { connection, worker } = await connectWorkerWhenUp('agent worker', cfg, createWorker, log);
  const startedAt = Date.now();
  const heartbeat = startHeartbeat({ node, startedAt, controllers: cfg.controllers, intervalMs: cfg.agent.heartbeatIntervalMs, log });
  const usage = (usageWatch.current = startUsageWatch({ node, startedAt, controllers: cfg.controllers, intervalMs: cfg.agent.usageIntervalMs, resendEvery: cfg.agent.usageResendEvery, log }));
  log.info({ taskQueue, controllers: cfg.controllers }, 'agent ready');
  const stop = () => worker.shutdown();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  try {
    await worker.run();
  } finally {
    heartbeat.stop();
    usage.stop();
    metricsServer?.close();
    await connection.close();
  }
}

/** Reports to the first controller that answers, every `intervalMs`. */
function startHeartbeat(o: { node: string; startedAt: number; controllers: string[]; intervalMs: number; log: Logger }) {
  let timer: NodeJS.Timeout | undefined;
  let lastProblem = '';
  const transport = transportFromEnv();
  const beat = async () => {
    const problem = await reportToController({
      controllers: o.controllers,
      path: `/v1/internal/agents/${encodeURIComponent(o.node)}/heartbeat`,
      body: { agentStartedAt: o.startedAt, pid: process.pid },
      timeoutMs: Math.max(1000, o.intervalMs),
      transport,
    });
    if (problem !== lastProblem) {
      if (problem) o.log.warn({ problem }, 'controller did not take the heartbeat; retrying');
      else o.log.info('reporting to the controller');
      lastProblem = problem;
    }
    timer = setTimeout(beat, o.intervalMs);
  };
  void beat();
  return { stop: () => clearTimeout(timer) };
}
