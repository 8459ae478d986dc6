// `ferry error-reports list|show|delete` (alias `err`), as LINSTOR's: why did an operation fail?
// The node, the operation, the failing host command line, its exit code and stderr tail.
import type { Command } from 'commander';
import type { CliKit } from './resources.js';
import { UsageErrorLike } from './resources.js';
import { nodeNameSchema } from '../../core/validation.js';
import { renderTable } from './table.js';

const time = (ms: number) => new Date(ms).toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z');
const firstLine = (s: string, max = 70) => {
  const l = s.split('\n')[0] ?? '';
  return l.length > max ? `${l.slice(0, max - 1)}…` : l;
};

export function registerErrorReportCommands(program: Command, kit: CliKit): void {
  const { clientFrom, print, check } = kit;
  const err = program.command('error-reports').alias('err').description('error reports: one per distinct failure of an operation');

  err.command('list').alias('l').description('list error reports, newest first')
    .option('-n, --nodes <node>', 'only reports of this node')
    .option('--since <duration>', 'only reports of the last DURATION (e.g. 30m, 2h, 1d)')
    .option('--limit <n>', 'at most this many', '100')
    .action(async (o: { nodes?: string; since?: string; limit: string }, cmd: Command) => {
      const node = o.nodes ? check(nodeNameSchema, o.nodes) : undefined;
      let since: number | undefined;
      if (o.since) {
        const m = /^(\d+)([smhd])$/.exec(o.since);
        if (!m) throw new UsageErrorLike(`--since '${o.since}' must be a duration like 30m, 2h, 1d`);
        since = Date.now() - Number(m[1]) * { s: 1e3, m: 60e3, h: 3600e3, d: 86400e3 }[m[2] as 's' | 'm' | 'h' | 'd'];
      }
      const limit = Number(o.limit);
      if (!Number.isInteger(limit) || limit < 1 || limit > 1000) throw new UsageErrorLike(`--limit '${o.limit}' must be a number 1..1000`);
      const { client, json } = clientFrom(cmd);
      const reports = await client.errorReports.list({ node, since, limit });
      print(json, reports, () => renderTable(['Id', 'Datetime', 'Node', 'Operation', 'Count', 'Exception'],
        reports.map((r) => [r.id, time(r.lastAt), r.node ?? 'controller', r.workflowId, String(r.count), firstLine(`${r.errorType}: ${r.message}`)])));
    });

  err.command('show').alias('s').description('the whole report: command line, exit code, stderr')
    .argument('<id>', 'report id (ER-...)')
    .action(async (id: string, _o, cmd: Command) => {
      if (!/^ER-[0-9A-F]{8}-[0-9A-F]{8}$/i.test(id)) throw new UsageErrorLike(`error report id '${id}' is not a report id (ER-XXXXXXXX-XXXXXXXX)`);
      const { client, json } = clientFrom(cmd);
      const r = await client.errorReports.get(id.toUpperCase());
      print(json, r, () => [
        `ERROR REPORT ${r.id}`,
        '',
        `Node:          ${r.node ?? '(controller)'}`,
        `Operation:     ${r.workflowId}${r.workflowType ? ` (${r.workflowType})` : ''}`,
        `Run:           ${r.runId ?? ''}`,
        `Failed in:     ${r.source === 'activity' ? `activity ${r.activityType ?? ''}, attempt ${r.attempt ?? '?'}` : `workflow${r.activityType ? ` (activity ${r.activityType})` : ''}`}`,
        `First seen:    ${time(r.firstAt)}`,
        `Last seen:     ${time(r.lastAt)}  (${r.count} time${r.count === 1 ? '' : 's'})`,
        `Error:         ${r.errorType}`,
        `Message:       ${r.message}`,
        ...(r.commandLine ? [`Command:       ${r.commandLine}`, `Exit code:     ${r.exitCode ?? '(none)'}`] : []),
        ...(r.stderrTail ? ['', 'Stderr (tail):', ...r.stderrTail.replace(/\n$/, '').split('\n').map((l) => `  ${l}`)] : []),
        '',
        `Follow the operation: ferry operation show ${r.workflowId}; in the Web UI: WorkflowId="${r.workflowId}"`,
        ...(r.workflowUrl ? [`Web UI:        ${r.workflowUrl}`] : []),
      ].join('\n'));
    });

  err.command('delete').alias('d').description('delete an error report').argument('<id>', 'report id')
    .action(async (id: string, _o, cmd: Command) => {
      const { client, json } = clientFrom(cmd);
      const rcs = await client.errorReports.delete(id);
      print(json, rcs, () => `SUCCESS: ${rcs[0]?.message ?? 'deleted'}`);
    });
}
