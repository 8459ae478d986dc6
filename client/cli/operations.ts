// `ferry operation list|show|watch|cancel` (alias `op`): the operations (Temporal workflows) ferry
// ran, over Temporal visibility and ferry's search attributes (FerryNode, FerryResource, FerryOperation).
import type { Command } from 'commander';
import { operationListSchema } from '../../core/operation-query.js';
import { asOperationProgress, formatProgressLine } from '../../core/progress.js';
import type { CliKit } from './resources.js';
import { UsageErrorLike } from './resources.js';
import { followOperation } from './progress.js';
import { renderTable } from './table.js';

const time = (iso: string | null | undefined) => (iso ? iso.replace('T', ' ').replace(/\.\d+Z$/, 'Z') : '');

export function registerOperationCommands(program: Command, kit: CliKit): void {
  const { clientFrom, print, check } = kit;
  const op = program.command('operation').alias('op').description('operations (durable workflows): list, show, watch, cancel');

  op.command('list').alias('l').description('list operations, newest first')
    .option('-n, --node <node>', 'only operations on this node (FerryNode)')
    .option('-r, --resource <rsc>', 'only operations on this resource (FerryResource)')
    .option('-o, --operation <kind>', 'only this kind, e.g. resource-create (FerryOperation)')
    .option('--running', 'only running operations').option('--failed', 'only failed operations')
    .option('--limit <n>', 'at most this many', '50')
    .action(async (o: { node?: string; resource?: string; operation?: string; running?: boolean; failed?: boolean; limit: string }, cmd: Command) => {
      const f = check(operationListSchema, { ...o, running: Boolean(o.running), failed: Boolean(o.failed) });
      const { client, json } = clientFrom(cmd);
      const ops = await client.operations.list(f);
      print(json, ops, () => renderTable(['Operation', 'Type', 'Status', 'Nodes', 'Resources', 'Started', 'Closed'],
        ops.map((x) => [x.workflow_id, x.type, x.status, x.nodes.join(','), x.resources.join(','), time(x.start_time), time(x.close_time)])));
    });

  const idArg = (id: string) => {
    if (!/^[A-Za-z0-9][A-Za-z0-9_./:=@+-]{0,255}$/.test(id)) throw new UsageErrorLike(`operation id '${id}' is not an operation id (e.g. resource-create/db0)`);
    return id;
  };

  op.command('show').alias('s').description('one operation: status, progress, why it is blocked, its error reports')
    .argument('<id>', 'operation (workflow) id, e.g. resource-create/db0')
    .action(async (id: string, _o, cmd: Command) => {
      const { client, json } = clientFrom(cmd);
      const info = await client.operations.get(idArg(id));
      const p = asOperationProgress(info.progress);
      const reports = (await client.errorReports.list({ limit: 1000 })).filter((r) => r.workflowId === info.workflow_id);
      print(json, { ...info, error_reports: reports }, () => [
        renderTable(['Operation', 'Type', 'Status', 'Started', 'Closed'], [[info.workflow_id, info.type, info.status, time(info.start_time), time(info.close_time)]]),
        ...(info.nodes?.length || info.resources?.length ? [`Nodes: ${(info.nodes ?? []).join(', ') || '-'}    Resources: ${(info.resources ?? []).join(', ') || '-'}`] : []),
        ...(p ? [`Progress: ${formatProgressLine(p)}`] : []),
        ...(reports.length ? [`Error reports: ${reports.map((r) => `${r.id} (${r.node ?? 'controller'}: ${r.message.split('\n')[0]})`).join('; ')}`] : []),
      ].join('\n'));
    });

  op.command('watch').alias('w').description('follow an operation\'s progress until it has finished')
    .argument('<id>', 'operation (workflow) id')
    .action(async (id: string, _o, cmd: Command) => {
      const { client, json } = clientFrom(cmd);
      const info = await followOperation(client, idArg(id), { out: json ? process.stderr : process.stdout });
      if (info.status === 'COMPLETED') {
        const result = await client.operation(info.workflow_id).result();
        print(json, { ...info, result }, () => `SUCCESS: operation ${info.workflow_id} completed.`);
        return;
      }
      if (info.status === 'FAILED') await client.operation(info.workflow_id).result(); // throws the failure
      print(json, info, () => `operation ${info.workflow_id} ended ${info.status}.`);
      process.exitCode = 1;
    });

  op.command('cancel').description('request cancellation of a running operation')
    .argument('<id>', 'operation (workflow) id')
    .action(async (id: string, _o, cmd: Command) => {
      const { client, json } = clientFrom(cmd);
      const rcs = await client.operations.cancel(idArg(id));
      print(json, rcs, () => `SUCCESS: ${rcs[0]?.message ?? `cancellation of ${id} requested`}`);
    });
}
