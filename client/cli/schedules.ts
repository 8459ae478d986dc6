// `ferry schedule ...` (create NAME 'FULL_CRON' / modify / list / delete / list-by-resource) and `ferry backup
// schedule enable|disable|delete [--rg RG | --rd RD] REMOTE SCHEDULE`: LINSTOR's scheduled backup
// shipping verbs. Input is checked with core/schedules' schemas before any request.
import type { Command } from 'commander';
import { scheduleCreateSchema, scheduleEnablementSchema, scheduleModifySchema } from '../../core/schedules.js';
import { renderTable } from './table.js';
import { UsageErrorLike, type CliKit } from './resources.js';
import { fullCronOf, keepOf, type ArgResult } from './guide-args.js';

interface ScheduleOpts {
  fullCron?: string;
  incrementalCron?: string;
  keepLocal?: string;
  keepRemote?: string;
  keepWithin?: string;
  onFailure?: string;
  maxRetries?: string;
}

const num = (v: string | undefined) => (v === undefined ? undefined : /^-?\d+$/.test(v.trim()) ? Number(v) : v);

/** The request fields of the options; the full cron comes from the positional or --full-cron (one of them). */
function scheduleFields(o: ScheduleOpts, fullCron: string | undefined, modify = false) {
  const arg = <T>(r: ArgResult<T>): T => {
    if (!r.ok) throw new UsageErrorLike(r.message);
    return r.value;
  };
  const keep = (v: string | undefined, option: string) => {
    const k = arg(keepOf(v, option));
    // 'all' is the default: a reset on modify, nothing to send on create
    return k === null ? (modify ? null : undefined) : num(k);
  };
  const f = {
    fullCron, incrCron: o.incrementalCron, keepLocal: keep(o.keepLocal, '--keep-local'), keepRemote: keep(o.keepRemote, '--keep-remote'), keepWithin: o.keepWithin,
    onFailure: o.onFailure?.toUpperCase(), maxRetries: o.maxRetries?.trim().toLowerCase() === 'forever' ? arg(keepOf(o.maxRetries, '--max-retries')) : num(o.maxRetries),
  };
  return Object.fromEntries(Object.entries(f).filter(([, v]) => v !== undefined));
}

function cronOf(positional: string | undefined, o: ScheduleOpts, required: boolean): string | undefined {
  const r = fullCronOf(positional, o.fullCron, required);
  if (!r.ok) throw new UsageErrorLike(r.message);
  return r.value;
}

function withScheduleOptions(c: Command): Command {
  return c
    .option('--full-cron <cron>', 'the FULL_CRON argument as an option (ferry\'s first form)')
    .option('--incremental-cron <cron>', 'when to make an incremental backup (5-field cron, UTC); full wins when both fire the same minute')
    .option('--keep-local <n>', 'local snapshots of full backups to keep')
    .option('--keep-remote <n>', 'full backups (each with its incrementals) to keep in the remote')
    .option('--keep-within <age>', 'keep every chain with a backup newer than this (30d, 12h, 2w, 90m)')
    .option('--on-failure <what>', 'SKIP (wait for the next run) or RETRY (again after 60 s)')
    .option('--max-retries <n>', 'retries with --on-failure RETRY (default 3)');
}

