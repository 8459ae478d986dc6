import { describe, expect, it } from '@jest/globals';
import {
  BackupNameError, backupId, backupIdOf, dataKey, dataKeyOfBackup, defaultSnapshotName, formatBackupTimestamp, metaKey, metaKeyOf,
  parseBackupId, parseBackupKey, parseBackupTimestamp, resourceKeyPrefix,
} from '../../core/backup-names.js';

const T = Date.UTC(2021, 7, 24, 7, 25, 43, 512); // 2021-08-24 07:25:43.512 UTC

describe('backup timestamps', () => {
  it.each([
    [Date.UTC(2021, 7, 24, 7, 25, 43), '20210824_072543'],
    [Date.UTC(2000, 0, 1, 0, 0, 0), '20000101_000000'],
    [Date.UTC(2099, 11, 31, 23, 59, 59, 999), '20991231_235959'],
    [T, '20210824_072543'],
  ])('renders %p in UTC as %s', (ms, ts) => {
    expect(formatBackupTimestamp(ms)).toBe(ts);
  });

  it('does not depend on the process time zone (only UTC getters are used)', () => {
    // the date is chosen so that any non-UTC zone would move the day
    expect(formatBackupTimestamp(Date.UTC(2024, 0, 1, 0, 30, 0))).toBe('20240101_003000');
  });

  it.each(['20210231_000000', '20211301_000000', '20210101_240000', '20210101_006000', '2021010_000000', 'x0210101_000000'])('rejects %s', (ts) => {
    expect(parseBackupTimestamp(ts)).toBeUndefined();
  });

  it('round-trips to the second', () => {
    expect(parseBackupTimestamp(formatBackupTimestamp(T))).toBe(Math.floor(T / 1000) * 1000);
  });

  it('rejects non-finite and out-of-range instants', () => {
    expect(() => formatBackupTimestamp(Number.NaN)).toThrow(BackupNameError);
    expect(() => formatBackupTimestamp(Date.UTC(10000, 0, 1))).toThrow(BackupNameError);
  });

  it('names the default snapshot back_<ts>', () => {
    expect(defaultSnapshotName(T)).toBe('back_20210824_072543');
  });
});

describe('building keys', () => {
  it.each([
    [{ rsc: 'pvc-x', startTimestamp: T }, 'pvc-x_00000_back_20210824_072543', 'pvc-x_back_20210824_072543.meta'],
    [{ rsc: 'db0', startTimestamp: T, vlmNr: 3 }, 'db0_00003_back_20210824_072543', 'db0_back_20210824_072543.meta'],
    [{ rsc: 'db0', startTimestamp: T, vlmNr: 12345, s3Suffix: '.c1' }, 'db0_12345_back_20210824_072543.c1', 'db0_back_20210824_072543.c1.meta'],
    [{ rsc: 'db0', startTimestamp: T, snapName: 'back_20210824_072543' }, 'db0_00000_back_20210824_072543', 'db0_back_20210824_072543.meta'],
    [{ rsc: 'db0', startTimestamp: T, snapName: 'snapshot-4f0c' }, 'db0_00000_back_20210824_072543^snapshot-4f0c', 'db0_back_20210824_072543^snapshot-4f0c.meta'],
    [{ rsc: 'my_db', startTimestamp: T, s3Suffix: '-east', snapName: 'nightly' }, 'my_db_00000_back_20210824_072543-east^nightly', 'my_db_back_20210824_072543-east^nightly.meta'],
  ])('%p', (input, data, meta) => {
    expect(dataKey({ vlmNr: 0, ...input })).toBe(data);
    expect(metaKey(input)).toBe(meta);
    expect(backupId(input)).toBe(meta.slice(0, -'.meta'.length));
  });

  it.each([
    [{ rsc: 'bad name', startTimestamp: T, vlmNr: 0 }, /resource name 'bad name'/],
    [{ rsc: 'a'.repeat(49), startTimestamp: T, vlmNr: 0 }, /resource name/],
    [{ rsc: 'db0', startTimestamp: T, vlmNr: 100000 }, /volume number 100000/],
    [{ rsc: 'db0', startTimestamp: T, vlmNr: -1 }, /volume number -1/],
    [{ rsc: 'db0', startTimestamp: T, vlmNr: 1.5 }, /volume number 1.5/],
    [{ rsc: 'db0', startTimestamp: T, vlmNr: 0, s3Suffix: 'a^b' }, /suffix 'a\^b'/],
    [{ rsc: 'db0', startTimestamp: T, vlmNr: 0, s3Suffix: 'x/y' }, /suffix/],
    [{ rsc: 'db0', startTimestamp: T, vlmNr: 0, s3Suffix: '.meta' }, /suffix/],
    [{ rsc: 'db0', startTimestamp: T, vlmNr: 0, snapName: 'a^b' }, /snapshot name 'a\^b'/],
  ])('rejects %p', (input, msg) => {
    expect(() => dataKey(input)).toThrow(msg);
  });

  it('converts between ids and meta keys', () => {
    expect(backupIdOf('db0_back_20210824_072543.meta')).toBe('db0_back_20210824_072543');
    expect(backupIdOf('db0_back_20210824_072543')).toBe('db0_back_20210824_072543');
    expect(metaKeyOf('db0_back_20210824_072543')).toBe('db0_back_20210824_072543.meta');
    expect(metaKeyOf('db0_back_20210824_072543.meta')).toBe('db0_back_20210824_072543.meta');
  });

  it('lists a resource by its prefix', () => {
    expect(resourceKeyPrefix('db0')).toBe('db0_');
    expect(() => resourceKeyPrefix('../x')).toThrow(BackupNameError);
  });
});

