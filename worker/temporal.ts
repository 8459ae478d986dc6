// Temporal connections for ferry's processes, and the SDK runtime's logs routed into pino.
import { NativeConnection, Runtime, makeTelemetryFilterString, type LogLevel, type LogMetadata, type TLSConfig } from '@temporalio/worker';
import { readFileSync } from 'node:fs';
import type { FerryConfig } from '../core/config.js';
import type { Logger } from './logger.js';

let installed = false;

/** `metricsBindAddress`: where the SDK runtime serves its Prometheus metrics (worker/metrics.ts appends them to /metrics). */
export function installTemporalRuntime(log: Logger, opts: { metricsBindAddress?: string } = {}): void {
  if (installed) return;
  installed = true;
  const sdkLog = log.child({ component: 'temporal' });
  const at = (level: LogLevel) => (message: string, meta?: LogMetadata) => sdkLog[level === 'TRACE' ? 'trace' : (level.toLowerCase() as 'debug' | 'info' | 'warn' | 'error')](meta ?? {}, message);
  Runtime.install({
    logger: {
      log: (level, message, meta) => at(level)(message, meta),
      trace: at('TRACE'),
      debug: at('DEBUG'),
      info: at('INFO'),
      warn: at('WARN'),
      error: at('ERROR'),
    },
    telemetryOptions: {
      logging: { filter: makeTelemetryFilterString({ core: 'WARN' }), forward: {} },
      ...(opts.metricsBindAddress ? { metrics: { prometheus: { bindAddress: opts.metricsBindAddress } } } : {}),
    },
  });
}

export async function connectWorker(cfg: FerryConfig): Promise<NativeConnection> {
  return NativeConnection.connect({ address: cfg.temporal.address, tls: temporalTls(cfg) });
}

/**
 * Runs `attempt` until it succeeds, waiting `delayMs` (doubling up to `maxDelayMs`) in between: a
 * process that starts while the Temporal server is away (restarting, not up yet) waits for it, as
 * a LINSTOR satellite waits for its controller, instead of exiting with nobody to start it again.
 * Each new kind of failure is logged once, as a warning.
 */
export async function untilTemporalAnswers<T>(what: string, address: string, attempt: () => Promise<T>, log: Logger, opts: { delayMs?: number; maxDelayMs?: number } = {}): Promise<T> {
  let delay = opts.delayMs ?? 250;
  const maxDelay = opts.maxDelayMs ?? 5000;
  let lastProblem = '';
  for (let n = 1; ; n++) {
    try {
      const r = await attempt();
      if (lastProblem) log.info({ what, address, attempts: n }, 'Temporal answers again');
      return r;
    } catch (e) {
      const problem = (e as Error).message;
      if (problem !== lastProblem) {
        log.warn({ what, address, problem }, 'Temporal does not answer; retrying');
        lastProblem = problem;
      }
      await new Promise((r) => setTimeout(r, delay));
      delay = Math.min(maxDelay, delay * 2);
    }
  }
}

/**
 * A worker's connection and the worker made on it, waiting for Temporal as `untilTemporalAnswers`
 * does; a connection whose worker could not be made is closed before the next attempt.
 */
export async function connectWorkerWhenUp<W>(what: string, cfg: FerryConfig, createWorker: (connection: NativeConnection) => Promise<W>, log: Logger): Promise<{ connection: NativeConnection; worker: W }> {
  return untilTemporalAnswers(what, cfg.temporal.address, async () => {
    const connection = await connectWorker(cfg);
    try {
      return { connection, worker: await createWorker(connection) };
    } catch (e) {
      await connection.close();
      throw e;
    }
  }, log);
}

/**
 * The TLS options of a Temporal connection (worker NativeConnection and client Connection take the
 * same shape) from temporal.tls: the server's CA, the name to check its certificate against, and
 * this process's certificate for mTLS. undefined (plain gRPC) when temporal.tls is not configured.
 */
export function temporalTls(cfg: Pick<FerryConfig, 'temporal'>): TLSConfig | undefined {
  const t = cfg.temporal.tls;
  if (!t) return undefined;
  if (Boolean(t.certFile) !== Boolean(t.keyFile)) throw new Error('temporal.tls: certFile and keyFile go together (mTLS needs both)');
  return {
    ...(t.serverName ? { serverNameOverride: t.serverName } : {}),
    ...(t.caFile ? { serverRootCACertificate: readFileSync(t.caFile) } : {}),
    ...(t.certFile && t.keyFile ? { clientCertPair: { crt: readFileSync(t.certFile), key: readFileSync(t.keyFile) } } : {}),
  };
}
