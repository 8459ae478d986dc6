// The operator's story of scheduled backup shipping: a bad cron and an unknown remote are refused
// with nothing created; a schedule enabled at controller level becomes one Temporal Schedule whose
// next action is the schedule's next cron firing; a triggered run backs up every resource (full,
// then incremental), keep-remote=1 after a new full leaves only the newest chain in the bucket; a
// schedule disabled for one resource definition stops that resource only; deleting the schedule
// removes its Temporal Schedule.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Client, Connection, ScheduleNotFoundError } from '@temporalio/client';
import { startTestCluster, type TestCluster } from '../harness/cluster.js';
import { triggerSchedule } from '../harness/checks.js';
import { createTestBucket, s3ConfigFromEnv, s3FromEnv } from './backup-s3-env.js';
import { ferryDataConverter } from '../../worker/payload-codec.js';
import { nextCronTime, parseCron } from '../../core/cron.js';
import type { ScheduledRunReport } from '../../workflows/schedules.js';

const PASSPHRASE = 'schedules-test master passphrase';
const SCHEDULE_ID = 'backup-schedule/bk/nightly';
const s3cfg = s3ConfigFromEnv();
const s3 = s3FromEnv();
let cluster: TestCluster;
let conn: Connection;
let temporal: Client;
const triggerRun = () => triggerSchedule<ScheduledRunReport>(cluster, temporal, SCHEDULE_ID);
let bucket: string;

async function ok(args: string[]) {
  const r = await cluster.ferry(args);
  expect({ args: args.join(' '), code: r.exitCode, err: r.stderr }).toEqual({ args: args.join(' '), code: 0, err: '' });
  return r;
}

interface BackupEntry { id: string; origin_rsc: string; based_on_id?: string }
async function backups(rsc?: string): Promise<BackupEntry[]> {
  const r = await ok(['backup', 'list', 'bk', '-m', ...(rsc ? ['-r', rsc] : [])]);
  return (JSON.parse(String(r.stdout)) as { linstor: BackupEntry[] }).linstor;
}

async function ourSchedules(): Promise<string[]> {
  const ids: string[] = [];
  for await (const s of temporal.schedule.list()) if (s.scheduleId.startsWith('backup-schedule/')) ids.push(s.scheduleId);
  return ids;
}

beforeAll(async () => {
  cluster = await startTestCluster({ nodes: ['node1', 'node2'], env: { FERRY_MASTER_PASSPHRASE: PASSPHRASE } });
  conn = await Connection.connect({ address: cluster.env.temporalAddress });
  temporal = new Client({ connection: conn, namespace: cluster.env.namespace, dataConverter: ferryDataConverter(PASSPHRASE) ?? {} });
  bucket = await createTestBucket(s3, 'schedules');
  await cluster.eventually('all nodes are ONLINE', async () => (await cluster.client.nodes.list()).every((n) => n.connection_status === 'ONLINE'), 60_000);
  for (const n of ['node1', 'node2']) await ok(['sp', 'c', 'lvmthin', n, 'pool1', 'vg/thinpool']);
  await ok(['remote', 'create', 's3', 'bk', s3cfg.endpoint, bucket, 'us-east-1', s3cfg.accessKey, s3cfg.secretKey, '--use-path-style']);
  for (const rsc of ['sc0', 'sc1']) {
    await ok(['rd', 'c', rsc]);
    await ok(['vd', 'c', rsc, '16M']);
    await ok(['r', 'c', rsc, '--auto-place', '1']);
  }
}, 180_000);

afterAll(async () => {
  await conn?.close();
  await cluster?.stop();
});

