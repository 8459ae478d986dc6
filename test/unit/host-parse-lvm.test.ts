// Parsers of lvm2 output against fixtures of real output (test/fixtures/host/, sources in *.source.md).
import { describe, expect, it } from '@jest/globals';
import fs from 'node:fs';
import path from 'node:path';
import {
  classifyLvmError,
  LvmParseError,
  parseBytesField,
  parseLvAttr,
  parseLvsJson,
  parseReportJson,
  parseSeparatedReport,
  parseSizeWithUnits,
  parseVgsJson,
} from '../../activities/node/host/parse-lvm.js';

const fixture = (name: string): string => fs.readFileSync(path.join(process.cwd(), 'test', 'fixtures', 'host', name), 'utf8');

describe('lvs/vgs json reports', () => {
  it('reads the report layout of lvmreport(7)', () => {
    const rows = parseReportJson(fixture('lvs-lvmreport-man.json'), 'lv');
    expect(rows).toEqual([
      { lv_name: 'lvol1', lv_size: '4.00m' },
      { lv_name: 'lvol0', lv_size: '4.00m' },
    ]);
    expect(parseSizeWithUnits(String(rows[0]!.lv_size))).toBe(4 * 1024 * 1024);
  });

  it('parses thin pools with hidden LVs and the log array (lvm2 2.03)', () => {
    const lvs = parseLvsJson(fixture('lvs-thin-pools-with-log.json'));
    expect(lvs).toHaveLength(7);
    const pool = lvs.find((l) => l.name === 'thin-1')!;
    expect(pool).toMatchObject({ vg: 'vg-1', kind: 'thin-pool', sizeBytes: 104857600, dataPercent: 0, metadataPercent: 10.84, active: true, hidden: false, pool: null, origin: null, tags: [] });
    const tdata = lvs.find((l) => l.name === 'thin-1_tdata')!;
    expect(tdata.hidden).toBe(true);
    expect(tdata.dataPercent).toBeNull();
    expect(lvs.filter((l) => !l.hidden).map((l) => l.name)).toEqual(['thin-1', 'thin-5']);
  });

  it('parses vgs in bytes', () => {
    expect(parseVgsJson(fixture('vgs-units-b.json'))).toEqual([
      { name: 'pool', sizeBytes: 15372124160, freeBytes: 15372124160, extentBytes: null, pvCount: null, lvCount: null, tags: [] },
    ]);
  });

  it('rejects sizes that are not bytes and broken JSON', () => {
    expect(() => parseLvsJson(fixture('lvs-lvmreport-man.json').replace('"lvol1"', '"lvol1", "vg_name":"vg"'))).toThrow(LvmParseError);
    expect(() => parseLvsJson('{"report": [')).toThrow(LvmParseError);
    expect(() => parseLvsJson('{"nope": 1}')).toThrow(LvmParseError);
    expect(parseBytesField('1073741824B', 'lv_size')).toBe(1073741824);
  });
});

describe('text reports', () => {
  it('reads the basic report of lvmreport(7) (--units b --nosuffix)', () => {
    const lines = fixture('lvs-units-b-nosuffix-lvmreport-man.txt').split('\n').filter(Boolean);
    expect(lines[0]).toMatch(/^ {2}LV +LSize +Cpy%Sync$/);
    const sizes = lines.slice(1).map((l) => Number(l.trim().split(/\s+/)[1]));
    expect(sizes).toEqual([4194304, 4194304]);
  });

  it('splits --noheadings --separator output', () => {
    const rows = parseSeparatedReport('  thinpool;;10485760.00;vg;;0.00;twi-aotz--\n  vol1;/dev/vg/vol1;1048576.00;vg;thinpool;0.00;Vwi-a-tz--\n', ['lv_name', 'lv_path', 'lv_size', 'vg_name', 'pool_lv', 'data_percent', 'lv_attr'], ';');
    expect(rows[1]).toEqual({ lv_name: 'vol1', lv_path: '/dev/vg/vol1', lv_size: '1048576.00', vg_name: 'vg', pool_lv: 'thinpool', data_percent: '0.00', lv_attr: 'Vwi-a-tz--' });
    expect(parseSizeWithUnits(rows[1]!.lv_size!, 'k')).toBe(1024 ** 3);
    expect(parseSizeWithUnits('<20.00g')).toBe(20 * 1024 ** 3);
  });
});

describe('lv_attr', () => {
  it.each([
    ['twi-aotz--', { kind: 'thin-pool', active: true, open: true, skipActivation: false }],
    ['Vwi-a-tz--', { kind: 'thin', active: true, open: false, skipActivation: false }],
    ['Vwi---tz-k', { kind: 'thin', active: false, open: false, skipActivation: true }],
    ['-wi-ao----', { kind: 'linear', active: true, open: true, skipActivation: false }],
    ['Twi-ao----', { kind: 'other', active: true, open: true }],
  ])('%s', (attr, expected) => {
    expect(parseLvAttr(attr)).toMatchObject(expected);
  });
});

describe('lvm error messages', () => {
  const cases = fixture('lvm-errors.txt')
    .split('\n')
    .filter((l) => l !== '' && !l.startsWith('#'));

  it('classifies every captured message', () => {
    expect(cases.map((c) => classifyLvmError(c)?.kind ?? null)).toEqual([
      'lv-not-found',
      'lv-exists',
      'vg-insufficient-space',
      'size-unchanged',
      'vg-not-found',
      null,
    ]);
    expect(classifyLvmError(cases[0]!)).toEqual({ kind: 'lv-not-found', vg: 'pve', lv: 'rm--102--disk--0' });
    expect(classifyLvmError(cases[1]!)).toEqual({ kind: 'lv-exists', vg: 'vg_459', lv: 'lv_459' });
  });

  it('knows the pool-full and in-use messages', () => {
    expect(classifyLvmError('  Cannot create new thin volume, free space in thin pool vg/thinpool reached threshold.')).toEqual({ kind: 'pool-full', vg: 'vg', pool: 'thinpool' });
    expect(classifyLvmError('  Logical volume vg/db0_00000 in use.')).toEqual({ kind: 'in-use', vg: 'vg', lv: 'db0_00000' });
  });
});
