// Operations are workflows: describe one, wait for its result, and turn a failure into an HTTP answer.
import { WorkflowFailedError, type Client } from '@temporalio/client';
import { ApplicationFailure, ActivityFailure } from '@temporalio/common';
import { errorKinds, errorKindOfType } from '../core/errors.js';

export function failureMessage(e: unknown): { status: number; message: string } {
  let cause: unknown = e;
  while (cause instanceof WorkflowFailedError || cause instanceof ActivityFailure) cause = cause.cause;
  if (cause instanceof ApplicationFailure) {
    return { status: errorKinds[errorKindOfType(cause.type)].httpStatus, message: cause.message };
  }
  return { status: 500, message: (cause as Error)?.message ?? String(cause) };
}

export async function describeOperation(client: Client, id: string) {
  const handle = client.workflow.getHandle(id);
  const d = await handle.describe();
  let progress: unknown = null;
  if (d.status.name === 'RUNNING') progress = await handle.query('progress').catch(() => null);
  return {
    workflow_id: id,
    type: d.type,
    status: d.status.name,
    start_time: d.startTime.toISOString(),
    close_time: d.closeTime?.toISOString() ?? null,
    progress,
  };
}

export async function operationResult(client: Client, id: string) {
  const result = await client.workflow.getHandle(id).result();
  return { workflow_id: id, status: 'COMPLETED', result };
}
