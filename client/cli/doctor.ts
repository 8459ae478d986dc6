// `ferry doctor [--repair [--dry-run]] [--grace D]`: is the catalog what the hosts and the buckets
// have? A table of drift (kind, object, node or remote, the safe fix), exit code 4 when there is
// any. `--repair --dry-run` prints what the repair would do; `--repair` does it (a workflow).
import type { Command } from 'commander';
import { parseGrace, type DoctorReport, type DriftItem } from '../../core/doctor.js';
import type { CliKit } from './resources.js';
import { UsageErrorLike } from './resources.js';
import { renderTable } from './table.js';

/** The exit code of `ferry doctor` when it found drift (the output is the report, not an error). */
export const DRIFT_EXIT_CODE = 4;

export class DriftFound extends Error {
  readonly exitCode = DRIFT_EXIT_CODE;
}

function driftTable(items: DriftItem[]): string {
  return renderTable(['Kind', 'Object', 'Where', 'Detail', 'Safe fix', 'Repair'],
    items.map((d) => [d.kind, d.object, d.node ?? d.remote ?? '', d.detail, d.fix, d.inFlight ? 'in flight' : d.repair ? 'yes' : 'by hand']));
}

function reportText(r: DoctorReport): string {
  const lines: string[] = [];
  const notInspected = [...r.nodes.filter((n) => !n.inspected).map((n) => `node ${n.node} (${n.reason ?? '?'})`), ...r.remotes.filter((x) => !x.inspected).map((x) => `remote ${x.remote} (${x.reason ?? '?'})`)];
  lines.push(`Inspected: ${r.nodes.filter((n) => n.inspected).length} of ${r.nodes.length} node(s), ${r.remotes.filter((x) => x.inspected).length} of ${r.remotes.length} remote(s)`);
  if (notInspected.length) lines.push(`Not inspected: ${notInspected.join('; ')}`);
  if (r.drift.length) lines.push(driftTable(r.drift));
  else lines.push('No drift: the catalog matches the hosts and buckets inspected.');
  if (r.inFlight.length) lines.push(`In flight (a running operation holds them; not drift yet):`, driftTable(r.inFlight));
  return lines.join('\n');
}

export function registerDoctorCommand(program: Command, kit: CliKit): void {
  const { clientFrom, print } = kit;
  program.command('doctor').description('compare the catalog with every node\'s host state and every remote\'s bucket; --repair fixes what is safe')
    .option('--repair', 'fix the safe items (orphan LVs, DRBD resources and .res files, stale uploads, uncommitted backups)')
    .option('--dry-run', 'with --repair: print the plan, change nothing')
    .option('--grace <duration>', 'uncommitted backups and uploads younger than this count as running (default 1h)')
    .action(async (o: { repair?: boolean; dryRun?: boolean; grace?: string }, cmd: Command) => {
      if (o.dryRun && !o.repair) throw new UsageErrorLike('--dry-run goes with --repair (ferry doctor --repair --dry-run)');
      if (o.grace !== undefined && parseGrace(o.grace) === null) throw new UsageErrorLike(`--grace '${o.grace}' must be a duration like 0s, 30m, 2h, 1d`);
      const { client, json } = clientFrom(cmd);
      const grace = o.grace !== undefined ? { grace: o.grace } : {};
      if (!o.repair) {
        const r = await client.doctor.check(grace);
        print(json, r, () => reportText(r));
        if (r.drift.length) throw new DriftFound(`${r.drift.length} drift item(s)`);
        return;
      }
      if (o.dryRun) {
        const r = await client.doctor.plan(grace);
        print(json, r, () => [reportText(r.report), r.plan.length ? `Repair plan (dry run, nothing changed):\n${r.plan.map((l) => `  ${l}`).join('\n')}` : 'Nothing to repair.'].join('\n'));
        return;
      }
      const op = await client.doctor.repair(grace);
      const r = await op.result();
      print(json, { ...r, workflow_id: op.workflowId }, () => [
        reportText(r.report),
        r.done.length ? `Repaired:\n${r.done.map((l) => `  ${l}`).join('\n')}` : 'Nothing repaired.',
        ...(r.skipped.length ? [`Skipped (the catalog references it now):\n${r.skipped.map((l) => `  ${l}`).join('\n')}`] : []),
        ...(r.failed.length ? [`FAILED:\n${r.failed.map((f) => `  ${f.action}: ${f.error}`).join('\n')}`] : []),
        `(operation ${op.workflowId})`,
      ].join('\n'));
      if (r.failed.length) throw new Error(`${r.failed.length} repair action(s) failed`);
    });
}
