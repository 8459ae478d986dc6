// Property-based fuzzing of core/validation.ts, the gate of every CLI/REST/SDK input: on names
// with shell metacharacters, path traversal, unicode, empty and huge strings, on huge and odd
// sizes and on arbitrary values, a schema either accepts a value that satisfies LINSTOR's rules
// (checked here by an independent oracle) or throws a ValidationError naming the field. Never
// another exception. Seeded; the counts are printed.
import { afterAll, describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import type { z } from 'zod';
import { ValidationError } from '../../core/errors.js';
import type { NameKind } from '../../core/names.js';
import {
  autoPlaceSchema, backupCreateSchema, cliSizeSchema, cronSchema, MAX_SIZE_BYTES, minorNumberSchema, nameSchema, nodeAddressSchema,
  nodeCreateSchema, parseInput, portSchema, propertiesSchema, regexSchema, resourceCreateSchema, resourceDefinitionCreateSchema, s3RemoteCreateSchema,
  scheduleCreateSchema, sizeSchema, snapshotCreateSchema, storagePoolCreateSchema, volumeDefinitionCreateSchema,
} from '../../core/validation.js';

const SEED = 424242;
const RUNS = 1000;
const tried: Record<string, number> = {};

afterAll(() => {
  const total = Object.values(tried).reduce((a, b) => a + b, 0);
  process.stdout.write(`fuzz-validation: ${total} inputs (seed ${SEED}): ${Object.entries(tried).map(([k, v]) => `${k} ${v}`).join(', ')}\n`);
});

// ---- hostile strings -----------------------------------------------------------------------
const SHELL = [';', '|', '&', '$', '`', '(', ')', '<', '>', '\\', '"', "'", '*', '?', '[', ']', '{', '}', '~', '#', '!', '\n', '\r', '\t', ' ', '\0'];
const shellish = fc.array(fc.oneof(fc.constantFrom(...SHELL), fc.constantFrom('rm -rf /', '$(reboot)', '`id`', '; ls', '|| true', '&& curl x', '-o', '--help'), fc.string({ maxLength: 6 })), { maxLength: 8 }).map((p) => p.join(''));
const traversal = fc.array(fc.constantFrom('..', '.', '/', '%2e%2e', '..\\', 'etc', 'passwd', '~', 'vg', 'db0'), { maxLength: 8 }).map((p) => p.join(''));
const nameLike = fc.stringMatching(/^[A-Za-z0-9_.-]{0,70}$/);
const hostile = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 80 }), fc.string({ unit: 'grapheme', maxLength: 60 }), shellish, traversal, nameLike,
  fc.constantFrom('', ' ', 'all', 'ALL', 'proxy', '_', '__', '-a', 'a-', 'x'.repeat(48), 'x'.repeat(49), 'x'.repeat(10_000), 'é', 'ａｂ', 'db0\u200b', 'a\u0000b'),
);
const anyValue = fc.oneof(hostile, fc.anything(), fc.integer(), fc.double(), fc.constant(null), fc.constant(undefined));

// ---- the oracle: LINSTOR's rules, written independently of core/names.ts --------------------
const LINSTOR = { resource: [2, 48, true], 'resource-definition': [2, 48, true], 'resource-group': [2, 48, false], 'volume-group': [2, 48, false], snapshot: [2, 48, false], 'storage-pool': [3, 48, false] } as const;
function oracle(kind: NameKind, v: string): boolean {
  if (kind === 'node' || kind === 'remote' || kind === 'schedule') {
    const label = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/;
    return v.length >= 2 && v.length <= 255 && v.split('.').every((l) => label.test(l));
  }
  const [min, max, drbdKeywords] = LINSTOR[kind];
  return v.length >= min && v.length <= max && /^[A-Za-z_][A-Za-z0-9_-]*$/.test(v) && /[A-Za-z]/.test(v)
    && !(drbdKeywords && ['all', 'proxy'].includes(v.toLowerCase()));
}

/** Runs schema on every input: result or ValidationError naming `field`; anything else fails. */
function gate<T>(name: string, arb: fc.Arbitrary<T>, schema: z.ZodType, field: string, accepted?: (input: T, out: unknown) => void, rejected?: (input: T, e: ValidationError) => void) {
  let n = 0;
  fc.assert(fc.property(arb, (input) => {
    n++;
    let out: unknown;
    try {
      out = parseInput(schema, input, field);
    } catch (e) {
      if (!(e instanceof ValidationError)) throw new Error(`${name}: ${(e as Error)?.constructor?.name} ${(e as Error)?.message} on ${String(JSON.stringify(input)).slice(0, 200)}`);
      expect(e.field.startsWith(field)).toBe(true);
      expect(e.message.startsWith(field)).toBe(true);
      expect(e.message.length).toBeGreaterThan(field.length + 5);
      rejected?.(input, e);
      return;
    }
    accepted?.(input, out);
  }), { seed: SEED, numRuns: RUNS });
  tried[name] = (tried[name] ?? 0) + n;
}

