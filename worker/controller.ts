// `ferry controller`: the REST API and the controller worker (all workflows + catalog activities).
import { Client, Connection } from '@temporalio/client';
import { Worker, type NativeConnection } from '@temporalio/worker';
import { existsSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildApi } from '../api/server.js';
import { startAutoEvict } from './auto-evict.js';
import { controllerTaskQueue, type FerryConfig } from '../core/config.js';
import { createControllerActivities } from '../activities/controller/activities.js';
import { Catalog } from '../catalog/index.js';
import type { ErrorReportInput } from '../core/error-report.js';
import { loadConfig } from './config-file.js';
import { createLogger } from './logger.js';
import { freePort, processMetrics } from './metrics.js';
import { errorReportInterceptor, operationSinks } from './error-reports.js';
import { connectWorkerWhenUp, installTemporalRuntime, temporalTls, untilTemporalAnswers } from './temporal.js';
import { ferryDataConverter } from './payload-codec.js';

const distDir = join(dirname(fileURLToPath(import.meta.url)), '..');

export async function runController(cfg: FerryConfig = loadConfig()): Promise<void> {
  const log = createLogger({ process: 'controller' }, cfg.logLevel);
  // the SDK runtime's metrics on a private port, served again by /metrics (worker/metrics.ts)
  const temporalMetricsPort = await freePort();
  installTemporalRuntime(log, { metricsBindAddress: `127.0.0.1:${temporalMetricsPort}` });
  const metrics = processMetrics({ process: 'controller', temporalMetricsUrl: `http://127.0.0.1:${temporalMetricsPort}/metrics` });
  const catalog = await Catalog.open(cfg.catalog);
  const taskQueue = controllerTaskQueue(cfg);
  const bundle = join(distDir, 'workflow-bundle.js');
  const recordReport = async (r: ErrorReportInput) => void (await catalog.errorReports.record(r));
  const createWorker = (connection: NativeConnection) => Worker.create({
    connection,
    namespace: cfg.temporal.namespace,
    taskQueue,
    ...(existsSync(bundle) ? { workflowBundle: { codePath: bundle } } : { workflowsPath: join(distDir, 'workflows', 'index.js') }),
    activities: createControllerActivities({ catalog, offlineAfterMs: cfg.nodeOfflineAfterMs }),
    // error reports and operation metrics (worker/error-reports.ts, workflows/interceptors.ts)
    interceptors: { activity: [errorReportInterceptor({ node: null, record: recordReport, log })], workflowModules: [join(distDir, 'workflows', 'interceptors.js')] },
    sinks: operationSinks({ metrics, record: recordReport, log }),
    dataConverter: ferryDataConverter(),
  });
  // a controller started while Temporal is away waits for it (worker/temporal.ts)
  const { connection: workerConn, worker } = await connectWorkerWhenUp('controller worker', cfg, createWorker, log);
  const clientConn = await untilTemporalAnswers('controller client', cfg.temporal.address, () => Connection.connect({ address: cfg.temporal.address, tls: temporalTls(cfg) }), log);
  const client = new Client({ connection: clientConn, namespace: cfg.temporal.namespace, dataConverter: ferryDataConverter() });
  const api = await buildApi({ cfg, catalog, client, log });
  await startAutoEvict(client, taskQueue, log);
  await api.listen({ host: cfg.api.host, port: cfg.api.port });
  const addr = api.server.address();
  const port = typeof addr === 'object' && addr ? addr.port : cfg.api.port;
  log.info({ taskQueue, namespace: cfg.temporal.namespace, api: `${cfg.api.tls ? 'https' : 'http'}://${cfg.api.host}:${port}`, auth: cfg.api.tokens ? `${cfg.api.tokens.length} token(s)` : 'none' }, 'controller ready');
  // for launchers that let the OS pick the port
  if (process.env.FERRY_ANNOUNCE_FILE) writeFileSync(process.env.FERRY_ANNOUNCE_FILE, String(port));

  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    log.info('controller stopping');
    worker.shutdown();
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  try {
    await worker.run();
  } finally {
    await api.close();
    await clientConn.close();
    await catalog.close();
    await workerConn.close();
  }
}
