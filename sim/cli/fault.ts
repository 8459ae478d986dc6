// ferry-sim fault add|clear|list: make a host command fail, run slowly or hang.
import type { Command } from 'commander';
import { addFault, clearFaults, readFaults } from '../faults.js';
import { simNodeDir } from '../paths.js';
import { parseInteger } from './parse.js';
import type { GlobalOptions } from './program.js';

export function register(program: Command, globals: () => GlobalOptions): void {
  const fault = program.command('fault').description('fault injection for simulated host commands');
  fault
    .command('add')
    .description('arm a fault: the next N calls of COMMAND (e.g. "lvcreate" or "drbdadm adjust") fail / stall / hang')
    .argument('<node>', 'node name')
    .argument('<command...>', 'tool name, optionally followed by words that must appear among its arguments')
    .option('--times <n>', 'number of calls affected (default: every call until cleared)', parseInteger)
    .option('--exit-code <code>', 'exit code to fail with', parseInteger)
    .option('--stderr <text>', 'stderr of the failing call')
    .option('--stdout <text>', 'stdout of the failing call')
    .option('--delay-ms <ms>', 'delay before failing or running normally', parseInteger)
    .option('--hang', 'never return (until killed)')
    .option('--crash-at-write <n>', 'run the call but kill it just before its Nth write of host state', parseInteger)
    .action((node: string, command: string[], o: { times?: number; exitCode?: number; stderr?: string; stdout?: string; delayMs?: number; hang?: boolean; crashAtWrite?: number }) => {
      const f = addFault(simNodeDir(node, globals().root), {
        command: command.join(' '),
        remaining: o.times ?? null,
        exitCode: o.exitCode ?? null,
        stderr: o.stderr,
        stdout: o.stdout,
        delayMs: o.delayMs,
        hang: o.hang ?? false,
        crashAtWrite: o.crashAtWrite ?? null,
      });
      process.stdout.write(`${f.id}\n`);
    });
  fault
    .command('clear')
    .description('remove armed faults (all, or those of one command or id)')
    .argument('<node>', 'node name')
    .argument('[command...]', 'command or fault id')
    .action((node: string, command: string[]) => {
      const n = clearFaults(simNodeDir(node, globals().root), command.length ? command.join(' ') : undefined);
      process.stdout.write(`cleared ${n} fault(s)\n`);
    });
  fault
    .command('list')
    .description('list armed faults as JSON')
    .argument('<node>', 'node name')
    .action((node: string) => {
      process.stdout.write(JSON.stringify(readFaults(simNodeDir(node, globals().root)), null, 2) + '\n');
    });
}
