// Property-based fuzzing of the parsers of host-tool output (lvs/vgs, drbdsetup/drbdadm): on any
// text, any JSON, and mutations of real outputs (test/fixtures/host) they either return a value
// or throw their own typed parse error (LvmParseError, DrbdParseError): never a TypeError, a
// RangeError or a hang. Seeded, so a failure reproduces; the counts are printed.
import { afterAll, describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  classifyLvmError, LvmParseError, parseBytesField, parseLvAttr, parseLvsJson, parseReportJson, parseSeparatedReport, parseSizeWithUnits,
  parseVgsJson, LVS_FIELDS,
} from '../../activities/node/host/parse-lvm.js';
import {
  DrbdParseError, isFullySynced, parseDrbdEventLine, parseDrbdEvents, parseDrbdStatusJson, parseDrbdStatusText, statusFromEvents,
} from '../../activities/node/host/parse-drbd.js';

const SEED = 20240611;
const RUNS = 1000;
/** Slowest parse allowed for one input of at most a few KiB: catastrophic regex backtracking shows up as seconds. */
const MAX_MS = 250;
const tried: Record<string, number> = {};

const fixture = (name: string) => readFileSync(join(import.meta.dirname ?? new URL('.', import.meta.url).pathname, '..', 'fixtures', 'host', name), 'utf8');
const FIXTURES = {
  lvs: [fixture('lvs-lvmreport-man.json'), fixture('lvs-thin-pools-with-log.json')],
  vgs: [fixture('vgs-units-b.json')],
  lvsText: [fixture('lvs-units-b-nosuffix-lvmreport-man.txt')],
  lvmErrors: [fixture('lvm-errors.txt')],
  drbdJson: [fixture('drbdsetup-status-two-resources.json'), fixture('drbdsetup-status-synctarget.txt')],
  events: [fixture('drbd-events2-now-statistics.txt'), fixture('drbd-events2-timestamped.txt')],
  drbdText: [fixture('drbdadm-status-connecting.txt')],
};

/** Any text: full unicode, control characters, lone surrogates. */
const anyText = fc.oneof(fc.string({ unit: 'binary', maxLength: 2000 }), fc.string({ unit: 'grapheme', maxLength: 200 }), fc.string({ maxLength: 500 }));
/** Any JSON document, as text. */
const anyJson = fc.json({ maxDepth: 6 });
/** A real output, cut, spliced with junk or with a span removed. */
function mutated(sources: string[]): fc.Arbitrary<string> {
  return fc.tuple(fc.constantFrom(...sources), fc.nat(), fc.nat(), anyText, fc.constantFrom('insert', 'truncate', 'delete', 'replace')).map(([src, a, b, junk, how]) => {
    const i = a % (src.length + 1);
    const j = Math.min(src.length, i + (b % 200));
    if (how === 'insert') return src.slice(0, i) + junk + src.slice(i);
    if (how === 'truncate') return src.slice(0, i);
    if (how === 'delete') return src.slice(0, i) + src.slice(j);
    return src.slice(0, i) + junk + src.slice(j);
  });
}
/** JSON of the right outer shape with random rows/fields: reaches the field parsers. */
const lvmShaped = fc.dictionary(fc.constantFrom(...LVS_FIELDS, 'vg_name', 'vg_size', 'vg_free', 'vg_extent_size', 'pv_count', 'lv_count', 'vg_tags', '__proto__', 'constructor'),
  fc.oneof(anyText, fc.integer(), fc.double(), fc.constant(null), fc.array(fc.string())))
  .chain((row) => fc.constantFrom('lv', 'vg').map((k) => JSON.stringify({ report: [{ [k]: [row] }] })));
const drbdShaped = fc.array(fc.record({
  name: fc.string(), 'node-id': fc.oneof(fc.integer(), fc.double()), role: fc.string(),
  devices: fc.array(fc.record({ volume: fc.integer(), minor: fc.integer(), 'disk-state': fc.string() }), { maxLength: 3 }),
  connections: fc.array(fc.record({
    'peer-node-id': fc.integer(), name: fc.string(), 'connection-state': fc.string(), 'peer-role': fc.string(),
    peer_devices: fc.array(fc.record({ volume: fc.integer(), 'replication-state': fc.string(), 'peer-disk-state': fc.string(), 'out-of-sync': fc.double() }), { maxLength: 3 }),
  }), { maxLength: 3 }),
}), { maxLength: 3 }).map((v) => JSON.stringify(v));

