// core/auto-snapshot.ts: which settings apply (rd wins over rg, Keep defaults to 10 as in LINSTOR),
// the snapshot names, which snapshots count as automatic, and the pruning to Keep.
import { describe, expect, it } from '@jest/globals';
import { autoSnapshotSettings, isAutoSnapshot, nextAutoSnapshotName, planAutoSnapshotPrune } from '../../core/auto-snapshot.js';
import { checkProperty } from '../../core/properties.js';
import { checkDrbdOptionProperty, drbdOptionsFromProps } from '../../core/drbd-props.js';

describe('AutoSnapshot settings', () => {
  it('take RunEvery and Keep from the resource definition before its group; Keep defaults to 10; 0 or unset is off', () => {
    expect(autoSnapshotSettings({ 'resource-group': { 'DrbdOptions/AutoSnapshot/RunEvery': '15' }, 'resource-definition': { 'DrbdOptions/AutoSnapshot/RunEvery': '5', 'DrbdOptions/AutoSnapshot/Keep': '3' } }))
      .toEqual({ runEveryMinutes: 5, keep: 3, from: 'resource-definition' });
    expect(autoSnapshotSettings({ 'resource-group': { 'DrbdOptions/AutoSnapshot/RunEvery': '15' }, 'resource-definition': {} }))
      .toEqual({ runEveryMinutes: 15, keep: 10, from: 'resource-group' });
    expect(autoSnapshotSettings({ 'resource-group': { 'DrbdOptions/AutoSnapshot/RunEvery': '15' }, 'resource-definition': { 'DrbdOptions/AutoSnapshot/RunEvery': '0' } }).runEveryMinutes).toBeNull();
    expect(autoSnapshotSettings({ 'resource-definition': { 'DrbdOptions/AutoSnapshot/RunEvery': '1', 'DrbdOptions/AutoSnapshot/Keep': '0' } }).keep).toBe(10);
    expect(autoSnapshotSettings({}).runEveryMinutes).toBeNull();
  });

  it('are validated as whole minutes on rd and rg only, and never rendered into the .res', () => {
    expect(checkProperty('DrbdOptions/AutoSnapshot/RunEvery', 'soon', 'resource-definition')).toMatchObject({ ok: false, message: expect.stringMatching(/must be/) });
    expect(checkProperty('DrbdOptions/AutoSnapshot/RunEvery', '15', 'node')).toMatchObject({ ok: false });
    expect(checkProperty('DrbdOptions/AutoSnapshot/Keep', '5', 'resource-group')).toMatchObject({ ok: true, value: '5' });
    expect(checkDrbdOptionProperty('DrbdOptions/AutoSnapshot/RunEvery', '15')).toBeNull();
    expect(drbdOptionsFromProps({ 'resource-definition': { 'DrbdOptions/AutoSnapshot/RunEvery': '15', 'DrbdOptions/Net/max-buffers': '8000' } })).toEqual({ net: { 'max-buffers': '8000' } });
  });
});

describe('automatic snapshots', () => {
  it('are named snap-auto-<n> after the highest number in use', () => {
    expect(nextAutoSnapshotName([])).toBe('snap-auto-1');
    expect(nextAutoSnapshotName(['snap-auto-2', 'snap-auto-10', 'manual', 'snap-auto-x'])).toBe('snap-auto-11');
  });

  it('are recognised by the workflow that took them, not by their name', () => {
    expect(isAutoSnapshot('db0', 'auto-snapshot-create/db0/snap-auto-3')).toBe(true);
    expect(isAutoSnapshot('db0', 'snapshot-create/db0/snap-auto-3')).toBe(false);
    expect(isAutoSnapshot('db0', 'auto-snapshot-create/db01/snap-auto-3')).toBe(false);
  });

  it('beyond Keep are pruned oldest first', () => {
    const auto = [1, 2, 3, 4].map((n) => ({ name: `snap-auto-${n}`, createdAt: n * 1000 }));
    expect(planAutoSnapshotPrune(auto, 2)).toEqual({
      keep: ['snap-auto-3', 'snap-auto-4'],
      remove: [
        { snapshot: 'snap-auto-1', reason: 'beyond the newest 2 automatic snapshot(s) (AutoSnapshot/Keep=2)' },
        { snapshot: 'snap-auto-2', reason: 'beyond the newest 2 automatic snapshot(s) (AutoSnapshot/Keep=2)' },
      ],
    });
    expect(planAutoSnapshotPrune(auto, 10).remove).toEqual([]);
  });
});
