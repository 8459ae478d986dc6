// `ferry`: the operator's CLI, with LINSTOR's verbs and tables. Lists take -m for JSON.
import { Command, CommanderError } from 'commander';
import { FerryApiError, FerryClient, FerryUnreachableError } from '../ferry-client.js';
import { resolveConfig } from '../../core/config.js';
import { renderTable } from './table.js';
import { nodeAddressSchema, nodeNameSchema } from '../../core/validation.js';
import type { z } from 'zod';
import { errorKinds, type ErrorKind } from '../../core/errors.js';
import { formatSize } from '../../core/units.js';
import { registerResourceCommands, UsageErrorLike } from './resources.js';
import { registerEvacuationCommands } from './evacuation.js';
import { registerSnapshotCommands } from './snapshots.js';
import { registerOperationCommands } from './operations.js';
import { registerErrorReportCommands } from './error-reports.js';
import { registerTokenCommands } from './tokens.js';
import { transportFromEnv } from '../transport.js';
import { registerBackupCommands } from './backups.js';
import { registerScheduleCommands } from './schedules.js';
import { registerResourceGroupCommands } from './resource-groups.js';
import { DriftFound, registerDoctorCommand } from './doctor.js';

/** Exit codes come from core/errors.ts (LINSTOR client's values where one fits): 2 bad arguments, 3 not found, 5 conflict... */
const EXIT = { ok: 0, usage: errorKinds.validation.exitCode, unreachable: errorKinds.unavailable.exitCode, failed: errorKinds.internal.exitCode } as const;

/** The exit code for an HTTP error status of the controller. */
function exitCodeForStatus(status: number): number {
  const kind = (Object.keys(errorKinds) as ErrorKind[]).find((k) => errorKinds[k].httpStatus === status);
  return kind ? errorKinds[kind].exitCode : EXIT.failed;
}

class UsageError extends Error {}

function check<T>(schema: z.ZodType<T>, value: unknown): T {
  const r = schema.safeParse(value);
  if (!r.success) throw new UsageError(r.error.issues.map((i) => i.message).join('; '));
  return r.data;
}

interface GlobalOpts {
  controllers?: string;
  machineReadable?: boolean;
}

function clientFrom(cmd: Command): { client: FerryClient; json: boolean } {
  const g = cmd.optsWithGlobals<GlobalOpts>();
  const cfg = resolveConfig({}, { ...process.env, ...(g.controllers ? { FERRY_CONTROLLERS: g.controllers } : {}) });
  return { client: new FerryClient({ controllers: cfg.controllers, ...transportFromEnv() }), json: Boolean(g.machineReadable) };
}

function print(json: boolean, data: unknown, table: () => string): void {
  process.stdout.write(json ? `${JSON.stringify(data, null, 2)}\n` : `${table()}\n`);
}