export function registerScheduleCommands(program: Command, kit: CliKit): void {
  const { clientFrom, print, check } = kit;
  const schedule = program.command('schedule').alias('sched').description('backup schedules (cron, retention, on-failure)');

  withScheduleOptions(schedule.command('create').alias('c').description("create a backup schedule: create [options] NAME 'FULL_CRON'")
    .argument('<name>', 'schedule name').argument('[full-cron]', 'when to make a full backup (5-field cron, UTC, in quotes)'))
    .action(async (name: string, cron: string | undefined, o: ScheduleOpts, cmd: Command) => {
      const s = check(scheduleCreateSchema, { name, ...scheduleFields(o, cronOf(cron, o, true)) });
      const { client, json } = clientFrom(cmd);
      const op = await client.schedules.create(s);
      await op.result();
      print(json, { schedule: s.name, workflow_id: op.workflowId }, () => `SUCCESS: Schedule '${s.name}' created (full: ${s.fullCron}${s.incrCron ? `, incremental: ${s.incrCron}` : ''}).`);
    });

  withScheduleOptions(schedule.command('modify').alias('m').description("change a backup schedule: modify [options] NAME ['FULL_CRON']; what is not given stays (--keep-local/--keep-remote all: back to keeping all)")
    .argument('<name>', 'schedule name').argument('[full-cron]', 'a new full backup cron'))
    .option('--no-incremental', 'remove the incremental cron')
    .action(async (name: string, cron: string | undefined, o: ScheduleOpts & { incremental?: boolean }, cmd: Command) => {
      const s = check(scheduleModifySchema, { name, ...scheduleFields(o, cronOf(cron, o, false), true), ...(o.incremental === false ? { incrCron: null } : {}) });
      const { client, json } = clientFrom(cmd);
      const op = await client.schedules.modify(s);
      await op.result();
      print(json, { schedule: s.name, workflow_id: op.workflowId }, () => `SUCCESS: Schedule '${s.name}' modified.`);
    });

  schedule.command('list').alias('l').description('list backup schedules').action(async (_o, cmd: Command) => {
    const { client, json } = clientFrom(cmd);
    const { data } = await client.schedules.list();
    print(json, data, () => renderTable(['Name', 'Full', 'Incremental', 'KeepLocal', 'KeepRemote', 'KeepWithin', 'OnFailure', 'Next run (UTC)'],
      data.map((s) => [s.schedule_name, s.full_cron, s.inc_cron ?? '', String(s.keep_local ?? ''), String(s.keep_remote ?? ''), s.keep_within ?? '',
        s.on_failure === 'RETRY' ? `RETRY (${s.max_retries})` : 'SKIP', s.next_run ?? ''])));
  });

  schedule.command('delete').alias('d').description('delete a backup schedule (its Temporal Schedules go too)').argument('<name>')
    .action(async (name: string, _o, cmd: Command) => {
      const s = check(scheduleModifySchema, { name });
      const { client, json } = clientFrom(cmd);
      const op = await client.schedules.delete(s.name);
      await op.result();
      print(json, { schedule: s.name, workflow_id: op.workflowId }, () => `SUCCESS: Schedule '${s.name}' deleted.`);
    });

  schedule.command('list-by-resource').alias('lbr').description('per resource: which schedule applies, from which level, last/next run and last result')
    .action(async (_o, cmd: Command) => {
      const { client, json } = clientFrom(cmd);
      const { data } = await client.schedules.listByResource();
      print(json, data, () => renderTable(['Resource', 'Remote', 'Schedule', 'Reason', 'Last run', 'Last result', 'Next run'],
        data.map((r) => [r.rsc_name, r.remote_name ?? '', r.schedule_name ?? '', r.reason, r.last_run ?? '', r.last_result ?? '', r.paused ? 'paused' : r.next_run ?? ''])));
    });

  // ---- backup schedule enable|disable|delete ------------------------------------------------------
  const backup = program.commands.find((c) => c.name() === 'backup') ?? program.command('backup').description('backups to S3 remotes');
  const bs = backup.command('schedule').description('enable or disable a schedule for a remote at controller, resource-group (--rg) or resource-definition (--rd) level');
  const verb = (name: 'enable' | 'disable' | 'delete', enabled: boolean | null, what: string) =>
    bs.command(name).description(what).argument('<remote>').argument('<schedule>')
      .option('--rg <rg>', 'for the resource definitions of this resource group').option('--rd <rd>', 'for this resource definition')
      .action(async (remote: string, sched: string, o: { rg?: string; rd?: string }, cmd: Command) => {
        const e = check(scheduleEnablementSchema, { remote, schedule: sched, ...(o.rg ? { rg: o.rg } : {}), ...(o.rd ? { rd: o.rd } : {}) });
        const { client, json } = clientFrom(cmd);
        const op = await client.schedules.setEnabled({ ...e, enabled });
        await op.result();
        const level = e.rd ? `resource definition ${e.rd}` : e.rg ? `resource group ${e.rg}` : 'controller';
        print(json, { remote: e.remote, schedule: e.schedule, enabled, workflow_id: op.workflowId }, () =>
          `SUCCESS: schedule '${e.schedule}' to remote '${e.remote}' ${enabled === null ? 'setting removed' : enabled ? 'enabled' : 'disabled'} at ${level} level.`);
      });
  verb('enable', true, 'enable the schedule for the remote (rd > rg > controller)');
  verb('disable', false, 'disable it (at rd level: only that resource, even if enabled above)');
  verb('delete', null, 'remove the setting of that level, so the level above applies again');
}
