// Small synchronous I/O helpers for the simulated tools: large buffered reads/writes on fds, and a
// sleep that does not spin.
import fs from 'node:fs';
import { isMainThread, threadId } from 'node:worker_threads';

const sleepCell = new Int32Array(new SharedArrayBuffer(4));

export function sleepSync(ms: number): void {
  if (ms > 0) Atomics.wait(sleepCell, 0, 0, ms);
}

function isAgain(e: unknown): boolean {
  const code = (e as NodeJS.ErrnoException).code;
  return code === 'EAGAIN' || code === 'EWOULDBLOCK';
}

/** FERRY_SIM_CRASH_AT_WRITE=N of this process's (or tool call's) environment, or null. */
export function crashAtWriteFromEnv(): number | null {
  const n = Number(process.env.FERRY_SIM_CRASH_AT_WRITE);
  return Number.isInteger(n) && n > 0 ? n : null;
}

let writesBeforeCrash: number | null = crashAtWriteFromEnv();

/**
 * Arms the crash hook: the tool dies just before its Nth write or removal of simulated host state
 * (data, thin metadata, state files), as a process killed at that point would; null disarms. Set from
 * FERRY_SIM_CRASH_AT_WRITE, or per call by a `ferry-sim fault add ... --crash-at-write N`.
 */
export function armCrash(n: number | null): void {
  writesBeforeCrash = n;
}

/** Called before every write of host state: dies here when the armed count runs out. */
export function crashPoint(): void {
  if (writesBeforeCrash === null) return;
  writesBeforeCrash -= 1;
  if (writesBeforeCrash > 0) return;
  writesBeforeCrash = null;
  if (isMainThread) process.kill(process.pid, 'SIGKILL');
  // a tool server's worker thread: ends this call only (no finally runs), as a killed process would
  process.exit(137);
}

/** Writes all of `buf` to `fd` (a file, a pipe or a tty), retrying short writes and EAGAIN. */
export function writeAll(fd: number, buf: Uint8Array, position?: number): void {
  if (position !== undefined) crashPoint();
  let off = 0;
  while (off < buf.length) {
    try {
      const n = position === undefined
        ? fs.writeSync(fd, buf, off, buf.length - off)
        : fs.writeSync(fd, buf, off, buf.length - off, position + off);
      off += n;
    } catch (e) {
      if (isAgain(e)) { sleepSync(1); continue; }
      throw e;
    }
  }
}

/** Reads until `buf` is full or EOF; returns the number of bytes read. */
export function readFull(fd: number, buf: Uint8Array, position?: number): number {
  let off = 0;
  while (off < buf.length) {
    let n: number;
    try {
      n = position === undefined
        ? fs.readSync(fd, buf, off, buf.length - off, null)
        : fs.readSync(fd, buf, off, buf.length - off, position + off);
    } catch (e) {
      if (isAgain(e)) { sleepSync(1); continue; }
      if ((e as NodeJS.ErrnoException).code === 'EOF') break;
      throw e;
    }
    if (n === 0) break;
    off += n;
  }
  return off;
}

/** Writes a file atomically (temp file + rename). */
export function writeFileAtomic(file: string, data: string | Uint8Array): void {
  const tmp = `${file}.tmp-${process.pid}-${threadId}`;
  crashPoint();
  fs.writeFileSync(tmp, data);
  fs.renameSync(tmp, file);
}
