// Runs host commands for the node agent: argument arrays only (never a shell), a typed error with
// the command, its exit code and the tail of its stderr when it fails.
import { execa } from 'execa';

/** How much of stderr/stdout a HostCommandError keeps. */
export const OUTPUT_TAIL_BYTES = 2048;

export interface HostCommandOptions {
  /** Data written to the command's stdin. */
  input?: string | Uint8Array;
  /** Kill the command after this many milliseconds (SIGTERM, then SIGKILL after 5 s). */
  timeoutMs?: number;
  /** Cancels the command (e.g. from a Temporal activity's cancellation signal). */
  signal?: AbortSignal;
  /** Extra environment variables (added to the agent's environment). */
  env?: Readonly<Record<string, string>>;
  /** Exit codes that count as success besides 0. */
  okExitCodes?: readonly number[];
}

export interface HostCommandResult {
  command: string;
  args: readonly string[];
  exitCode: number;
  stdout: string;
  stderr: string;
  durationMs: number;
}

export interface HostCommandErrorInit {
  command: string;
  args: readonly string[];
  /** null when the command did not exit by itself (killed, timed out, could not start) */
  exitCode: number | null;
  signal?: string | null;
  stderr: string;
  stdout?: string;
  timedOut?: boolean;
  canceled?: boolean;
  /** e.g. ENOENT when the command is not installed */
  cause?: unknown;
  message?: string;
}

function tail(text: string, max = OUTPUT_TAIL_BYTES): string {
  const b = Buffer.from(text);
  if (b.length <= max) return text;
  // keep whole characters: cut at a UTF-8 boundary
  let start = b.length - max;
  while (start < b.length && (b[start]! & 0xc0) === 0x80) start++;
  return '…' + b.subarray(start).toString();
}

/**
 * A host command failed (non-zero exit, killed, timed out, or not found). kind 'host-command' (see
 * core/errors.ts): retried by Temporal; activities that call host commands are idempotent.
 */
export class HostCommandError extends Error {
  readonly kind = 'host-command' as const;
  readonly command: string;
  readonly args: readonly string[];
  readonly exitCode: number | null;
  readonly signal: string | null;
  /** The last ~2 KB of stderr. */
  readonly stderrTail: string;
  /** The last ~2 KB of stdout. */
  readonly stdoutTail: string;
  readonly timedOut: boolean;
  readonly canceled: boolean;

  constructor(init: HostCommandErrorInit) {
    const stderrTail = tail(init.stderr);
    const how = init.timedOut
      ? 'timed out'
      : init.canceled
        ? 'was canceled'
        : init.exitCode !== null
          ? `failed with exit code ${init.exitCode}`
          : init.signal
            ? `was killed by ${init.signal}`
            : 'could not be run';
    const firstLines = stderrTail.trim().split('\n').slice(-3).map((l) => l.trim()).join(' / ');
    super(init.message ?? `${init.command} ${how}${firstLines ? `: ${firstLines}` : ''}`, init.cause === undefined ? undefined : { cause: init.cause });
    this.name = 'HostCommandError';
    this.command = init.command;
    this.args = [...init.args];
    this.exitCode = init.exitCode;
    this.signal = init.signal ?? null;
    this.stderrTail = stderrTail;
    this.stdoutTail = tail(init.stdout ?? '');
    this.timedOut = init.timedOut ?? false;
    this.canceled = init.canceled ?? false;
  }

  /** The command line for logs and messages (arguments quoted where needed). */
  get commandLine(): string {
    return [this.command, ...this.args].map((a) => (/^[A-Za-z0-9_./:=,+@%-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`)).join(' ');
  }

  /** JSON-safe details for ApplicationFailure details / REST bodies. */
  toDetails(): { kind: 'host-command'; command: string; args: string[]; exitCode: number | null; signal: string | null; stderrTail: string; timedOut: boolean } {
    return {
      kind: this.kind,
      command: this.command,
      args: [...this.args],
      exitCode: this.exitCode,
      signal: this.signal,
      stderrTail: this.stderrTail,
      timedOut: this.timedOut,
    };
  }
}

/** What a host command did, for observers (metrics): outcome, exit code, duration. */
export interface HostCommandObservation {
  command: string;
  ok: boolean;
  exitCode: number | null;
  durationMs: number;
}

let observer: ((o: HostCommandObservation) => void) | undefined;

/** Installs the one observer of every host command (the agent's metrics); undefined removes it. */
export function setHostCommandObserver(fn: ((o: HostCommandObservation) => void) | undefined): void {
  observer = fn;
}

/** Runs `command` with `args` (no shell) and returns its output; throws HostCommandError on failure. */
export async function runHostCommand(command: string, args: readonly string[], opts: HostCommandOptions = {}): Promise<HostCommandResult> {
  const started = Date.now();
  const r = await execa(command, [...args], {
    reject: false,
    shell: false,
    stripFinalNewline: false,
    input: opts.input,
    stdin: opts.input === undefined ? 'ignore' : undefined,
    timeout: opts.timeoutMs,
    forceKillAfterDelay: 5000,
    cancelSignal: opts.signal,
    env: opts.env ? { ...opts.env } : undefined,
    extendEnv: true,
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  const stdout = typeof r.stdout === 'string' ? r.stdout : '';
  const stderr = typeof r.stderr === 'string' ? r.stderr : '';
  const exitCode = typeof r.exitCode === 'number' ? r.exitCode : null;
  const ok = exitCode !== null && !r.timedOut && !r.isCanceled && (exitCode === 0 || (opts.okExitCodes ?? []).includes(exitCode));
  try {
    observer?.({ command, ok, exitCode, durationMs: Date.now() - started });
  } catch {
    // an observer never fails the command
  }
  if (!ok) {
    const notStarted = exitCode === null && !r.signal && !r.timedOut && !r.isCanceled;
    throw new HostCommandError({
      command,
      args,
      exitCode,
      signal: r.signal ?? null,
      stderr: notStarted && !stderr ? (r.originalMessage ?? r.shortMessage ?? '') : stderr,
      stdout,
      timedOut: r.timedOut,
      canceled: r.isCanceled,
      cause: r.cause,
    });
  }
  return { command, args: [...args], exitCode, stdout, stderr, durationMs: Date.now() - started };
}

/** The signature of runHostCommand, for injecting a fake or a wrapper (logging, metrics). */
export type HostCommandRunner = (command: string, args: readonly string[], opts?: HostCommandOptions) => Promise<HostCommandResult>;
