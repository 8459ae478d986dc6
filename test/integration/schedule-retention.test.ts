// The operator's story of a schedule's local snapshots and of its failures. keep-local=1: after a
// full, an incremental and a new full, `ferry snapshot list` shows only the newest full backup's
// snapshot and the older snapshot LVs are really gone from the host; the retention report says
// what it deleted and why. on-failure RETRY: with the remote's S3 unreachable (a cuttable TCP proxy
// in front of the shared S3 server, which other test files use and which must keep running), the
// backup fails, is tried again after the retry delay (controller property
// BackupShipping/ScheduleRetryDelay, shortened here) and succeeds once S3 answers again. SKIP: the
// failure is recorded and nothing is retried until the next firing. The Schedules are paused, as an
// operator would in the Web UI, so that only the test's triggers start runs.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Client, Connection } from '@temporalio/client';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startTestCluster, type TestCluster } from '../harness/cluster.js';
import { createTestBucket, s3ConfigFromEnv, s3FromEnv } from './backup-s3-env.js';
import { ferryDataConverter } from '../../worker/payload-codec.js';
import { parseUpstream, startNetProxy, type NetProxy } from '../../sim/netproxy.js';
import { netCutPath } from '../../sim/drbd/state.js';
import type { ScheduledRunReport, RetentionReport } from '../../workflows/schedules.js';
import { lvNames, triggerSchedule } from '../harness/checks.js';

const PASSPHRASE = 'schedule-retention master passphrase';
const s3cfg = s3ConfigFromEnv();
const s3 = s3FromEnv();
let cluster: TestCluster;
const lvs = (node: string) => lvNames(cluster, node);
let conn: Connection;
let temporal: Client;
const triggerRun = (scheduleId: string, onStarted?: (workflowId: string) => Promise<void>) => triggerSchedule<ScheduledRunReport>(cluster, temporal, scheduleId, onStarted);
let bucket: string;
let proxy: NetProxy;
let proxyDir: string;

async function ok(args: string[]) {
  const r = await cluster.ferry(args);
  expect({ args: args.join(' '), code: r.exitCode, err: r.stderr }).toEqual({ args: args.join(' '), code: 0, err: '' });
  return r;
}

async function snapshotsOf(rsc: string): Promise<string[]> {
  return (await cluster.client.snapshots.list({ resources: [rsc] })).map((s) => s.name).sort();
}

async function backupWorkflows(rsc: string, status?: 'Running' | 'Failed' | 'Completed' | 'Canceled'): Promise<string[]> {
  const ids: string[] = [];
  const q = `FerryResource = "${rsc}" AND FerryOperation = "backup-create"${status ? ` AND ExecutionStatus = "${status}"` : ''}`;
  for await (const wf of temporal.workflow.list({ query: q })) ids.push(wf.workflowId);
  return ids;
}

/** Waits until the resource's running backup has failed to reach S3 and is cleaning up. */
async function waitForFailedShipment(rsc: string): Promise<void> {
  await cluster.eventually(`the backup of ${rsc} failed against the unreachable S3`, async () => {
    for (const id of await backupWorkflows(rsc, 'Running')) {
      const p = await temporal.workflow.getHandle(id).query<{ phase: string }>('progress');
      if (p.phase.startsWith('failed')) return true;
    }
    return (await backupWorkflows(rsc, 'Failed')).length > 0;
  }, 240_000);
}

const cutS3 = () => writeFileSync(netCutPath(proxyDir), '');
const restoreS3 = () => rmSync(netCutPath(proxyDir), { force: true });

beforeAll(async () => {
  cluster = await startTestCluster({ nodes: ['node1'], env: { FERRY_MASTER_PASSPHRASE: PASSPHRASE } });
  conn = await Connection.connect({ address: cluster.env.temporalAddress });
  temporal = new Client({ connection: conn, namespace: cluster.env.namespace, dataConverter: ferryDataConverter(PASSPHRASE) ?? {} });
  bucket = await createTestBucket(s3, 'schedret');
  proxyDir = mkdtempSync(join(cluster.dir, 's3proxy-'));
  proxy = await startNetProxy(proxyDir, parseUpstream(s3cfg.endpoint));
  await cluster.eventually('node1 is ONLINE', async () => (await cluster.client.nodes.list()).every((n) => n.connection_status === 'ONLINE'), 60_000);
  await ok(['sp', 'c', 'lvmthin', 'node1', 'pool1', 'vg/thinpool']);
  await ok(['remote', 'create', 's3', 'bk', s3cfg.endpoint, bucket, 'us-east-1', s3cfg.accessKey, s3cfg.secretKey, '--use-path-style']);
  await ok(['remote', 'create', 's3', 'flaky', `http://${proxy.host}:${proxy.port}`, bucket, 'us-east-1', s3cfg.accessKey, s3cfg.secretKey, '--use-path-style']);
  for (const rsc of ['kl0', 'rt0', 'sk0', 'cx0']) {
    await ok(['rd', 'c', rsc]);
    await ok(['vd', 'c', rsc, '8M']);
    await ok(['r', 'c', rsc, '--auto-place', '1']);
  }
}, 180_000);

