// What a simulated tool is: a function of its argv that writes to stdout/stderr and returns an exit
// code. Registered by name in sim/tools.ts, run by sim/main.ts.
import fs from 'node:fs';
import { readFull, writeAll } from './sync-io.js';

export interface ToolContext {
  /** The tool name as invoked (e.g. "lvcreate"). */
  readonly tool: string;
  /** This node's state directory ($FERRY_SIM_ROOT/$FERRY_SIM_NODE). */
  readonly nodeDir: string;
  /** Text for stdout / stderr, flushed by the dispatcher when the tool returns. */
  out(text: string): void;
  err(text: string): void;
  /** Writes bytes to stdout right away (binary streams, e.g. thin_send). */
  writeStdout(data: Uint8Array): void;
  /**
   * Writes `length` bytes of `file` from `position` to stdout (after what was written before).
   * Through the tool server the caller's own process copies them (sim/bin/.tool-client runs dd),
   * so bulk data does not pass through Node at all.
   */
  copyToStdout(file: string, position: number, length: number): void;
}

export type ToolMain = (args: string[], ctx: ToolContext) => number | Promise<number>;

/** A tool module exports `main`. */
export interface ToolModule {
  main: ToolMain;
}

/** Thrown by a tool to end with an exit code and stderr lines (already in the real tool's wording). */
export class ToolExit extends Error {
  constructor(
    readonly exitCode: number,
    readonly stderr: string,
    readonly stdout = '',
  ) {
    super(stderr.trim() || `exit ${exitCode}`);
  }
}

/** Where a tool's output goes: the process's fds 1 and 2, or the tool server's reply buffers. */
export interface OutputSink {
  stdout(data: Uint8Array): void;
  stderr(data: Uint8Array): void;
  /** A file range for stdout, to be copied by whoever delivers the output (the tool server's client). */
  stdoutFile?(file: string, position: number, length: number): void;
}

/** Bytes per read when a file range is copied here (as cat does: the buffer stays in the CPU cache). */
const COPY_PIECE = 128 * 1024;

const processSink: OutputSink = { stdout: (b) => writeAll(1, b), stderr: (b) => writeAll(2, b) };

export function createContext(tool: string, nodeDir: string, sink: OutputSink = processSink): ToolContext & { flush(): void } {
  let out = '';
  let err = '';
  const flush = (): void => {
    if (out) sink.stdout(Buffer.from(out));
    if (err) sink.stderr(Buffer.from(err));
    out = '';
    err = '';
  };
  return {
    tool,
    nodeDir,
    out: (t) => {
      out += t;
    },
    err: (t) => {
      err += t;
    },
    writeStdout: (data) => {
      if (out) {
        sink.stdout(Buffer.from(out));
        out = '';
      }
      sink.stdout(data);
    },
    copyToStdout: (file, position, length) => {
      if (out) {
        sink.stdout(Buffer.from(out));
        out = '';
      }
      if (length <= 0) return;
      if (sink.stdoutFile) {
        sink.stdoutFile(file, position, length);
        return;
      }
      const fd = fs.openSync(file, 'r');
      try {
        const piece = Buffer.allocUnsafe(Math.min(COPY_PIECE, length));
        for (let done = 0; done < length;) {
          const want = piece.subarray(0, Math.min(piece.length, length - done));
          const n = readFull(fd, want, position + done);
          if (n < want.length) throw new Error(`${file}: short read at ${position + done} (${n} of ${want.length} bytes)`);
          sink.stdout(want);
          done += n;
        }
      } finally {
        fs.closeSync(fd);
      }
    },
    flush,
  };
}