describe('parsing keys', () => {
  it.each([
    ['pvc-x_00000_back_20210824_072543', { kind: 'data', rsc: 'pvc-x', vlmNr: 0, timestamp: '20210824_072543', suffix: '', snapName: 'back_20210824_072543', explicitSnapName: false, backupId: 'pvc-x_back_20210824_072543' }],
    ['pvc-x_back_20210824_072543.meta', { kind: 'meta', rsc: 'pvc-x', timestamp: '20210824_072543', suffix: '', snapName: 'back_20210824_072543', backupId: 'pvc-x_back_20210824_072543' }],
    ['my_db_00007_back_20210824_072543.c1^snapshot-4f0c', { kind: 'data', rsc: 'my_db', vlmNr: 7, suffix: '.c1', snapName: 'snapshot-4f0c', explicitSnapName: true, backupId: 'my_db_back_20210824_072543.c1^snapshot-4f0c' }],
    ['my_db_back_20210824_072543.c1^snapshot-4f0c.meta', { kind: 'meta', rsc: 'my_db', suffix: '.c1', snapName: 'snapshot-4f0c', backupId: 'my_db_back_20210824_072543.c1^snapshot-4f0c' }],
    // a resource whose name looks like a volume part
    ['a_00001_00000_back_20210824_072543', { kind: 'data', rsc: 'a_00001', vlmNr: 0 }],
    ['x_back_20200101_000000_back_20210824_072543.meta', { kind: 'meta', rsc: 'x_back_20200101_000000', timestamp: '20210824_072543' }],
  ])('%s', (key, expected) => {
    expect(parseBackupKey(key)).toMatchObject({ key, ...expected });
  });

  it.each([
    'randomPictureInWrongBucket.jpg',
    'db0_back_20210231_072543.meta', // no 31 February
    'db0_0000_back_20210824_072543', // 4-digit volume
    'db0_00000_back_20210824_072543^a^b',
    'dir/db0_00000_back_20210824_072543',
    'db0_back_20210824_072543',
    '',
  ])('classifies %p as other', (key) => {
    expect(parseBackupKey(key)).toEqual({ kind: 'other', key });
  });

  it('round-trips every key it builds', () => {
    const inputs = [
      { rsc: 'db0', startTimestamp: T },
      { rsc: 'r_1-x', startTimestamp: T, s3Suffix: '.prod', snapName: 'snap_1' },
      { rsc: 'zz', startTimestamp: Date.UTC(2030, 5, 6, 7, 8, 9), snapName: 'back_20300606_070809' },
    ];
    for (const input of inputs) {
      const m = parseBackupKey(metaKey(input));
      expect(m.kind).toBe('meta');
      for (const vlmNr of [0, 1, 99999]) {
        const d = parseBackupKey(dataKey({ ...input, vlmNr }));
        expect(d).toMatchObject({ kind: 'data', vlmNr, rsc: input.rsc, backupId: backupId(input), timestampMs: Math.floor(input.startTimestamp / 1000) * 1000 });
        expect(dataKeyOfBackup(backupId(input), vlmNr)).toBe(dataKey({ ...input, vlmNr }));
      }
    }
  });

  it('parses ids with or without .meta, and refuses others', () => {
    expect(parseBackupId('db0_back_20210824_072543').rsc).toBe('db0');
    expect(parseBackupId('db0_back_20210824_072543.meta').rsc).toBe('db0');
    expect(() => parseBackupId('db0_back_2021')).toThrow(/not a backup id/);
    // a data key of db0 is also the id of a (strangely named) resource db0_00000: the ambiguity LINSTOR's names have
    expect(parseBackupId('db0_00000_back_20210824_072543').rsc).toBe('db0_00000');
  });
});
