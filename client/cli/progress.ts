// Follows a long operation for the CLI: `--wait` (the default) polls the operation's progress
// (GET /v1/ferry/operations/<id>) until it has finished, drawing a bar with phase, done/total,
// bytes and ETA on a terminal, or printing a plain line whenever the progress changes when the
// output is not a terminal; `--no-wait` prints the operation id at once and returns.
import type { Command } from 'commander';
import type { FerryClient, OperationInfo } from '../ferry-client.js';
import { asOperationProgress, formatEta, formatProgressLine, progressFraction, type OperationProgress } from '../../core/progress.js';

export interface FollowOptions {
  /** Poll interval, ms. */
  intervalMs?: number;
  /** Where the bar/lines go (stderr by default when stdout carries JSON). */
  out?: NodeJS.WriteStream;
  /** Draw a bar (default: out.isTTY). */
  tty?: boolean;
}

export interface WaitFlags {
  wait: boolean;
}

/** `--no-wait` (a global option of `ferry`): true unless the operator asked not to wait. */
export function waitRequested(cmd: Command): boolean {
  return cmd.optsWithGlobals<{ wait?: boolean }>().wait !== false;
}

const BAR_WIDTH = 24;

export function renderBar(p: OperationProgress, elapsedSeconds: number): string {
  const f = progressFraction(p);
  let eta = p.etaSeconds ?? null;
  if (eta === null && f !== null && f > 0.02 && f < 1) eta = (elapsedSeconds * (1 - f)) / f;
  const filled = f === null ? 0 : Math.round(f * BAR_WIDTH);
  const bar = f === null ? `[${'·'.repeat(BAR_WIDTH)}]` : `[${'#'.repeat(filled)}${'.'.repeat(BAR_WIDTH - filled)}] ${String(Math.round(f * 100)).padStart(3)}%`;
  const line = formatProgressLine({ ...p, etaSeconds: null });
  return `${bar} ${line}${eta !== null ? `, ETA ${formatEta(eta)}` : ''}`;
}

/**
 * Polls until the operation is no longer RUNNING, showing its progress; returns the last describe().
 * The caller then asks for the result (which throws the failure).
 */
export async function followOperation(client: FerryClient, workflowId: string, o: FollowOptions = {}): Promise<OperationInfo> {
  const out = o.out ?? process.stderr;
  const tty = o.tty ?? Boolean(out.isTTY);
  const interval = o.intervalMs ?? 500;
  const started = Date.now();
  let last = '';
  let drewBar = false;
  for (;;) {
    const info = await client.operation(workflowId).describe();
    const p = asOperationProgress(info.progress);
    if (info.status !== 'RUNNING') {
      if (drewBar) out.write('\r\x1b[2K');
      return info;
    }
    if (p) {
      if (tty) {
        const cols = out.columns || 100;
        out.write(`\r\x1b[2K${renderBar(p, (Date.now() - started) / 1000).slice(0, cols - 1)}`);
        drewBar = true;
      } else {
        const line = `${formatProgressLine(p)}`;
        if (line !== last) out.write(`${workflowId}: ${line}\n`);
        last = line;
      }
    }
    await new Promise((r) => setTimeout(r, interval));
  }
}

/**
 * The one way a long CLI command ends: with --no-wait print the operation id and return null;
 * else follow the progress and return the result (a failure throws FerryApiError).
 */
export async function awaitOperation<T>(cmd: Command, client: FerryClient, op: { workflowId: string; result(): Promise<T> }, o: { json: boolean }): Promise<{ waited: false } | { waited: true; result: T }> {
  if (!waitRequested(cmd)) {
    process.stdout.write(o.json ? `${JSON.stringify({ workflow_id: op.workflowId, status: 'RUNNING' }, null, 2)}\n` : `${op.workflowId}\n`);
    return { waited: false };
  }
  // with -m stdout carries only the JSON answer: wait without drawing progress
  if (o.json) await op.result().catch(() => undefined);
  else await followOperation(client, op.workflowId, { out: process.stdout });
  return { waited: true, result: await op.result() };
}
