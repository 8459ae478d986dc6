// Operations are workflows: describe one, wait for its result, and turn a failure into an HTTP answer.
import { WorkflowFailedError, type Client } from '@temporalio/client';
import { ApplicationFailure, ActivityFailure } from '@temporalio/common';
import { errorFromFailure, errorKinds, errorKindOfType, type FerryError } from '../core/errors.js';

/** A failed operation as an HTTP answer; `error` is the ferry error it carried (its kind, object, field). */
export function failureMessage(e: unknown): { status: number; message: string; error?: FerryError } {
  let cause: unknown = e;
  while (cause instanceof WorkflowFailedError || cause instanceof ActivityFailure) cause = cause.cause;
  if (cause instanceof ApplicationFailure) {
    const error = errorFromFailure(cause.type ?? '', cause.message, cause.details?.[0]);
    return { status: errorKinds[errorKindOfType(cause.type)].httpStatus, message: cause.message, error };
  }
  return { status: 500, message: (cause as Error)?.message ?? String(cause) };
}

/** The Ferry* search attributes of a workflow, as plain strings. */
export function ferryAttributes(sa: Record<string, unknown> | undefined): { node: string[]; resource: string[]; operation: string | null } {
  const list = (k: string) => (Array.isArray(sa?.[k]) ? (sa![k] as unknown[]).map(String) : []);
  return { node: list('FerryNode'), resource: list('FerryResource'), operation: list('FerryOperation')[0] ?? null };
}

/** Why a running operation does not move: its pending activities that failed and are retrying. */
function blockedReasonOf(raw: { pendingActivities?: { activityType?: { name?: string | null } | null; attempt?: number | null; lastFailure?: { message?: string | null } | null }[] | null }): string | null {
  const stuck = (raw.pendingActivities ?? []).filter((a) => (a.attempt ?? 1) > 1 && a.lastFailure?.message);
  if (!stuck.length) return null;
  return stuck.map((a) => `${a.activityType?.name ?? 'activity'} attempt ${a.attempt}: ${a.lastFailure!.message}`).join('; ');
}

export async function describeOperation(client: Client, id: string) {
  const handle = client.workflow.getHandle(id);
  const d = await handle.describe();
  let progress: unknown = null;
  if (d.status.name === 'RUNNING') {
    progress = await handle.query('progress').catch(() => null);
    const blocked = blockedReasonOf(d.raw);
    if (blocked) progress = { phase: 'running', done: 0, total: 0, ...(progress as object | null ?? {}), blockedReason: blocked };
  }
  // the untyped record: the Ferry* keyword lists as plain arrays
  const attrs = ferryAttributes(d.searchAttributes as Record<string, unknown>);
  return {
    workflow_id: id,
    run_id: d.runId,
    type: d.type,
    status: d.status.name,
    start_time: d.startTime.toISOString(),
    close_time: d.closeTime?.toISOString() ?? null,
    nodes: attrs.node,
    resources: attrs.resource,
    operation: attrs.operation,
    progress,
  };
}

export async function operationResult(client: Client, id: string) {
  const result = await client.workflow.getHandle(id).result();
  return { workflow_id: id, status: 'COMPLETED', result };
}