afterAll(async () => {
  restoreS3();
  await proxy?.close();
  await conn?.close();
  await cluster?.stop();
});

describe('keep-local', () => {
  const ID = 'backup-schedule/bk/local';
  it('keeps only the newest full backup chain of snapshots locally, deleting the older chain from the catalog and the host', async () => {
    await ok(['schedule', 'create', 'local', '--full-cron', '0 3 * * 0', '--incremental-cron', '0 3 * * *', '--keep-local', '1']);
    await ok(['backup', 'schedule', 'enable', '--rd', 'kl0', 'bk', 'local']);
    await temporal.schedule.getHandle(ID).pause('the test triggers the runs');

    const run1 = await triggerRun(ID);
    const run2 = await triggerRun(ID);
    expect([run1, run2].map((r) => r.resources.map((x) => [x.resource, x.result, x.kind]))).toEqual([[['kl0', 'ok', 'full']], [['kl0', 'ok', 'incremental']]]);
    const snap = (r: ScheduledRunReport) => r.resources[0]!.backupId!.split('^')[1]!;
    const [s1, s2] = [snap(run1), snap(run2)];
    // both kept: one chain (the full and its incremental) is within keep-local=1
    expect(await snapshotsOf('kl0')).toEqual([s1, s2].sort());
    expect(await lvs('node1')).toEqual(expect.arrayContaining([`kl0_00000_${s1}`, `kl0_00000_${s2}`]));
    expect((run2.retention as RetentionReport).localDeleted).toEqual([]);

    // a new full backup: the older chain (full + incremental) goes in this one run
    await ok(['schedule', 'modify', 'local', '--full-cron', '* * * * *']);
    const run3 = await triggerRun(ID);
    expect(run3.resources.map((x) => [x.resource, x.result, x.kind])).toEqual([['kl0', 'ok', 'full']]);
    const s3name = snap(run3);
    const retention = run3.retention as RetentionReport;
    expect(retention.localDeleted).toEqual([{ resource: 'kl0', base: s1, snapshots: [s1, s2], reason: 'beyond the newest 1 full backup snapshot(s) (keep-local=1)' }]);
    expect(retention.localKept).toEqual([expect.objectContaining({ resource: 'kl0', base: s3name, snapshots: [s3name] })]);
    expect(retention.local).toMatch(/deleted 2 local snapshot\(s\) in 1 chain/);
    expect(await snapshotsOf('kl0')).toEqual([s3name]);
    const left = (await lvs('node1')).filter((lv) => lv.startsWith('kl0_'));
    expect(left).toEqual(['kl0_00000', `kl0_00000_${s3name}`]);
    // the backups themselves stay in the bucket (keep-remote is not set)
    const listed = JSON.parse(String((await ok(['backup', 'list', 'bk', '-r', 'kl0', '-m'])).stdout)) as { linstor: { id: string }[] };
    expect(listed.linstor).toHaveLength(3);

    // the next incremental is based on the kept snapshot
    await ok(['schedule', 'modify', 'local', '--full-cron', '0 3 * * 0']);
    const run4 = await triggerRun(ID);
    expect(run4.resources.map((x) => [x.result, x.kind])).toEqual([['ok', 'incremental']]);
    expect(await snapshotsOf('kl0')).toEqual([s3name, snap(run4)].sort());
  }, 240_000);
});

