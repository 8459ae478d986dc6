// Workflow interceptor (bundled with the workflows): tells the controller worker, through a sink
// (fire-and-forget, not called during replay), when an operation starts and how it ended. The
// controller turns that into metrics and, for a failure, an error report in the catalog. A backup
// (backupCreate) also tells its mode and bytes, for the backup metrics. Every activity scheduled on
// a node's queue gets a one-line summary naming its host command, node and resource for the Web UI.
import { ActivityFailure, ApplicationFailure, ChildWorkflowFailure, ContinueAsNew, isCancellation, proxySinks, workflowInfo, type Sinks, type WorkflowInterceptorsFactory } from '@temporalio/workflow';
import { activitySummary } from '../core/activity-summaries.js';
import { nodeOfQueue } from '../core/operations.js';

export interface OperationFailureSummary {
  errorType: string;
  message: string;
  activityType: string | null;
  /** HostCommandError details when the cause carries them (command, args, exitCode, stderrTail). */
  details: unknown;
}

export interface BackupSummary {
  outcome: 'completed' | 'failed' | 'canceled';
  mode: 'full' | 'incremental' | 'unknown';
  storedBytes: number;
  uncompressedBytes: number;
  /** the failure's error type */
  reason?: string;
}

export interface FerryOpsSinks extends Sinks {
  ferryOps: {
    started(): void;
    completed(): void;
    failed(failure: OperationFailureSummary): void;
    canceled(): void;
    backupFinished(summary: BackupSummary): void;
  };
}

/** What a backupCreate result says about its bytes (core fields only; anything else: zeros). */
function backupBytes(result: unknown): Pick<BackupSummary, 'mode' | 'storedBytes' | 'uncompressedBytes'> {
  const r = result as { mode?: unknown; volumes?: { compressedBytes?: unknown; uncompressedBytes?: unknown }[] } | null;
  const vols = Array.isArray(r?.volumes) ? r!.volumes! : [];
  const sum = (k: 'compressedBytes' | 'uncompressedBytes') => vols.reduce((a, v) => a + (typeof v[k] === 'number' ? (v[k] as number) : 0), 0);
  return { mode: r?.mode === 'full' || r?.mode === 'incremental' ? r.mode : 'unknown', storedBytes: sum('compressedBytes'), uncompressedBytes: sum('uncompressedBytes') };
}

const NO_BYTES = { mode: 'unknown', storedBytes: 0, uncompressedBytes: 0 } as const;

const { ferryOps } = proxySinks<FerryOpsSinks>();

function summarize(e: unknown): OperationFailureSummary {
  let activityType: string | null = null;
  let cause: unknown = e;
  const messages: string[] = [];
  for (let depth = 0; depth < 10 && cause; depth++) {
    if (cause instanceof ActivityFailure) activityType = cause.activityType;
    if (cause instanceof ActivityFailure || cause instanceof ChildWorkflowFailure) {
      cause = cause.cause;
      continue;
    }
    break;
  }
  const err = cause as Error | undefined;
  if (err?.message) messages.push(err.message);
  const app = cause instanceof ApplicationFailure ? cause : null;
  return {
    errorType: app ? (app.type ?? 'ApplicationFailure') : (err?.name ?? 'Error'),
    message: messages.join(': ') || String(e),
    activityType,
    details: app ? (app.details?.[0] ?? null) : null,
  };
}

export const interceptors: WorkflowInterceptorsFactory = () => ({
  inbound: [{
    async execute(input, next) {
      // a continued-as-new run is the same operation
      if (!workflowInfo().continuedFromExecutionRunId) ferryOps.started();
      const isBackup = workflowInfo().workflowType === 'backupCreate';
      try {
        const result = await next(input);
        ferryOps.completed();
        if (isBackup) ferryOps.backupFinished({ outcome: 'completed', ...backupBytes(result) });
        return result;
      } catch (e) {
        if (isCancellation(e)) {
          ferryOps.canceled();
          if (isBackup) ferryOps.backupFinished({ outcome: 'canceled', ...NO_BYTES });
        } else if (!(e instanceof ContinueAsNew)) {
          const f = summarize(e);
          ferryOps.failed(f);
          if (isBackup) ferryOps.backupFinished({ outcome: 'failed', ...NO_BYTES, reason: f.errorType });
        }
        throw e;
      }
    },
  }],
  outbound: [{
    async scheduleActivity(input, next) {
      const summary = input.options.summary ?? activitySummary(input.activityType, nodeOfQueue(input.options.taskQueue), input.args);
      return next(summary ? { ...input, options: { ...input.options, summary } } : input);
    },
  }],
});
