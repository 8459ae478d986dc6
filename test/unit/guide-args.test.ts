// The user's guide's argument forms (client/cli/guide-args.ts) and its short AutoSnapshot keys
// (core/properties.ts), tabled: what each form becomes, and the clear refusal of bad input.
import { describe, expect, it } from '@jest/globals';
import { auxKeyOf, backupAbortArgs, fullCronOf, keepOf } from '../../client/cli/guide-args.js';
import { canonicalPropertyKey, checkProperty } from '../../core/properties.js';

describe('schedule create NAME FULL_CRON', () => {
  it.each([
    ['positional only', '* * * * *', undefined, true, { ok: true, value: '* * * * *' }],
    ['--full-cron only', undefined, '0 3 * * *', true, { ok: true, value: '0 3 * * *' }],
    ['both, the same', '0 3 * * *', ' 0 3 * * * ', true, { ok: true, value: '0 3 * * *' }],
    ['neither, on modify', undefined, undefined, false, { ok: true, value: undefined }],
  ])('%s', (_what, positional, option, required, want) => {
    expect(fullCronOf(positional, option, required)).toEqual(want);
  });
  it('refuses neither on create, and two different crons', () => {
    expect(fullCronOf(undefined, undefined, true)).toMatchObject({ ok: false, message: expect.stringContaining('full backup cron') });
    expect(fullCronOf('* * * * *', '0 3 * * *', true)).toMatchObject({ ok: false, message: expect.stringContaining('twice') });
  });
});

describe('schedule modify --keep-local all / --max-retries forever', () => {
  it.each([
    [undefined, { ok: true, value: undefined }],
    ['all', { ok: true, value: null }],
    ['ALL', { ok: true, value: null }],
    ['5', { ok: true, value: '5' }],
  ])('%s', (v, want) => expect(keepOf(v, '--keep-local')).toEqual(want));
  it('refuses forever, saying why', () => {
    expect(keepOf('forever', '--max-retries')).toMatchObject({ ok: false, message: expect.stringContaining('--max-retries forever is not supported') });
  });
});

describe('set-property --aux', () => {
  it.each([
    ['testProperty', true, 'Aux/testProperty'],
    ['Aux/testProperty', true, 'Aux/testProperty'],
    ['PrefNic', false, 'PrefNic'],
    ['PrefNic', undefined, 'PrefNic'],
  ])('%s (aux %s) -> %s', (key, aux, want) => expect(auxKeyOf(key, aux)).toBe(want));
});

describe('backup abort [REMOTE] RSC', () => {
  it.each([
    [['myRemote', 'myRsc'], { ok: true, value: { remote: 'myRemote', resource: 'myRsc' } }],
    [['myRsc'], { ok: true, value: { resource: 'myRsc' } }],
  ])('%j', (args, want) => expect(backupAbortArgs(args)).toEqual(want));
  it.each([[[]], [['a', 'b', 'c']]])('refuses %j', (args) => expect(backupAbortArgs(args).ok).toBe(false));
});

describe("the guide's AutoSnapshot/* keys", () => {
  it.each([
    ['AutoSnapshot/RunEvery', 'DrbdOptions/AutoSnapshot/RunEvery'],
    ['AutoSnapshot/Keep', 'DrbdOptions/AutoSnapshot/Keep'],
    ['DrbdOptions/AutoSnapshot/Keep', 'DrbdOptions/AutoSnapshot/Keep'],
    ['Aux/AutoSnapshot/Keep', 'Aux/AutoSnapshot/Keep'],
    ['AutoSnapshot/Other', 'AutoSnapshot/Other'],
  ])('%s is stored as %s', (key, want) => expect(canonicalPropertyKey(key)).toBe(want));
  it('the full key is checked as before: 15 minutes ok, -1 refused', () => {
    expect(checkProperty(canonicalPropertyKey('AutoSnapshot/RunEvery'), '15', 'resource-definition')).toMatchObject({ ok: true, value: '15' });
    expect(checkProperty(canonicalPropertyKey('AutoSnapshot/RunEvery'), '-1', 'resource-definition').ok).toBe(false);
  });
});