/** Runs `parse` on every input of `arb`: only `allowed` errors, never slower than MAX_MS. */
function fuzz(name: string, arb: fc.Arbitrary<string>, parse: (s: string) => unknown, allowed: new (...a: never[]) => Error): void {
  let n = 0;
  fc.assert(
    fc.property(arb, (input) => {
      n++;
      const t0 = performance.now();
      try {
        parse(input);
      } catch (e) {
        if (!(e instanceof allowed)) throw new Error(`${name} threw ${(e as Error)?.constructor?.name}: ${(e as Error)?.message} on ${JSON.stringify(input).slice(0, 300)}`);
      }
      const ms = performance.now() - t0;
      if (ms > MAX_MS) throw new Error(`${name} took ${ms.toFixed(0)} ms on ${JSON.stringify(input).slice(0, 300)}`);
    }),
    { seed: SEED, numRuns: RUNS },
  );
  tried[name] = (tried[name] ?? 0) + n;
}

afterAll(() => {
  const total = Object.values(tried).reduce((a, b) => a + b, 0);
  process.stdout.write(`fuzz-parsers: ${total} inputs (seed ${SEED}): ${Object.entries(tried).map(([k, v]) => `${k} ${v}`).join(', ')}\n`);
});

describe('lvm output parsers on bad input', () => {
  const lvsAll = fc.oneof(anyText, anyJson, mutated(FIXTURES.lvs), lvmShaped);
  it('parseLvsJson / parseVgsJson / parseReportJson throw only LvmParseError', () => {
    fuzz('parseLvsJson', lvsAll, parseLvsJson, LvmParseError);
    fuzz('parseVgsJson', fc.oneof(anyText, anyJson, mutated(FIXTURES.vgs), lvmShaped), parseVgsJson, LvmParseError);
    fuzz('parseReportJson', fc.oneof(anyJson, lvmShaped), (s) => parseReportJson(s, 'lv'), LvmParseError);
  });
  it('field parsers (bytes, sizes, lv_attr) throw only LvmParseError', () => {
    fuzz('parseBytesField', anyText, (s) => parseBytesField(s, 'lv_size'), LvmParseError);
    fuzz('parseSizeWithUnits', fc.oneof(anyText, fc.stringMatching(/^[<>]?\d{1,400}(\.\d{0,40})?[bBsSkKmMgGtTpPeE]?$/)), (s) => {
      const n = parseSizeWithUnits(s);
      if (Number.isNaN(n)) throw new Error('NaN size');
    }, LvmParseError);
    fuzz('parseLvAttr', anyText, parseLvAttr, LvmParseError);
  });
  it('the --separator text report and the stderr classifier do not crash', () => {
    fuzz('parseSeparatedReport', fc.oneof(anyText, mutated(FIXTURES.lvsText)), (s) => parseSeparatedReport(s, ['lv_name', 'vg_name', 'lv_attr'], '|'), LvmParseError);
    fuzz('classifyLvmError', fc.oneof(anyText, mutated(FIXTURES.lvmErrors)), classifyLvmError, LvmParseError);
  });
  it('accepts the real fixtures unchanged (the fuzz bases are valid input)', () => {
    expect(parseLvsJson(fixture('lvs-thin-pools-with-log.json')).length).toBeGreaterThan(0);
    expect(parseReportJson(fixture('lvs-lvmreport-man.json'), 'lv').length).toBeGreaterThan(0);
    for (const f of FIXTURES.vgs) expect(parseVgsJson(f).length).toBeGreaterThan(0);
  });
});

describe('drbd output parsers on bad input', () => {
  it('parseDrbdStatusJson throws only DrbdParseError, and isFullySynced takes whatever it returns', () => {
    fuzz('parseDrbdStatusJson', fc.oneof(anyText, anyJson, mutated(FIXTURES.drbdJson), drbdShaped), (s) => parseDrbdStatusJson(s).map(isFullySynced), DrbdParseError);
  });
  it('events2 lines and their fold into a status throw only DrbdParseError', () => {
    fuzz('parseDrbdEventLine', anyText, parseDrbdEventLine, DrbdParseError);
    fuzz('parseDrbdEvents+statusFromEvents', fc.oneof(anyText, mutated(FIXTURES.events)), (s) => statusFromEvents(parseDrbdEvents(s)).map(isFullySynced), DrbdParseError);
  });
  it('the text of drbdadm status throws only DrbdParseError', () => {
    fuzz('parseDrbdStatusText', fc.oneof(anyText, mutated(FIXTURES.drbdText)), parseDrbdStatusText, DrbdParseError);
  });
});
