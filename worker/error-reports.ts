// Where error reports come from (see docs/operations.md):
// - every failed activity attempt, on the agent or the controller worker: an activity inbound
//   interceptor builds a report (node, workflow, activity, the host command line, exit code,
//   stderr tail) and hands it to `record` (the controller writes the catalog; an agent POSTs it
//   to the controller's /v1/internal/error-reports, best effort);
// - every failed workflow: the workflow interceptor (workflows/interceptors.ts) calls the
//   controller's `ferryOps` sink, which records a report and counts the operation in the metrics.
// Reports are redacted (core/error-report.ts) before they leave the process.
import { Context } from '@temporalio/activity';
import type { ActivityInboundCallsInterceptor, ActivityInterceptorsFactory, InjectedSinks } from '@temporalio/worker';
import type { WorkflowInfo } from '@temporalio/workflow';
import { ApplicationFailure } from '@temporalio/common';
import { HostCommandError } from '../activities/node/host/run.js';
import { knownSecretsFromEnv, redactReport, type ErrorReportInput } from '../core/error-report.js';
import type { FerryOpsSinks } from '../workflows/interceptors.js';
import type { FerryMetrics } from './metrics.js';
import type { Logger } from './logger.js';

export type RecordErrorReport = (r: ErrorReportInput) => Promise<void>;

function quote(args: readonly string[]): string {
  return args.map((a) => (/^[A-Za-z0-9_./:=,+@%-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`)).join(' ');
}

interface HostDetails { command?: unknown; args?: unknown; exitCode?: unknown; stderrTail?: unknown }

/** The host command of an error: a HostCommandError, or an ApplicationFailure carrying its details. */
function hostCommandOf(e: unknown): { commandLine: string | null; exitCode: number | null; stderrTail: string | null } {
  let cause: unknown = e;
  for (let i = 0; i < 5 && cause; i++) {
    if (cause instanceof HostCommandError) return { commandLine: cause.commandLine, exitCode: cause.exitCode, stderrTail: cause.stderrTail };
    const d = (cause instanceof ApplicationFailure ? cause.details?.[0] : undefined) as HostDetails | undefined;
    if (d && typeof d.command === 'string') {
      return {
        commandLine: quote([d.command, ...(Array.isArray(d.args) ? d.args.map(String) : [])]),
        exitCode: typeof d.exitCode === 'number' ? d.exitCode : null,
        stderrTail: typeof d.stderrTail === 'string' ? d.stderrTail : null,
      };
    }
    cause = (cause as { cause?: unknown }).cause;
  }
  return { commandLine: null, exitCode: null, stderrTail: null };
}

function isCancel(e: unknown): boolean {
  const name = (e as Error)?.name;
  return name === 'CancelledFailure' || name === 'AbortError' || (e instanceof HostCommandError && e.canceled);
}

/** Activity interceptor: a report for every failed attempt (repeats of one failure count up). */
export function errorReportInterceptor(o: { node: string | null; record: RecordErrorReport; log: Logger }): ActivityInterceptorsFactory {
  const secrets = knownSecretsFromEnv(process.env);
  return (ctx: Context) => {
    const inbound: ActivityInboundCallsInterceptor = {
      async execute(input, next) {
        try {
          return await next(input);
        } catch (e) {
          if (!isCancel(e)) {
            const info = ctx.info;
            const host = hostCommandOf(e);
            const report = redactReport({
              source: 'activity',
              node: o.node,
              workflowId: info.workflowExecution?.workflowId ?? `activity/${info.activityId}`,
              runId: info.workflowExecution?.runId ?? null,
              workflowType: info.workflowType ?? null,
              activityType: info.activityType,
              attempt: info.attempt,
              errorType: e instanceof ApplicationFailure ? (e.type ?? 'ApplicationFailure') : ((e as Error)?.name ?? 'Error'),
              message: (e as Error)?.message ?? String(e),
              ...host,
              at: Date.now(),
            }, secrets);
            o.record(report).catch((err: Error) => o.log.warn({ err: err.message, workflowId: report.workflowId }, 'could not record an error report'));
          }
          throw e;
        }
      },
    };
    return { inbound };
  };
}

/** An agent's way to record: POST to the first controller that takes it. */
export function postErrorReport(controllers: string[]): RecordErrorReport {
  return async (r) => {
    let last = '';
    for (const base of controllers) {
      try {
        const res = await fetch(`${base}/v1/internal/error-reports`, {
          method: 'POST',
          // the agent's token when the controller wants one (api/auth.ts)
          headers: { 'content-type': 'application/json', ...(process.env.FERRY_API_TOKEN ? { authorization: `Bearer ${process.env.FERRY_API_TOKEN}` } : {}) },
          body: JSON.stringify(r),
          signal: AbortSignal.timeout(5000),
        });
        if (res.ok) return;
        last = `${base}: HTTP ${res.status}`;
      } catch (e) {
        last = `${base}: ${(e as Error).message}`;
      }
    }
    throw new Error(`no controller took the error report (${last})`);
  };
}

/** The controller worker's `ferryOps` sink: metrics for every operation, a report for a failed one. */
export function operationSinks(o: { metrics: FerryMetrics; record: RecordErrorReport; log: Logger }): InjectedSinks<FerryOpsSinks> {
  const secrets = knownSecretsFromEnv(process.env);
  const seconds = (info: WorkflowInfo) => (Date.now() - info.runStartTime.getTime()) / 1000;
  const nodeOf = (info: WorkflowInfo) => {
    // the workflow's FerryNode search attribute, when it has one
    const v = (info.searchAttributes as Record<string, unknown> | undefined)?.FerryNode;
    return Array.isArray(v) && v.length ? String(v[0]) : null;
  };
  return {
    ferryOps: {
      started: { fn: (info) => o.metrics.operationStarted(info.workflowType), callDuringReplay: false },
      completed: { fn: (info) => o.metrics.operationFinished(info.workflowType, 'completed', seconds(info)), callDuringReplay: false },
      canceled: { fn: (info) => o.metrics.operationFinished(info.workflowType, 'canceled', seconds(info)), callDuringReplay: false },
      backupFinished: { fn: (info, b) => o.metrics.backupFinished({ ...b, durationSeconds: seconds(info) }), callDuringReplay: false },
      failed: {
        fn: (info, f) => {
          o.metrics.operationFinished(info.workflowType, 'failed', seconds(info));
          const host = hostCommandOf(ApplicationFailure.create({ type: f.errorType, message: f.message, details: f.details === null ? [] : [f.details] }));
          const report = redactReport({
            source: 'workflow', node: nodeOf(info), workflowId: info.workflowId, runId: info.runId, workflowType: info.workflowType,
            activityType: f.activityType, attempt: info.attempt, errorType: f.errorType, message: f.message, ...host, at: Date.now(),
          }, secrets);
          o.record(report).catch((err: Error) => o.log.warn({ err: err.message, workflowId: info.workflowId }, 'could not record an error report'));
        },
        callDuringReplay: false,
      },
    },
  };
}
