// The node lock: `$NODE_DIR/lock`, created with O_EXCL. Every change to a node's state (LVM metadata,
// thin LV data, DRBD state, faults) happens under it, so concurrent commands on one node serialise as
// on a real host. Re-entrant within a process. A lock whose owner process is gone is broken.
import fs from 'node:fs';
import os from 'node:os';
import { threadId } from 'node:worker_threads';
import { lockPath } from './paths.js';
import { sleepSync } from './sync-io.js';

const held = new Map<string, number>();

/**
 * Who holds a lock: `PID HOST`, and `tN` when a tool server's worker thread N holds it (the tool
 * server frees the locks of a worker it terminates: releaseLocksOfThread).
 */
function ownerTag(tid = threadId): string {
  return `${process.pid} ${os.hostname()}${tid ? ` t${tid}` : ''}`;
}

/** Removes the node locks under `simRoot` held by worker thread `tid` of this process (it was terminated). */
export function releaseLocksOfThread(simRoot: string, tid: number): string[] {
  const freed: string[] = [];
  let nodes: string[];
  try {
    nodes = fs.readdirSync(simRoot);
  } catch {
    return freed;
  }
  for (const n of nodes) {
    const file = lockPath(`${simRoot}/${n}`);
    try {
      if (fs.readFileSync(file, 'utf8').trim() === ownerTag(tid)) {
        fs.rmSync(file, { force: true });
        freed.push(file);
      }
    } catch {
      /* no lock there */
    }
  }
  return freed;
}

export class LockTimeoutError extends Error {}

export interface LockOptions {
  /** Give up after this long (default 60 s). */
  timeoutMs?: number;
}

function ownerIsGone(file: string): boolean {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return false; // vanished meanwhile: just retry
  }
  const [pidText, host] = text.split(' ');
  const pid = Number(pidText);
  if (!Number.isInteger(pid) || pid <= 0) {
    // Half-written lock file: treat as stale only once it is old.
    try {
      return Date.now() - fs.statSync(file).mtimeMs > 5000;
    } catch {
      return false;
    }
  }
  if (host && host.trim() !== os.hostname()) return false;
  try {
    process.kill(pid, 0);
    return false;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

/** Takes the lock of a node directory; returns the release function. */
export function acquireNodeLock(nodeDir: string, opts: LockOptions = {}): () => void {
  const file = lockPath(nodeDir);
  const depth = held.get(file) ?? 0;
  if (depth > 0) {
    held.set(file, depth + 1);
    return () => releaseOnce(file);
  }
  const deadline = Date.now() + (opts.timeoutMs ?? 60000);
  let wait = 1;
  for (;;) {
    try {
      const fd = fs.openSync(file, fs.constants.O_CREAT | fs.constants.O_EXCL | fs.constants.O_WRONLY, 0o644);
      fs.writeSync(fd, `${ownerTag()}\n`);
      fs.closeSync(fd);
      held.set(file, 1);
      return () => releaseOnce(file);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') {
        fs.mkdirSync(nodeDir, { recursive: true });
        continue;
      }
      if (code !== 'EEXIST') throw e;
    }
    if (ownerIsGone(file)) {
      // Break the stale lock: rename first so two breakers cannot both remove a fresh lock.
      const grave = `${file}.stale-${process.pid}`;
      try {
        fs.renameSync(file, grave);
        fs.rmSync(grave, { force: true });
      } catch {
        /* someone else broke it */
      }
      continue;
    }
    if (Date.now() > deadline) throw new LockTimeoutError(`timed out waiting for lock ${file}`);
    sleepSync(wait);
    wait = Math.min(wait * 2, 20);
  }
}

function releaseOnce(file: string): void {
  const depth = held.get(file) ?? 0;
  if (depth <= 0) return;
  if (depth > 1) {
    held.set(file, depth - 1);
    return;
  }
  held.delete(file);
  fs.rmSync(file, { force: true });
}

/** Runs `fn` holding the node lock. */
export function withNodeLock<T>(nodeDir: string, fn: () => T, opts?: LockOptions): T {
  const release = acquireNodeLock(nodeDir, opts);
  try {
    return fn();
  } finally {
    release();
  }
}

/** Async variant: the lock is held until the promise settles. */
export async function withNodeLockAsync<T>(nodeDir: string, fn: () => Promise<T>, opts?: LockOptions): Promise<T> {
  const release = acquireNodeLock(nodeDir, opts);
  try {
    return await fn();
  } finally {
    release();
  }
}
