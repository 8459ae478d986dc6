// thin_send / thin_recv (LINBIT thin-send-recv): argv builders and spawners that hand back the execa
// subprocess, so a caller can pipe the stream (to zstd, S3, another node's thin_recv). The stream
// is opaque bytes to ferry.
import { execa } from 'execa';
import type { ResultPromise } from 'execa';
import { ValidationError } from '../../../core/errors.js';
import { HostCommandError } from './run.js';

const LVM_NAME = /^[A-Za-z0-9+_.][A-Za-z0-9+_.-]{0,126}$/;

function lvArg(field: string, vg: string, lv: string): string {
  if (!LVM_NAME.test(vg)) throw new ValidationError(`${field}.vg`, `"${vg}" is not a valid LVM name`);
  if (!LVM_NAME.test(lv)) throw new ValidationError(`${field}.lv`, `"${lv}" is not a valid LVM name`);
  return `${vg}/${lv}`;
}

export interface ThinSendRequest {
  vg: string;
  /** The snapshot to send (must be active: create it with activation, or lvchange -ay -K). */
  snapshot: string;
  /** Send only what changed since this older snapshot of the same volume (same pool). */
  base?: string;
}

export interface ThinRecvRequest {
  vg: string;
  /** An existing, active thin LV at least as big as the sent one. */
  lv: string;
}

/** thin_send [VG/BASE] VG/SNAP */
export function thinSendArgs(req: ThinSendRequest): string[] {
  return [...(req.base !== undefined ? [lvArg('base', req.vg, req.base)] : []), lvArg('snapshot', req.vg, req.snapshot)];
}

/** thin_recv VG/LV */
export function thinRecvArgs(req: ThinRecvRequest): string[] {
  return [lvArg('target', req.vg, req.lv)];
}

export interface ThinSpawnOptions {
  signal?: AbortSignal;
  env?: Readonly<Record<string, string>>;
}

export type ThinSendProcess = ResultPromise<{ stdin: 'ignore'; stdout: 'pipe'; stderr: 'pipe'; buffer: { stdout: false; stderr: true }; encoding: 'buffer'; reject: false }>;
export type ThinRecvProcess = ResultPromise<{ stdin: 'pipe'; stdout: 'pipe'; stderr: 'pipe'; buffer: { stdout: true; stderr: true }; encoding: 'utf8'; reject: false }>;

/** Starts thin_send; read the stream from `.stdout`, then `await finishThin(p, ...)`. */
export function spawnThinSend(req: ThinSendRequest, opts: ThinSpawnOptions = {}): ThinSendProcess {
  return execa('thin_send', thinSendArgs(req), {
    stdin: 'ignore',
    stdout: 'pipe',
    stderr: 'pipe',
    buffer: { stdout: false, stderr: true },
    encoding: 'buffer',
    reject: false,
    cancelSignal: opts.signal,
    env: opts.env ? { ...opts.env } : undefined,
  });
}

/** Starts thin_recv; write the stream to `.stdin` (and end it), then `await finishThin(p, ...)`. */
export function spawnThinRecv(req: ThinRecvRequest, opts: ThinSpawnOptions = {}): ThinRecvProcess {
  return execa('thin_recv', thinRecvArgs(req), {
    stdin: 'pipe',
    stdout: 'pipe',
    stderr: 'pipe',
    buffer: { stdout: true, stderr: true },
    encoding: 'utf8',
    reject: false,
    cancelSignal: opts.signal,
    env: opts.env ? { ...opts.env } : undefined,
  });
}

/** Waits for a thin_send/thin_recv process; throws HostCommandError if it failed. */
export async function finishThin(p: ThinSendProcess | ThinRecvProcess, command: 'thin_send' | 'thin_recv', args: readonly string[]): Promise<void> {
  const r = await p;
  const stderr = typeof r.stderr === 'string' ? r.stderr : r.stderr instanceof Uint8Array ? Buffer.from(r.stderr).toString() : '';
  if (r.exitCode !== 0 || r.isCanceled) {
    throw new HostCommandError({
      command,
      args,
      exitCode: typeof r.exitCode === 'number' ? r.exitCode : null,
      signal: r.signal ?? null,
      stderr: stderr || (r.exitCode === undefined ? (r.shortMessage ?? '') : ''),
      canceled: r.isCanceled,
      cause: r.cause,
    });
  }
}
