// core/cron.ts (parse, match, next/previous firing) and core/schedules.ts (which backup a firing
// makes, which schedule applies to a resource, the retention planner).
import { describe, expect, it } from '@jest/globals';
import { CronError, cronMatches, nextCronTime, parseCron, previousCronTime } from '../../core/cron.js';
import { backupKindAt, planLocalRetention, planRemoteRetention, resolveForResource, parseRetentionDuration, scheduleCreateSchema, type EnablementRecord, type RemoteChain } from '../../core/schedules.js';

import { parseInput } from '../../core/validation.js';

const t = (iso: string) => Date.parse(iso);
const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

describe('cron', () => {
  it('names the field at fault and refuses wrong field counts', () => {
    const err = (e: string) => { try { parseCron(e); return null; } catch (x) { return x as CronError; } };
    expect(err('61 * * * *')?.field).toBe('minute');
    expect(err('61 * * * *')?.message).toMatch(/minute: 61 is out of range 0-59/);
    expect(err('* 24 * * *')?.field).toBe('hour');
    expect(err('* * 0 * *')?.field).toBe('day-of-month');
    expect(err('* * * FOO *')?.field).toBe('month');
    expect(err('* * * * 8')?.field).toBe('day-of-week');
    expect(err('*/0 * * * *')?.message).toMatch(/step/);
    expect(err('5-1 * * * *')?.message).toMatch(/backwards/);
    expect(err('* * * *')?.message).toMatch(/has 4 field\(s\); it needs 5/);
    expect(err('0 2 * * MON-FRI')).toBeNull();
  });

  it('computes next and previous firings in UTC', () => {
    const c = parseCron('30 2 * * *');
    expect(iso(nextCronTime(c, t('2024-05-01T02:30:00Z')))).toBe('2024-05-02T02:30:00.000Z');
    expect(iso(nextCronTime(c, t('2024-05-01T02:29:59Z')))).toBe('2024-05-01T02:30:00.000Z');
    expect(iso(previousCronTime(c, t('2024-05-01T02:29:00Z')))).toBe('2024-04-30T02:30:00.000Z');
    expect(iso(nextCronTime(parseCron('*/15 * * * *'), t('2024-05-01T10:16:00Z')))).toBe('2024-05-01T10:30:00.000Z');
    // Sundays (0 and 7) at midnight
    expect(iso(nextCronTime(parseCron('0 0 * * 7'), t('2024-05-01T00:00:00Z')))).toBe('2024-05-05T00:00:00.000Z');
    // day of month OR day of week when both are restricted: the 13th or a Friday
    expect(iso(nextCronTime(parseCron('0 0 13 * FRI'), t('2024-05-01T00:00:00Z')))).toBe('2024-05-03T00:00:00.000Z');
    expect(nextCronTime(parseCron('0 0 31 2 *'), t('2024-05-01T00:00:00Z'))).toBeNull();
    expect(cronMatches(parseCron('* * * * *'), t('2031-12-31T23:59:59Z'))).toBe(true);
  });
});