export function buildCli(): Command {
  const program = new Command('ferry')
    .description('ferry: replicated block storage (LVM-thin + DRBD 9) with durable operations')
    .option('--controllers <urls>', 'controller REST endpoints, comma separated (env FERRY_CONTROLLERS)')
    .option('-m, --machine-readable', 'print JSON')
    .option('--no-wait', 'long operations: print the operation id and return at once (default: wait, showing progress)')
    .showHelpAfterError()
    .exitOverride();

  const node = program.command('node').alias('n').description('storage nodes');

  node.command('list').alias('l').description('list nodes and their state').action(async (_o, cmd: Command) => {
    const { client, json } = clientFrom(cmd);
    const nodes = await client.nodes.list();
    print(json, nodes, () =>
      renderTable(['Node', 'NodeType', 'Addresses', 'State'], nodes.map((n) => {
        const nic = n.net_interfaces[0];
        const state = n.flags.includes('EVICTED') ? 'EVICTED'
          : n.connection_status === 'ONLINE' ? 'Online' : n.connection_status === 'CONNECTED' ? 'Connected' : 'OFFLINE';
        return [n.name, n.type, `${nic.address}:${nic.satellite_port} (${nic.satellite_encryption_type})`, state];
      })));
  });

  node.command('info').description('what a node supports and what storage its host has')
    .argument('<node>', 'node name')
    .action(async (name: string, _o, cmd: Command) => {
      const { client, json } = clientFrom(cmd);
      const n = await client.nodes.get(check(nodeNameSchema, name));
      const inv = n.inventory as { thinPools?: { vg: string; pool: string; totalBytes: number; freeBytes: number }[] } | null;
      print(json, n, () => [
        renderTable(['Node', 'State', 'Storage providers', 'Resource layers'], [[n.name, n.connection_status, n.storage_providers.join(', '), n.resource_layers.join(', ')]]),
        renderTable(['Thin pool', 'Total', 'Free'], (inv?.thinPools ?? []).map((p) => [`${p.vg}/${p.pool}`, formatSize(p.totalBytes), formatSize(p.freeBytes)])),
      ].join('\n'));
    });

  node.command('create').alias('c').description('add a node to the cluster; it is Online once its agent reports')
    .argument('<node>', 'node name').argument('<address>', 'IP address of the node')
    .option('--port <port>', 'satellite port (recorded for LINSTOR compatibility)', '3366')
    .action(async (name: string, address: string, o: { port: string }, cmd: Command) => {
      const { client, json } = clientFrom(cmd);
      const op = await client.nodes.create({ name: check(nodeNameSchema, name), address: check(nodeAddressSchema, address), port: Number(o.port) });
      const res = await op.result();
      print(json, { ...res, workflow_id: op.workflowId }, () => `SUCCESS: New node '${name}' registered (operation ${op.workflowId}).`);
    });

  node.command('delete').alias('d').description('remove a node from the catalog')
    .argument('<node>', 'node name')
    .action(async (name: string, _o, cmd: Command) => {
      const { client, json } = clientFrom(cmd);
      const op = await client.nodes.delete(check(nodeNameSchema, name));
      const res = await op.result();
      print(json, { ...res, workflow_id: op.workflowId }, () => `SUCCESS: Node '${name}' deleted.`);
    });

  registerResourceCommands(program, { clientFrom, print, check });
  registerSnapshotCommands(program, { clientFrom, print, check });
  registerOperationCommands(program, { clientFrom, print, check });
  registerErrorReportCommands(program, { clientFrom, print, check });
  registerTokenCommands(program, { check });
  registerBackupCommands(program, { clientFrom, print, check });
  registerScheduleCommands(program, { clientFrom, print, check });
  registerResourceGroupCommands(program, { clientFrom, print, check });
  registerDoctorCommand(program, { clientFrom, print, check });

  program.command('controller').description('run the controller: REST API and controller worker').action(async () => {
    const { runController } = await import('../../worker/controller.js');
    await runController();
  });

  program.command('agent').description('run the node agent of one storage host')
    .requiredOption('--node <name>', 'the node this agent runs on')
    .action(async (o: { node: string }) => {
      const { runAgent } = await import('../../worker/agent.js');
      await runAgent(check(nodeNameSchema, o.node));
    });

  registerEvacuationCommands(program, { clientFrom, print, check });

  return program;
}

export async function main(argv: string[]): Promise<number> {
  try {
    await buildCli().parseAsync(argv, { from: 'user' });
    return EXIT.ok;
  } catch (e) {
    if (e instanceof CommanderError) {
      // a command group without its subcommand (`ferry rd`): commander printed the usage, say why it failed
      if (e.exitCode !== 0 && e.code === 'commander.help') process.stderr.write('ERROR: a subcommand is missing; see the usage above\n');
      return e.exitCode === 0 ? EXIT.ok : EXIT.usage;
    }
    // the report is printed already: only the exit code says there was drift
    if (e instanceof DriftFound) return e.exitCode;
    if (e instanceof UsageError || e instanceof UsageErrorLike) {
      process.stderr.write(`ERROR: ${e.message}\n`);
      return EXIT.usage;
    }
    if (e instanceof FerryApiError) {
      process.stderr.write(`ERROR: ${e.message}\n`);
      return exitCodeForStatus(e.status);
    }
    if (e instanceof FerryUnreachableError) {
      process.stderr.write(`ERROR: ${e.message}\n`);
      return EXIT.unreachable;
    }
    process.stderr.write(`ERROR: ${(e as Error).message}\n`);
    return EXIT.failed;
  }
}