describe('names', () => {
  const kinds: NameKind[] = ['node', 'resource', 'resource-definition', 'resource-group', 'volume-group', 'snapshot', 'storage-pool', 'remote', 'schedule'];
  it.each(kinds)('%s: accepted exactly when LINSTOR would accept it; hostile names rejected naming the field', (kind) => {
    gate(`name:${kind}`, hostile, nameSchema(kind), kind, (input, out) => {
      expect(out).toBe(input);
      expect(oracle(kind, input)).toBe(true);
      // what passes is safe as one argv element / LV name / workflow id
      expect(input).toMatch(/^[A-Za-z0-9_][A-Za-z0-9_.-]*$/);
    }, (input) => expect(oracle(kind, input)).toBe(false));
    gate(`name:${kind}:any`, anyValue, nameSchema(kind), kind);
  });
});

describe('numbers, sizes and addresses', () => {
  const sizeText = fc.oneof(
    hostile,
    fc.tuple(fc.constantFrom('', '+', '-', ' '), fc.stringMatching(/^\d{0,30}(\.\d{0,30})?$/), fc.constantFrom('', 'K', 'k', 'KiB', 'M', 'MB', 'G', 'gib', 'T', 'TB', 'P', 'PiB', 'E', 'b', 'bytes', 'X', ' G')).map((p) => p.join('')),
    fc.stringMatching(/^\d{300,400}$/),
  );
  const sizeNumber = fc.oneof(fc.integer(), fc.double(), fc.constantFrom(0, -1, 1, 1023, 1024, MAX_SIZE_BYTES, MAX_SIZE_BYTES + 1, Number.MAX_SAFE_INTEGER, 1e21, 1e300, -0, Infinity, NaN));
  const checkSize = (_i: unknown, out: unknown) => {
    expect(Number.isSafeInteger(out)).toBe(true);
    expect(out as number).toBeGreaterThan(0);
    expect((out as number) % 1024).toBe(0);
    expect(out as number).toBeLessThanOrEqual(MAX_SIZE_BYTES);
  };
  it('sizes: a whole number of KiB in (0, 1 PiB], or a ValidationError naming size', () => {
    gate('size:text', sizeText, sizeSchema, 'size', checkSize);
    gate('size:number', sizeNumber, sizeSchema, 'size', checkSize);
    gate('cliSize:text', sizeText, cliSizeSchema, 'size', checkSize);
    gate('size:any', anyValue, sizeSchema, 'size', checkSize);
  });
  it('ports and minor numbers: integers in range, or a ValidationError naming the field', () => {
    const intish = fc.oneof(anyValue, fc.integer(), fc.stringMatching(/^[+-]?\d{0,25}$/), sizeNumber);
    gate('port', intish, portSchema, 'port', (_i, out) => expect(Number.isInteger(out) && (out as number) >= 1 && (out as number) <= 65535).toBe(true));
    gate('minor', intish, minorNumberSchema, 'minor', (_i, out) => expect(Number.isInteger(out) && (out as number) >= 0).toBe(true));
    gate('autoPlace', fc.oneof(intish, fc.stringMatching(/^\+?\d{0,4}$/)), autoPlaceSchema, 'place_count');
  });
  it('node addresses: an IP address, or a ValidationError naming the field', () => {
    gate('address', fc.oneof(hostile, fc.ipV4(), fc.ipV6(), fc.ipV4Extended(), fc.domain()), nodeAddressSchema, 'address',
      (_i, out) => expect(String(out)).toMatch(/^[0-9a-fA-F.:]+$/));
  });
});

describe('request schemas on arbitrary values', () => {
  const objectOf = (keys: string[]) => fc.dictionary(fc.constantFrom(...keys), anyValue, { maxKeys: keys.length });
  const cases: [string, z.ZodType, string[]][] = [
    ['nodeCreate', nodeCreateSchema, ['name', 'address', 'port', 'type']],
    ['storagePoolCreate', storagePoolCreateSchema, ['node', 'name', 'provider', 'driverPool']],
    ['resourceDefinitionCreate', resourceDefinitionCreateSchema, ['name', 'resourceGroup', 'port']],
    ['volumeDefinitionCreate', volumeDefinitionCreateSchema, ['resource', 'size', 'volumeNumber', 'minor']],
    ['resourceCreate', resourceCreateSchema, ['resource', 'nodes', 'storagePool', 'diskless', 'autoPlace', 'replicasOnSame', 'doNotPlaceWithRegex']],
    ['snapshotCreate', snapshotCreateSchema, ['resource', 'name', 'nodes']],
    ['s3RemoteCreate', s3RemoteCreateSchema, ['name', 'endpoint', 'bucket', 'region', 'accessKey', 'secretKey']],
    ['backupCreate', backupCreateSchema, ['remote', 'resource', 'snapshot', 'node']],
    ['scheduleCreate', scheduleCreateSchema, ['name', 'full', 'incremental', 'keepLocal', 'keepRemote']],
    ['properties', propertiesSchema, ['Aux/x', 'DrbdOptions/Net/protocol', '../x', '', 'a b', '$(x)']],
    ['cron', cronSchema, []],
    ['regex', regexSchema, []],
  ];
  it.each(cases)('%s: parses or throws a ValidationError naming the field', (name, schema, keys) => {
    gate(`schema:${name}`, keys.length ? fc.oneof(objectOf(keys), anyValue) : fc.oneof(hostile, anyValue, fc.stringMatching(/^[0-9*,/ -]{0,30}$/)), schema, 'body');
  });
});
