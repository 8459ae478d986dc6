// The ferry-sim command line. Each command group lives in its own module with a `register`; add a
// group (e.g. `net`, `node`) by adding it to `groups`.
import path from 'node:path';
import { Command } from 'commander';
import * as host from './host.js';
import * as fault from './fault.js';
import * as pool from './pool.js';
import * as state from './state.js';
import * as io from './io.js';
import * as drbd from '../drbd/cli.js';
import * as node from './node.js';

export interface GlobalOptions {
  /** The simulated cluster directory (--root or $FERRY_SIM_ROOT). */
  root: string;
}

export type RegisterGroup = (program: Command, globals: () => GlobalOptions) => void;

export const groups: RegisterGroup[] = [host.register, fault.register, pool.register, state.register, io.register, drbd.register, node.register];

export function buildProgram(): Command {
  const program = new Command('ferry-sim')
    .description('simulated storage hosts for ferry: nodes, faults, pools and volume I/O')
    .option('--root <dir>', 'simulated cluster directory (default: $FERRY_SIM_ROOT)');
  const globals = (): GlobalOptions => {
    const r = (program.opts() as { root?: string }).root ?? process.env.FERRY_SIM_ROOT;
    if (!r) {
      process.stderr.write('ferry-sim: give --root DIR or set FERRY_SIM_ROOT\n');
      process.exit(2);
    }
    return { root: path.resolve(r) };
  };
  for (const g of groups) g(program, globals);
  return program;
}
