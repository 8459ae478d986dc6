// Which backups `backup delete id|filter|all` selects, and LINSTOR's cascade rule: descendants go
// only with --cascade (then deepest first), parents never.
import { describe, expect, it } from '@jest/globals';
import { DependentBackupsError, NothingSelectedError, selectBackups, type SelectableBackup } from '../../core/backup-selection.js';

const at = (d: number) => Date.UTC(2024, 0, d, 3, 0, 0);
// db0: full F (node1) <- I1 <- I2 ; full F2 (node2, other cluster) ; web: full W (node2)
const bucket: SelectableBackup[] = [
  { id: 'db0_back_20240101_030000', rsc: 'db0', timestampMs: at(1), node: 'node1', clusterId: 'c1' },
  { id: 'db0_back_20240102_030000', rsc: 'db0', timestampMs: at(2), node: 'node1', parent: 'db0_back_20240101_030000', clusterId: 'c1' },
  { id: 'db0_back_20240103_030000', rsc: 'db0', timestampMs: at(3), node: 'node1', parent: 'db0_back_20240102_030000', clusterId: 'c1' },
  { id: 'db0_back_20240104_030000', rsc: 'db0', timestampMs: at(4), node: 'node2', clusterId: 'c2' },
  { id: 'web_back_20240102_030000', rsc: 'web', timestampMs: at(2), node: 'node2', clusterId: 'c1' },
];
const [F, I1, I2, F2, W] = bucket.map((b) => b.id) as [string, string, string, string, string];

describe('selecting backups to delete', () => {
  it('by id: a leaf alone; a base only with --cascade, then with its descendants deepest first', () => {
    expect(selectBackups(bucket, { kind: 'id', id: I2 }, false).backups).toEqual([I2]);
    expect(() => selectBackups(bucket, { kind: 'id', id: I1 }, false)).toThrow(DependentBackupsError);
    expect(() => selectBackups(bucket, { kind: 'id', id: I1 }, false)).toThrow(`backup ${I1} cannot be deleted: 1 other backup(s) are based on it (${I2}); use --cascade to delete them too`);
    expect(selectBackups(bucket, { kind: 'id', id: F }, true)).toEqual({ backups: [I2, I1, F], matched: [F], dependents: [I1, I2] });
  });

  it('by id prefix: every id starting so, never another resource sharing the start', () => {
    expect(selectBackups(bucket, { kind: 'prefix', prefix: 'db0_back_202401' }, false).backups).toEqual([I2, I1, F2, F]);
    expect(selectBackups(bucket, { kind: 'prefix', prefix: 'db0_back_20240104' }, false).backups).toEqual([F2]);
  });

  it('by filter: before a time, of a resource, from a node, combined with AND', () => {
    // before day 2: F only, whose child I1 was not selected
    expect(() => selectBackups(bucket, { kind: 'filter', beforeMs: at(2) }, false)).toThrow(/use --cascade/);
    expect(selectBackups(bucket, { kind: 'filter', beforeMs: at(2) }, true).backups).toEqual([I2, I1, F]);
    // before day 3: F, I1 and W; I2 depends on I1
    expect(selectBackups(bucket, { kind: 'filter', beforeMs: at(3) + 1, resource: 'db0' }, false).backups).toEqual([I2, I1, F]);
    expect(selectBackups(bucket, { kind: 'filter', node: 'node2' }, false).backups.sort()).toEqual([F2, W].sort());
    expect(selectBackups(bucket, { kind: 'filter', node: 'node2', resource: 'web' }, false).backups).toEqual([W]);
  });

  it('all, or all of this cluster', () => {
    expect(selectBackups(bucket, { kind: 'all' }, false).backups).toHaveLength(5);
    expect(selectBackups(bucket, { kind: 'all', clusterId: 'c2' }, false).backups).toEqual([F2]);
  });

  it('refuses a selection that matches nothing, an empty filter and an empty prefix', () => {
    expect(() => selectBackups(bucket, { kind: 'id', id: 'db0_back_20990101_000000' }, false)).toThrow(NothingSelectedError);
    expect(() => selectBackups(bucket, { kind: 'filter', resource: 'nope' }, false)).toThrow("no backup matches: backups of resource 'nope'");
    expect(() => selectBackups(bucket, { kind: 'filter' }, false)).toThrow(/needs at least one of -t TIME, -r RESOURCE, -n NODE/);
    expect(() => selectBackups(bucket, { kind: 'prefix', prefix: '' }, false)).toThrow(/non-empty prefix/);
  });
});
