// Fault injection shared by every simulated tool: `$NODE_DIR/faults.json` holds armed faults; the
// dispatcher (sim/main.ts) consults it before running any tool.
import fs from 'node:fs';
import { withNodeLock } from './lock.js';
import { faultsPath } from './paths.js';
import { writeFileAtomic } from './sync-io.js';

export interface Fault {
  /** Unique id (assigned when added). */
  id: string;
  /**
   * What it matches: the tool name, optionally followed by words that must all appear, in this
   * order, among the arguments: "lvcreate", "drbdadm adjust", "lvcreate --snapshot".
   */
  command: string;
  /** How many more calls it affects; absent or null = every call until cleared. */
  remaining?: number | null;
  /** Exit code to fail with. Absent = do not fail (a pure delay). */
  exitCode?: number | null;
  /** Text written to stderr when failing (a newline is added if missing). */
  stderr?: string;
  /** Text written to stdout when failing. */
  stdout?: string;
  /** Delay before failing / running normally. */
  delayMs?: number;
  /** Never return (until killed). */
  hang?: boolean;
  /** Run the tool, but kill it just before its Nth write of host state (sim/sync-io.ts crashPoint). */
  crashAtWrite?: number | null;
}

export interface FaultsFile {
  faults: Fault[];
}

export function readFaults(nodeDir: string): Fault[] {
  try {
    const parsed = JSON.parse(fs.readFileSync(faultsPath(nodeDir), 'utf8')) as FaultsFile;
    return Array.isArray(parsed.faults) ? parsed.faults : [];
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw e;
  }
}

function writeFaults(nodeDir: string, faults: Fault[]): void {
  fs.mkdirSync(nodeDir, { recursive: true });
  writeFileAtomic(faultsPath(nodeDir), JSON.stringify({ faults }, null, 2) + '\n');
}

export function addFault(nodeDir: string, fault: Omit<Fault, 'id'> & { id?: string }): Fault {
  return withNodeLock(nodeDir, () => {
    const faults = readFaults(nodeDir);
    const id = fault.id ?? `f${Date.now().toString(36)}${Math.floor(Math.random() * 1e6).toString(36)}`;
    const f: Fault = { ...fault, id };
    faults.push(f);
    writeFaults(nodeDir, faults);
    return f;
  });
}

/** Removes faults: all, or those whose command equals `command`, or the one with that id. */
export function clearFaults(nodeDir: string, which?: string): number {
  return withNodeLock(nodeDir, () => {
    const faults = readFaults(nodeDir);
    const keep = which === undefined ? [] : faults.filter((f) => f.command !== which && f.id !== which);
    writeFaults(nodeDir, keep);
    return faults.length - keep.length;
  });
}

export function faultMatches(fault: Fault, tool: string, args: readonly string[]): boolean {
  const words = fault.command.trim().split(/\s+/);
  if (words[0] !== tool) return false;
  let i = 0;
  for (const w of words.slice(1)) {
    while (i < args.length && args[i] !== w) i++;
    if (i >= args.length) return false;
    i++;
  }
  return true;
}

/**
 * Finds the first armed fault matching this call and consumes one of its `remaining` counts.
 * Returns the fault (as it was before consumption) or null.
 */
export function takeFault(nodeDir: string, tool: string, args: readonly string[]): Fault | null {
  if (!fs.existsSync(faultsPath(nodeDir))) return null;
  return withNodeLock(nodeDir, () => {
    const faults = readFaults(nodeDir);
    const idx = faults.findIndex((f) => (f.remaining === undefined || f.remaining === null || f.remaining > 0) && faultMatches(f, tool, args));
    if (idx < 0) return null;
    const f = faults[idx]!;
    if (typeof f.remaining === 'number') {
      const left = f.remaining - 1;
      if (left <= 0) faults.splice(idx, 1);
      else faults[idx] = { ...f, remaining: left };
      writeFaults(nodeDir, faults);
    }
    return f;
  });
}
