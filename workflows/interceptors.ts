// Workflow interceptor (bundled with the workflows): tells the controller worker, through a sink
// (fire-and-forget, not called during replay), when an operation starts and how it ended. The
// controller turns that into metrics and, for a failure, an error report in the catalog.
import { ActivityFailure, ApplicationFailure, ChildWorkflowFailure, ContinueAsNew, isCancellation, proxySinks, workflowInfo, type Sinks, type WorkflowInterceptorsFactory } from '@temporalio/workflow';

export interface OperationFailureSummary {
  errorType: string;
  message: string;
  activityType: string | null;
  /** HostCommandError details when the cause carries them (command, args, exitCode, stderrTail). */
  details: unknown;
}

export interface FerryOpsSinks extends Sinks {
  ferryOps: {
    started(): void;
    completed(): void;
    failed(failure: OperationFailureSummary): void;
    canceled(): void;
  };
}

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
      try {
        const result = await next(input);
        ferryOps.completed();
        return result;
      } catch (e) {
        if (isCancellation(e)) ferryOps.canceled();
        else if (!(e instanceof ContinueAsNew)) ferryOps.failed(summarize(e));
        throw e;
      }
    },
  }],
});