describe('on-failure', () => {
  it('RETRY: a backup failing on an unreachable S3 is tried again after the retry delay and succeeds once S3 is back', async () => {
    const ID = 'backup-schedule/flaky/retrying';
    await ok(['controller', 'set-property', 'BackupShipping/ScheduleRetryDelay', '3']);
    await ok(['schedule', 'create', 'retrying', '--full-cron', '0 3 * * 0', '--on-failure', 'RETRY', '--max-retries', '3']);
    await ok(['backup', 'schedule', 'enable', '--rd', 'rt0', 'flaky', 'retrying']);
    await temporal.schedule.getHandle(ID).pause('the test triggers the runs');
    cutS3();
    const report = await triggerRun(ID, async () => {
      await waitForFailedShipment('rt0');
      restoreS3();
    });
    expect(report.resources).toHaveLength(1);
    const r = report.resources[0]!;
    expect(r.result).toBe('ok');
    expect(r.attempts).toBeGreaterThanOrEqual(2);
    expect(proxy.stats.refused).toBeGreaterThan(0);
    // the first attempt failed (and cleaned up), a later one committed the backup
    expect((await backupWorkflows('rt0', 'Failed')).length).toBe(r.attempts - 1);
    expect(await backupWorkflows('rt0', 'Completed')).toHaveLength(1);
    const listed = JSON.parse(String((await ok(['backup', 'list', 'flaky', '-r', 'rt0', '-m'])).stdout)) as { linstor: { id: string; status: string; success: boolean | null }[] };
    expect(listed.linstor.filter((b) => b.status === 'done').map((b) => b.id)).toEqual([r.backupId]);
    // the failed attempts are listed as failed shipments, not as backups
    for (const b of listed.linstor.filter((x) => x.status !== 'done')) expect(b).toMatchObject({ status: 'failed', success: false });
  }, 300_000);

  it('SKIP: a failed backup is recorded and not tried again until the next firing', async () => {
    const ID = 'backup-schedule/flaky/skipping';
    await ok(['schedule', 'create', 'skipping', '--full-cron', '0 3 * * 0', '--on-failure', 'SKIP']);
    await ok(['backup', 'schedule', 'enable', '--rd', 'sk0', 'flaky', 'skipping']);
    await temporal.schedule.getHandle(ID).pause('the test triggers the runs');
    cutS3();
    const report = await triggerRun(ID, async () => {
      await waitForFailedShipment('sk0');
      restoreS3();
    });
    expect(report.resources.map((x) => [x.resource, x.attempts, x.backupId])).toEqual([['sk0', 1, null]]);
    expect(report.resources[0]!.result).toMatch(/^failed: /);
    expect(await backupWorkflows('sk0')).toHaveLength(1);
    const lbr = JSON.parse(String((await ok(['schedule', 'list-by-resource', '-m'])).stdout)) as { rsc_name: string; schedule_name: string; last_result: string }[];
    expect(lbr.find((x) => x.rsc_name === 'sk0' && x.schedule_name === 'skipping')?.last_result).toMatch(/^failed: /);
    // the next firing tries again, and S3 is back
    const next = await triggerRun(ID);
    expect(next.resources.map((x) => [x.resource, x.result, x.attempts])).toEqual([['sk0', 'ok', 1]]);
  }, 300_000);
  it('a run cancelled while its backup is retrying a dead S3 cancels that backup, which cleans up after itself', async () => {
    const ID = 'backup-schedule/flaky/cancelled';
    await ok(['schedule', 'create', 'cancelled', '--full-cron', '0 3 * * 0', '--on-failure', 'SKIP']);
    await ok(['backup', 'schedule', 'enable', '--rd', 'cx0', 'flaky', 'cancelled']);
    await temporal.schedule.getHandle(ID).pause('the test triggers the runs');
    cutS3();
    const refusedBefore = proxy.stats.refused;
    try {
      const run = triggerRun(ID, async (runId) => {
        await cluster.eventually('the backup of cx0 is shipping into the dead S3', async () => proxy.stats.refused > refusedBefore && (await backupWorkflows('cx0', 'Running')).length === 1, 120_000);
        await temporal.workflow.getHandle(runId).cancel();
        restoreS3(); // the backup's clean-up talks to the bucket
      });
      await expect(run).rejects.toThrow(/cancel/i);
      await cluster.eventually('the backup of cx0 was cancelled', async () => (await backupWorkflows('cx0', 'Canceled')).length === 1, 60_000);
      expect(await backupWorkflows('cx0', 'Running')).toEqual([]);
      expect(await snapshotsOf('cx0')).toEqual([]);
      expect((await lvs('node1')).filter((lv) => lv.startsWith('cx0_') && lv !== 'cx0_00000')).toEqual([]);
    } finally {
      restoreS3();
    }
  }, 240_000);
});