describe('schedules', () => {
  it('validation names the field and the cron problem', () => {
    expect(() => parseInput(scheduleCreateSchema, { name: 'nightly', fullCron: '0 25 * * *' })).toThrow("fullCron: invalid full cron expression '0 25 * * *': hour: 25 is out of range 0-23");
    expect(parseRetentionDuration('30d')).toBe(30 * 86_400_000);
    expect(parseRetentionDuration('30 days')).toBeUndefined();
  });

  it('full wins a tie; a missed full firing makes the run full', () => {
    const s = { fullCron: '0 0 * * *', incrCron: '0 * * * *' };
    expect(backupKindAt(s, t('2024-05-02T00:00:00Z'), t('2024-05-01T00:00:00Z')).kind).toBe('full');
    expect(backupKindAt(s, t('2024-05-02T05:00:00Z'), t('2024-05-02T00:00:00Z')).kind).toBe('incremental');
    const missed = backupKindAt(s, t('2024-05-02T05:00:00Z'), t('2024-05-01T00:00:00Z'));
    expect(missed.kind).toBe('full');
    expect(missed.why).toMatch(/2024-05-02T00:00:00.000Z was missed/);
    expect(backupKindAt({ fullCron: '0 0 * * *', incrCron: null }, t('2024-05-02T05:00:00Z'), null).kind).toBe('full');
  });

  it('rd beats rg beats controller', () => {
    const rows: EnablementRecord[] = [
      { remote: 's3', schedule: 'n', level: 'controller', target: '', enabled: true },
      { remote: 's3', schedule: 'n', level: 'rg', target: 'gold', enabled: false },
      { remote: 's3', schedule: 'n', level: 'rd', target: 'db1', enabled: true },
    ];
    expect(resolveForResource(rows, { name: 'db0', resourceGroup: 'DfltRscGrp' })[0]).toMatchObject({ from: 'controller', enabled: true });
    expect(resolveForResource(rows, { name: 'db0', resourceGroup: 'gold' })[0]).toMatchObject({ from: 'rg', enabled: false });
    expect(resolveForResource(rows, { name: 'db1', resourceGroup: 'gold' })[0]).toMatchObject({ from: 'rd', enabled: true });
  });

  it('retention deletes every surplus chain in one plan, never the newest or a protected one', () => {
    const day = 86_400_000;
    const now = t('2024-06-01T00:00:00Z');
    const chain = (rsc: string, n: number, ageDays: number): RemoteChain => ({ resource: rsc, fullId: `${rsc}_f${n}`, ids: [`${rsc}_f${n}`, `${rsc}_i${n}`], fullAt: now - ageDays * day, newestAt: now - ageDays * day + 3600_000 });
    const chains = [chain('a', 1, 40), chain('a', 2, 20), chain('a', 3, 10), chain('a', 4, 1), chain('b', 1, 90)];
    const byCount = planRemoteRetention(chains, { keepRemote: 1, keepWithinMs: null }, now, new Set());
    expect(byCount.remove.map((c) => c.fullId).sort()).toEqual(['a_f1', 'a_f2', 'a_f3']);
    expect(byCount.keep.find((c) => c.fullId === 'b_f1')?.reason).toMatch(/newest chain/);
    const both = planRemoteRetention(chains, { keepRemote: 1, keepWithinMs: 15 * day }, now, new Set(['a_i1']));
    expect(both.remove.map((c) => c.fullId)).toEqual(['a_f2']);
    expect(both.remove[0]!.reason).toMatch(/keep-remote=1.*older than 15d/);
    expect(both.keep.find((c) => c.fullId === 'a_f1')?.reason).toMatch(/a_i1 is the base of the next incremental/);
    expect(planRemoteRetention(chains, { keepRemote: null, keepWithinMs: null }, now, new Set()).remove).toEqual([]);
  });
});

describe('keep-local', () => {
  const e = (resource: string, snapshot: string, kind: 'full' | 'incremental', createdAt: number) => ({ resource, snapshot, kind, createdAt });
  it('keeps the newest N full-backup chains of each resource and deletes every older chain with its incrementals in one run', () => {
    const entries = [
      e('db0', 'f1', 'full', 1), e('db0', 'i1a', 'incremental', 2), e('db0', 'i1b', 'incremental', 3),
      e('db0', 'f2', 'full', 4), e('db0', 'i2a', 'incremental', 5),
      e('db0', 'f3', 'full', 6),
      e('db1', 'g1', 'full', 1), e('db1', 'g2', 'full', 2),
    ];
    const plan = planLocalRetention(entries, 1, new Set(['db0/f3', 'db1/g2']));
    expect(plan.remove.map((d) => [d.resource, d.snapshots])).toEqual([['db0', ['f2', 'i2a']], ['db0', ['f1', 'i1a', 'i1b']], ['db1', ['g1']]]);
    expect(plan.remove[0]!.reason).toBe('beyond the newest 1 full backup snapshot(s) (keep-local=1)');
    expect(plan.keep.map((d) => [d.resource, d.base])).toEqual([['db0', 'f3'], ['db1', 'g2']]);
  });

  it('never deletes the chain holding the next incremental\'s base, even with keep-local=0', () => {
    const plan = planLocalRetention([e('db0', 'f1', 'full', 1), e('db0', 'f2', 'full', 2), e('db0', 'i2', 'incremental', 3)], 0, new Set(['db0/i2']));
    expect(plan.remove.map((d) => d.snapshots)).toEqual([['f1']]);
    expect(plan.keep).toEqual([{ resource: 'db0', base: 'f2', snapshots: ['f2', 'i2'], reason: 'i2 is the base of the next incremental backup' }]);
  });

  it('deletes nothing while there are no more chains than keep-local', () => {
    const plan = planLocalRetention([e('db0', 'f1', 'full', 1), e('db0', 'i1', 'incremental', 2)], 2, new Set());
    expect(plan.remove).toEqual([]);
    expect(plan.keep).toHaveLength(1);
  });
});
