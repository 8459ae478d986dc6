import { describe, expect, it } from '@jest/globals';
import { allocatedBytes, hostUsageSchema, poolFreeBytes, shouldSendUsage, usageFromLvs, usageKey } from '../../core/host-usage.js';

const MiB = 2 ** 20;
const GiB = 2 ** 30;

describe('the LVM usage an agent reports', () => {
  const rows = [
    { name: 'thinpool', vg: 'vg', kind: 'thin-pool', sizeBytes: 20 * GiB, dataPercent: 99.96 },
    { name: 'db0_00000', vg: 'vg', kind: 'thin', sizeBytes: 64 * MiB, dataPercent: 25 },
    { name: 'cold', vg: 'vg', kind: 'thin', sizeBytes: 64 * MiB, dataPercent: null },
    { name: 'root', vg: 'sys', kind: 'linear', sizeBytes: 8 * GiB, dataPercent: null },
  ];

  it('takes free space from the pool’s data_percent and allocation from each thin LV’s', () => {
    const u = usageFromLvs(rows, 1000, 2000);
    expect(u.thinPools).toEqual([{ vg: 'vg', pool: 'thinpool', totalBytes: 20 * GiB, freeBytes: Math.round(20 * GiB * 0.0004) }]);
    expect(u.volumes).toEqual([
      { vg: 'vg', lv: 'cold', sizeBytes: 64 * MiB, allocatedBytes: null },
      { vg: 'vg', lv: 'db0_00000', sizeBytes: 64 * MiB, allocatedBytes: 16 * MiB },
    ]);
    expect(hostUsageSchema.parse(u)).toEqual(u);
  });

  it.each<[number, number | null, number | null, number]>([
    [64 * MiB, 0, 0, 64 * MiB],
    [64 * MiB, 100, 64 * MiB, 0],
    [64 * MiB, null, null, 64 * MiB],
    [64 * MiB, 100.01, 64 * MiB, 0],
  ])('size %d at %s%%: allocated %s, free %d', (size, pct, alloc, free) => {
    expect(allocatedBytes(size, pct)).toBe(alloc);
    expect(poolFreeBytes(size, pct)).toBe(free);
  });

  it('is sent when a figure changed, every N periods anyway, and first of all', () => {
    const a = usageKey(usageFromLvs(rows, 1, 2));
    const later = usageKey(usageFromLvs(rows, 1, 9999));
    const fuller = usageKey(usageFromLvs(rows.map((r) => (r.kind === 'thin-pool' ? { ...r, dataPercent: 100 } : r)), 1, 2));
    expect(later).toBe(a);
    expect(fuller).not.toBe(a);
    expect(shouldSendUsage({ lastKey: '', periodsSince: 0 }, a, 10)).toBe(true);
    expect(shouldSendUsage({ lastKey: a, periodsSince: 3 }, a, 10)).toBe(false);
    expect(shouldSendUsage({ lastKey: a, periodsSince: 3 }, fuller, 10)).toBe(true);
    expect(shouldSendUsage({ lastKey: a, periodsSince: 9 }, a, 10)).toBe(true);
  });

  it.each<[string, unknown, RegExp]>([
    ['no body', undefined, /expected object/],
    ['a name that is an option', { agentStartedAt: 1, takenAt: 1, thinPools: [{ vg: '-rf', pool: 'p', totalBytes: 1, freeBytes: 1 }], volumes: [] }, /thinPools\.0\.vg|LVM name/],
    ['negative bytes', { agentStartedAt: 1, takenAt: 1, thinPools: [], volumes: [{ vg: 'vg', lv: 'a', sizeBytes: -1, allocatedBytes: 0 }] }, /sizeBytes|>=0|too small/i],
    ['more free than total', { agentStartedAt: 1, takenAt: 1, thinPools: [{ vg: 'vg', pool: 'p', totalBytes: 1, freeBytes: 2 }], volumes: [] }, /freeBytes must not exceed totalBytes/],
    ['an unknown field', { agentStartedAt: 1, takenAt: 1, thinPools: [], volumes: [], extra: 1 }, /extra|unrecognized/i],
  ])('refuses %s', (_what, body, message) => {
    const r = hostUsageSchema.safeParse(body);
    expect(r.success).toBe(false);
    expect(JSON.stringify(r.error?.issues)).toMatch(message);
  });
});