describe('scheduled backups', () => {
  it('refuse a bad cron (naming the field) and an unknown remote, creating nothing', async () => {
    const bad = await cluster.ferry(['schedule', 'create', 'broken', '--full-cron', '0 25 * * *']);
    expect(bad.exitCode).toBe(2);
    expect(bad.stderr).toMatch(/invalid full cron expression '0 25 \* \* \*': hour: 25 is out of range 0-23/);
    const four = await cluster.ferry(['schedule', 'create', 'broken', '--full-cron', '0 3 * *']);
    expect(four.stderr).toMatch(/needs 5: minute hour day-of-month month day-of-week/);
    expect(JSON.parse(String((await ok(['schedule', 'list', '-m'])).stdout))).toEqual([]);

    // full weekly, incremental daily, one chain kept in the bucket
    await ok(['schedule', 'create', 'nightly', '--full-cron', '0 3 * * 0', '--incremental-cron', '0 3 * * *', '--keep-remote', '1', '--on-failure', 'RETRY', '--max-retries', '1']);
    const unknown = await cluster.ferry(['backup', 'schedule', 'enable', 'nosuch', 'nightly']);
    expect(unknown.exitCode).toBe(3);
    expect(unknown.stderr).toMatch(/remote 'nosuch' not found/);
    expect(await ourSchedules()).toEqual([]);
    const listed = JSON.parse(String((await ok(['schedule', 'list', '-m'])).stdout)) as { schedule_name: string; keep_remote: number; on_failure: string }[];
    expect(listed).toMatchObject([{ schedule_name: 'nightly', keep_remote: 1, on_failure: 'RETRY' }]);
  }, 60_000);

  it('enabled at controller level, is one Temporal Schedule whose next action is the next cron firing', async () => {
    await ok(['backup', 'schedule', 'enable', 'bk', 'nightly']);
    await cluster.eventually('the Schedule is listed', async () => (await ourSchedules()).includes(SCHEDULE_ID), 30_000);
    const d = await temporal.schedule.getHandle(SCHEDULE_ID).describe();
    expect(d.action).toMatchObject({ type: 'startWorkflow', workflowType: 'scheduledBackupRun' });
    expect(d.policies.overlap).toBe('BUFFER_ONE');
    expect(d.state.paused).toBe(false);
    const expected = Math.min(nextCronTime(parseCron('0 3 * * 0'), Date.now())!, nextCronTime(parseCron('0 3 * * *'), Date.now())!);
    expect(d.info.nextActionTimes[0]!.getTime()).toBe(expected);
    // enabling again changes nothing
    await ok(['backup', 'schedule', 'enable', 'bk', 'nightly']);
    expect(await ourSchedules()).toEqual([SCHEDULE_ID]);
  }, 60_000);

  let firstFull: Record<string, string> = {};
  it('a triggered run backs up every resource it applies to; the next run is incremental', async () => {
    const run1 = await triggerRun();
    expect(run1.resources.map((r) => [r.resource, r.result, r.kind, r.from])).toEqual([['sc0', 'ok', 'full', 'controller'], ['sc1', 'ok', 'full', 'controller']]);
    firstFull = Object.fromEntries(run1.resources.map((r) => [r.resource, r.backupId!]));
    // the run's backups are workflows of their own, with the Web UI's summary like any other operation
    for await (const wf of temporal.workflow.list({ query: 'FerryOperation = "backup-create" AND FerryResource = "sc0"' })) {
      const d = await temporal.workflow.getHandle(wf.workflowId).describe();
      expect(await d.staticSummary()).toContain('sc0');
      expect(await d.staticDetails()).toContain(`ferry operation watch ${wf.workflowId}`);
    }
    expect((await backups()).map((b) => b.id).sort()).toEqual(Object.values(firstFull).sort());

    const run2 = await triggerRun();
    expect(run2.resources.map((r) => [r.resource, r.result, r.kind])).toEqual([['sc0', 'ok', 'incremental'], ['sc1', 'ok', 'incremental']]);
    const sc0 = await backups('sc0');
    expect(sc0).toHaveLength(2);
    expect(sc0.find((b) => b.id === run2.resources[0]!.backupId)?.based_on_id).toBe(firstFull.sc0);
    const lbr = JSON.parse(String((await ok(['schedule', 'list-by-resource', '-m'])).stdout)) as { rsc_name: string; level: string; last_result: string; last_backup: string; next_run: string }[];
    expect(lbr.find((r) => r.rsc_name === 'sc0')).toMatchObject({ level: 'controller', last_result: 'ok', last_backup: run2.resources[0]!.backupId });
    expect(Date.parse(lbr[0]!.next_run)).toBeGreaterThan(Date.now());
  }, 120_000);

  it('keep-remote=1: after a new full, only the newest chain is left in the bucket', async () => {
    // the full cron now fires this minute and the next (full wins over incremental); the Schedule follows
    const now = new Date();
    const m = now.getUTCMinutes();
    const h = now.getUTCHours();
    const cron = `${m},${(m + 1) % 60} ${h},${(h + 1) % 24} * * *`;
    await ok(['schedule', 'modify', 'nightly', '--full-cron', cron]);
    const d = await temporal.schedule.getHandle(SCHEDULE_ID).describe();
    expect(d.info.nextActionTimes[0]!.getTime()).toBeLessThanOrEqual(nextCronTime(parseCron(cron), Date.now())!);
    const run3 = await triggerRun();
    expect(run3.resources.map((r) => [r.resource, r.result, r.kind])).toEqual([['sc0', 'ok', 'full'], ['sc1', 'ok', 'full']]);
    const retention = run3.retention as { deleted: { fullId: string; ids: string[]; reason: string }[] };
    expect(retention.deleted.map((x) => x.fullId).sort()).toEqual(Object.values(firstFull).sort());
    expect(retention.deleted[0]!.ids).toHaveLength(2);
    expect(retention.deleted[0]!.reason).toMatch(/keep-remote=1/);
    await ok(['schedule', 'modify', 'nightly', '--full-cron', '0 3 * * 0']);
    // the cron above may have fired meanwhile (a run going, or buffered behind run3): let every run
    // of the Schedule end before counting backups (quiet on two looks 2 s apart)
    let quiet = 0;
    await cluster.eventually('no run of the Schedule is in flight', async () => {
      const d2 = await temporal.schedule.getHandle(SCHEDULE_ID).describe();
      let running = d2.info.runningActions.length;
      for await (const _ of temporal.workflow.list({ query: `WorkflowType = 'scheduledBackupRun' AND ExecutionStatus = 'Running'` })) running++;
      quiet = running === 0 ? quiet + 1 : 0;
      if (quiet < 2) await new Promise((r) => setTimeout(r, 2000));
      return quiet >= 2;
    }, 150_000);
    // counted once no run is in flight: a run the cron fired next to run3 makes a full of its own,
    // and its retention, not run3's, is the last word on what is left
    for (const rsc of ['sc0', 'sc1']) {
      const left = await backups(rsc);
      // every backup left belongs to one chain, the newest full's
      const fulls = left.filter((b) => !b.based_on_id);
      expect(fulls).toHaveLength(1);
      expect(left.every((b) => !b.based_on_id || b.based_on_id === fulls[0]!.id)).toBe(true);
    }
  }, 300_000);

  it('disabled at rd level, stops that resource only', async () => {
    await ok(['backup', 'schedule', 'disable', '--rd', 'sc1', 'bk', 'nightly']);
    const lbr = JSON.parse(String((await ok(['schedule', 'list-by-resource', '-m'])).stdout)) as { rsc_name: string; enabled: boolean; reason: string }[];
    expect(lbr.find((r) => r.rsc_name === 'sc1')).toMatchObject({ enabled: false, reason: 'disabled at resource definition sc1 level' });
    const before = (await backups('sc1')).length;
    const run = await triggerRun();
    expect(run.resources.map((r) => r.resource)).toEqual(['sc0']);
    expect((await backups('sc1')).length).toBe(before);
    // the rd setting removed, the controller level applies again
    await ok(['backup', 'schedule', 'delete', '--rd', 'sc1', 'bk', 'nightly']);
    const again = JSON.parse(String((await ok(['schedule', 'list-by-resource', '-m'])).stdout)) as { rsc_name: string; enabled: boolean; level: string }[];
    expect(again.find((r) => r.rsc_name === 'sc1')).toMatchObject({ enabled: true, level: 'controller' });
  }, 120_000);

  it('deleted, takes its Temporal Schedule with it', async () => {
    await ok(['schedule', 'delete', 'nightly']);
    await expect(temporal.schedule.getHandle(SCHEDULE_ID).describe()).rejects.toBeInstanceOf(ScheduleNotFoundError);
    expect(JSON.parse(String((await ok(['schedule', 'list', '-m'])).stdout))).toEqual([]);
  }, 60_000);
});
