// zod schemas for every input ferry takes at its edges (CLI, REST, SDK), and parseInput() which
// turns a zod failure into a ValidationError naming the field and what is allowed.
//
// Conventions:
//  - numbers may come as JS numbers (REST/SDK) or digit strings (CLI); both are accepted.
//  - sizes: a number is bytes; a string is `<number>[unit]` with LINSTOR's units
//    (K/M/G/T/P = KiB/MiB/GiB/TiB/PiB, KiB.., KB/MB/GB/TB/PB = powers of 1000, B = bytes),
//    case-insensitive, decimals allowed (`1.5GiB`). A string without a unit is bytes in
//    `sizeSchema` and GiB in `cliSizeSchema` (what `linstor vd create db0 10` means).
//    Results are whole bytes rounded up to KiB, LINSTOR's granularity for volume sizes.
//  - Every schema's inferred type is exported next to it.
import { z } from 'zod';
import { ValidationError, type FieldIssue } from './errors.js';
import { checkName, nameKindLabel, type NameKind } from './names.js';
import { formatSize, GiB, KiB, MiB, PiB, TiB } from './units.js';

// ---------------------------------------------------------------------------------------------
// parseInput

function pathToField(root: string | undefined, path: readonly PropertyKey[]): string {
  let out = root ?? '';
  for (const p of path) {
    if (typeof p === 'number') out += `[${p}]`;
    else out += out ? `.${String(p)}` : String(p);
  }
  return out;
}

/** Converts a zod error to a ValidationError; `field` prefixes every issue's path. */
export function validationErrorFromZod(error: z.ZodError, field?: string): ValidationError {
  const issues: FieldIssue[] = error.issues.map((i) => {
    // a record key that failed its schema: zod reports 'Invalid key in record' with the real issues nested
    const nested = i.code === 'invalid_key' ? i.issues : undefined;
    const message = nested && nested.length > 0 ? nested.map((n) => n.message).join('; ') : i.message;
    return { field: pathToField(field, i.path), message };
  });
  const first = issues[0] ?? { field: field ?? '', message: 'invalid input' };
  return new ValidationError(first.field, first.message, issues);
}

/**
 * Parses `input` with `schema`; throws ValidationError (field + what is allowed) on failure.
 * `field` names the input when the schema is for a single value (e.g. 'size', 'node').
 */
export function parseInput<S extends z.ZodType>(schema: S, input: unknown, field?: string): z.output<S> {
  const r = schema.safeParse(input);
  if (!r.success) throw validationErrorFromZod(r.error, field);
  return r.data;
}

// ---------------------------------------------------------------------------------------------
// names

/** Schema of a name of the given kind (LINSTOR's rules, see core/names.ts). */
export function nameSchema(kind: NameKind) {
  const label = nameKindLabel[kind];
  return z
    .string({ error: `${label} must be a string` })
    .superRefine((v, ctx) => {
      const problem = checkName(kind, v);
      if (problem) ctx.addIssue({ code: 'custom', message: `${label} ${problem}` });
    });
}

export const nodeNameSchema = nameSchema('node');
export const resourceNameSchema = nameSchema('resource');
export const resourceDefinitionNameSchema = nameSchema('resource-definition');
export const resourceGroupNameSchema = nameSchema('resource-group');
export const volumeGroupNameSchema = nameSchema('volume-group');
export const snapshotNameSchema = nameSchema('snapshot');
export const storagePoolNameSchema = nameSchema('storage-pool');
export const remoteNameSchema = nameSchema('remote');
export const scheduleNameSchema = nameSchema('schedule');

export type NodeName = z.infer<typeof nodeNameSchema>;
export type ResourceName = z.infer<typeof resourceNameSchema>;
export type ResourceGroupName = z.infer<typeof resourceGroupNameSchema>;
export type SnapshotName = z.infer<typeof snapshotNameSchema>;
export type StoragePoolName = z.infer<typeof storagePoolNameSchema>;
export type RemoteName = z.infer<typeof remoteNameSchema>;
export type ScheduleName = z.infer<typeof scheduleNameSchema>;

// ---------------------------------------------------------------------------------------------
// integers

/** An integer in [min, max], given as a number or a string of digits. */
export function integerSchema(what: string, min: number, max: number) {
  const allowed = `an integer from ${min} to ${max}`;
  return z
    .union([z.number(), z.string()], { error: `${what} must be ${allowed}` })
    .transform((v, ctx) => {
      let n: number;
      if (typeof v === 'string') {
        const s = v.trim();
        if (!/^[+-]?\d+$/.test(s)) {
          ctx.addIssue({ code: 'custom', message: `${what} must be ${allowed}, got '${v}'` });
          return z.NEVER;
        }
        n = Number(s);
      } else {
        n = v;
      }
      if (!Number.isInteger(n)) {
        ctx.addIssue({ code: 'custom', message: `${what} must be ${allowed}, got ${String(v)}` });
        return z.NEVER;
      }
      if (n < min || n > max) {
        ctx.addIssue({ code: 'custom', message: `${what} must be ${allowed}, got ${n}` });
        return z.NEVER;
      }
      return n;
    });
}

/** TCP port (agent port, DRBD port). */
export const portSchema = integerSchema('port', 1, 65535);
/** DRBD minor number: DRBD allows 0..2^20-1 (LINSTOR allocates from 1000 by default). */
export const MAX_DRBD_MINOR = 1048575;
export const minorNumberSchema = integerSchema('minor number', 0, MAX_DRBD_MINOR);
/** Volume number inside a resource (DRBD volume numbers are 16 bit). */
export const volumeNumberSchema = integerSchema('volume number', 0, 65535);
/** DRBD 9 connects at most 32 nodes per resource. */
export const MAX_PLACE_COUNT = 32;
export const placeCountSchema = integerSchema('place count', 1, MAX_PLACE_COUNT);

export type Port = z.infer<typeof portSchema>;
export type MinorNumber = z.infer<typeof minorNumberSchema>;
export type PlaceCount = z.infer<typeof placeCountSchema>;

/**
 * `--auto-place N` (the resource should have N diskful replicas) or `--auto-place +N`
 * (add N replicas to the existing ones, whatever the resource group's place count).
 */
export const autoPlaceSchema = z
  .union([z.number(), z.string()], { error: `auto-place must be a count (1 to ${MAX_PLACE_COUNT}) or +N` })
  .transform((v, ctx) => {
    const s = typeof v === 'number' ? String(v) : v.trim();
    const m = /^(\+?)(\d+)$/.exec(s);
    const n = m ? Number(m[2]) : NaN;
    if (!m || !Number.isInteger(n) || n < 1 || n > MAX_PLACE_COUNT) {
      ctx.addIssue({
        code: 'custom',
        message: `auto-place must be a count from 1 to ${MAX_PLACE_COUNT}, or +N to add N replicas (e.g. +1), got '${String(v)}'`,
      });
      return z.NEVER;
    }
    return { relative: m[1] === '+', count: n };
  });
export type AutoPlace = z.infer<typeof autoPlaceSchema>;

// ---------------------------------------------------------------------------------------------
// addresses

/**
 * A node's address, as `linstor node create NAME IP`: an IPv4 or IPv6 address. Host names are
 * not resolved here (the CLI may resolve them before it calls the controller, like LINSTOR's client).
 */
export const nodeAddressSchema = z
  .string({ error: 'node address must be a string holding an IPv4 or IPv6 address' })
  .trim()
  .superRefine((v, ctx) => {
    if (z.ipv4().safeParse(v).success || z.ipv6().safeParse(v).success) return;
    ctx.addIssue({
      code: 'custom',
      message: `node address '${v}' is not an IP address; allowed: an IPv4 (10.43.70.3) or IPv6 (fd00::3) address`,
    });
  });
export type NodeAddress = z.infer<typeof nodeAddressSchema>;

// ---------------------------------------------------------------------------------------------
// sizes

export { KiB, MiB, GiB, TiB, PiB, formatSize };
/** Largest size ferry accepts: 1 PiB, DRBD 9's maximum device size. */
export const MAX_SIZE_BYTES = PiB;

const UNIT_FACTORS: Readonly<Record<string, number>> = {
  b: 1,
  k: KiB, kib: KiB, kb: 1000,
  m: MiB, mib: MiB, mb: 1000 ** 2,
  g: GiB, gib: GiB, gb: 1000 ** 3,
  t: TiB, tib: TiB, tb: 1000 ** 4,
  p: PiB, pib: PiB, pb: 1000 ** 5,
};

export type SizeUnit = 'B' | 'KiB' | 'MiB' | 'GiB' | 'TiB';

const SIZE_ALLOWED =
  'a positive number with an optional unit: K, M, G, T (KiB, MiB, GiB, TiB), KB, MB, GB, TB (powers of 1000) or B, e.g. 64M, 1.5GiB, 512K';

/** Result of parseSize: bytes or a message saying what is allowed. */
export type SizeParse = { ok: true; bytes: number } | { ok: false; message: string };

/**
 * Parses `64M`, `1G`, `1.5GiB`, `512K`, `1048576` (bare numbers: `defaultUnit`) into bytes,
 * rounded up to whole KiB. Rejects 0, negatives, non-numbers and sizes above 1 PiB.
 */
export function parseSize(input: string | number, defaultUnit: SizeUnit = 'B'): SizeParse {
  let mantissa: string;
  let unit: string;
  if (typeof input === 'number') {
    if (!Number.isFinite(input)) return { ok: false, message: `size must be ${SIZE_ALLOWED}, got ${input}` };
    if (input <= 0) return { ok: false, message: `size must be greater than 0, got ${input}` };
    if (!Number.isInteger(input)) return { ok: false, message: `size in bytes must be a whole number, got ${input}` };
    // before String(): numbers from 1e21 print in exponent form, which the exact arithmetic below cannot read
    if (input > MAX_SIZE_BYTES) return { ok: false, message: `size '${String(input)}' is too large; the maximum is 1 PiB (1024 TiB)` };
    mantissa = String(input);
    unit = 'b';
  } else {
    const m = /^\s*([+-]?)(\d+(?:\.\d+)?|\.\d+)\s*([A-Za-z]*)\s*$/.exec(input);
    if (!m) return { ok: false, message: `size '${input}' is not a size; allowed: ${SIZE_ALLOWED}` };
    if (m[1] === '-') return { ok: false, message: `size '${input}' is negative; allowed: ${SIZE_ALLOWED}` };
    mantissa = m[2]!;
    unit = (m[3] || defaultUnit).toLowerCase();
    if (unit === 'bytes' || unit === 'byte') unit = 'b';
  }
  const factor = UNIT_FACTORS[unit];
  if (factor === undefined) return { ok: false, message: `size '${String(input)}' has an unknown unit '${unit}'; allowed: ${SIZE_ALLOWED}` };
  // exact decimal arithmetic with bigint: mantissa = int.frac
  const [intPart = '0', fracPart = ''] = mantissa.split('.');
  const scale = 10n ** BigInt(fracPart.length);
  const num = BigInt(intPart || '0') * scale + BigInt(fracPart || '0');
  const bytesScaled = num * BigInt(factor);
  let bytes = bytesScaled / scale + (bytesScaled % scale === 0n ? 0n : 1n);
  if (bytes <= 0n) return { ok: false, message: `size '${String(input)}' must be greater than 0` };
  const kib = BigInt(KiB);
  bytes = ((bytes + kib - 1n) / kib) * kib;
  if (bytes > BigInt(MAX_SIZE_BYTES)) {
    return { ok: false, message: `size '${String(input)}' is too large; the maximum is 1 PiB (1024 TiB)` };
  }
  return { ok: true, bytes: Number(bytes) };
}

function sizeSchemaWith(defaultUnit: SizeUnit) {
  return z
    .union([z.number(), z.string()], { error: `size must be ${SIZE_ALLOWED}` })
    .transform((v, ctx) => {
      const r = parseSize(v, defaultUnit);
      if (!r.ok) {
        ctx.addIssue({ code: 'custom', message: r.message });
        return z.NEVER;
      }
      return r.bytes;
    });
}

/** Size in bytes; a bare number (or digit string) is bytes. Output: bytes, multiple of 1 KiB. */
export const sizeSchema = sizeSchemaWith('B');
/** Size as the CLI takes it: a bare number is GiB, as in LINSTOR's client. Output: bytes. */
export const cliSizeSchema = sizeSchemaWith('GiB');
export type SizeBytes = z.infer<typeof sizeSchema>;

// ---------------------------------------------------------------------------------------------
// properties

export const PROPERTY_KEY_MAX_LENGTH = 256;
export const PROPERTY_VALUE_MAX_LENGTH = 4096;

/** `DrbdOptions/AutoEvictAfterTime`, `Aux/rack`, `DrbdOptions/Net/allow-two-primaries`. */
export const propertyKeySchema = z
  .string({ error: 'property key must be a string' })
  .superRefine((v, ctx) => {
    const allowed = "segments of letters, digits, '_', '-' and '.' separated by '/', e.g. DrbdOptions/AutoEvictAfterTime or Aux/rack";
    let problem: string | null = null;
    if (v.length === 0) problem = 'must not be empty';
    else if (v.length > PROPERTY_KEY_MAX_LENGTH) problem = `is too long (${v.length} > ${PROPERTY_KEY_MAX_LENGTH} characters)`;
    else if (v.startsWith('/') || v.endsWith('/')) problem = `'${v}' cannot begin or end with '/'`;
    else if (v.includes('//')) problem = `'${v}' has an empty segment ('//')`;
    else {
      const bad = [...v].find((c) => !/[A-Za-z0-9_./-]/.test(c));
      if (bad !== undefined) problem = `'${v}' cannot contain '${bad}'`;
    }
    if (problem) ctx.addIssue({ code: 'custom', message: `property key ${problem}; allowed: ${allowed}` });
  });

/** Any string up to 4096 characters without control characters (tab is allowed). */
export const propertyValueSchema = z
  .string({ error: 'property value must be a string' })
  .superRefine((v, ctx) => {
    if (v.length > PROPERTY_VALUE_MAX_LENGTH) {
      ctx.addIssue({ code: 'custom', message: `property value is too long (${v.length} > ${PROPERTY_VALUE_MAX_LENGTH} characters)` });
      return;
    }
    // eslint-disable-next-line no-control-regex
    if (/[\u0000-\u0008\u000a-\u001f\u007f]/.test(v)) {
      ctx.addIssue({ code: 'custom', message: 'property value cannot contain control characters (newlines, NUL, ...)' });
    }
  });

/** A map of property key -> value. */
export const propertiesSchema = z.record(propertyKeySchema, propertyValueSchema, {
  error: (iss) => (iss.code === 'invalid_type' ? 'properties must be an object of key -> string value' : undefined),
});
export type PropKey = z.infer<typeof propertyKeySchema>;
export type PropValue = z.infer<typeof propertyValueSchema>;
export type Properties = z.infer<typeof propertiesSchema>;

/** `set-property KEY VALUE` / `set-property KEY` (delete when value is omitted). */
export const propertySetSchema = z.object({
  key: propertyKeySchema,
  value: propertyValueSchema.optional(),
});
export type PropertySet = z.infer<typeof propertySetSchema>;

// ---------------------------------------------------------------------------------------------
// placement options (resource group, resource create --auto-place)

export const STORAGE_PROVIDERS = [
  'LVM',
  'LVM_THIN',
  'ZFS',
  'ZFS_THIN',
  'FILE',
  'FILE_THIN',
  'DISKLESS',
] as const;
export const storageProviderSchema = z
  .string({ error: `storage provider must be one of ${STORAGE_PROVIDERS.join(', ')}` })
  .transform((v, ctx) => {
    const up = v.trim().toUpperCase();
    if ((STORAGE_PROVIDERS as readonly string[]).includes(up)) return up as (typeof STORAGE_PROVIDERS)[number];
    ctx.addIssue({ code: 'custom', message: `storage provider '${v}' is unknown; allowed: ${STORAGE_PROVIDERS.join(', ')}` });
    return z.NEVER;
  });
export type StorageProvider = (typeof STORAGE_PROVIDERS)[number];

/**
 * `--replicas-on-same rack` / `rack=a` / `Aux/rack=a`: a node property in the Aux/ namespace
 * (prefixed when not given) with an optional required value.
 */
export const auxPropertyMatchSchema = z
  .string({ error: 'replicas-on-same/-different entries must be strings like rack or rack=a' })
  .transform((v, ctx) => {
    const eq = v.indexOf('=');
    const rawKey = (eq >= 0 ? v.slice(0, eq) : v).trim();
    const value = eq >= 0 ? v.slice(eq + 1) : undefined;
    const key = rawKey.startsWith('Aux/') ? rawKey : `Aux/${rawKey}`;
    const k = propertyKeySchema.safeParse(key);
    if (!rawKey || !k.success) {
      ctx.addIssue({
        code: 'custom',
        message: `'${v}' is not an auxiliary property; allowed: NAME or NAME=VALUE, NAME made of letters, digits, '_', '-', '.' and '/' (Aux/ is added)`,
      });
      return z.NEVER;
    }
    return value === undefined ? { key } : { key, value };
  });
export type AuxPropertyMatch = z.infer<typeof auxPropertyMatchSchema>;

/** A JavaScript regular expression that compiles (`--do-not-place-with-regex`). */
export const regexSchema = z
  .string({ error: 'must be a regular expression string' })
  .superRefine((v, ctx) => {
    try {
      new RegExp(v);
    } catch (e) {
      ctx.addIssue({ code: 'custom', message: `'${v}' is not a valid regular expression: ${(e as Error).message}` });
    }
  });

/** Comma-separated strings on the CLI, arrays in JSON. */
function listOf<T extends z.ZodType>(item: T) {
  return z.preprocess(
    (v) => (typeof v === 'string' ? v.split(',').map((s) => s.trim()).filter((s) => s.length > 0) : v),
    z.array(item, { error: 'must be a list (array or comma-separated string)' }),
  );
}

/** The autoplacer's constraints, as stored on a resource group and given to `r create --auto-place`. */
export const autoPlaceOptionsSchema = z.object({
  placeCount: placeCountSchema.optional(),
  storagePool: listOf(storagePoolNameSchema).optional(),
  disklessStoragePool: storagePoolNameSchema.optional(),
  replicasOnSame: listOf(auxPropertyMatchSchema).optional(),
  replicasOnDifferent: listOf(auxPropertyMatchSchema).optional(),
  doNotPlaceWith: listOf(resourceNameSchema).optional(),
  doNotPlaceWithRegex: regexSchema.optional(),
  disklessOnRemaining: z.boolean({ error: 'diskless-on-remaining must be true or false' }).optional(),
  providers: listOf(storageProviderSchema).optional(),
  nodes: listOf(nodeNameSchema).optional(),
});
export type AutoPlaceOptions = z.infer<typeof autoPlaceOptionsSchema>;

// ---------------------------------------------------------------------------------------------
// operation inputs

export const nodeCreateSchema = z.object({
  name: nodeNameSchema,
  address: nodeAddressSchema,
  port: portSchema.optional(),
  properties: propertiesSchema.optional(),
});
export type NodeCreateInput = z.infer<typeof nodeCreateSchema>;

export const storagePoolCreateSchema = z.object({
  node: nodeNameSchema,
  name: storagePoolNameSchema,
  provider: storageProviderSchema,
  /** `vg/thinpool` for LVM_THIN, `vg` for LVM; absent for DISKLESS. */
  driverPool: z
    .string({ error: 'driver pool must be a string like vg/thinpool' })
    .regex(/^[A-Za-z0-9+_.-]+(\/[A-Za-z0-9+_.-]+)?$/, "driver pool must be 'vg' or 'vg/thinpool' (letters, digits, '+', '_', '.', '-')")
    .optional(),
  properties: propertiesSchema.optional(),
});
export type StoragePoolCreateInput = z.infer<typeof storagePoolCreateSchema>;

export const resourceGroupCreateSchema = autoPlaceOptionsSchema.extend({
  name: resourceGroupNameSchema,
  description: z.string().max(1024, 'description is at most 1024 characters').optional(),
  properties: propertiesSchema.optional(),
});
export type ResourceGroupCreateInput = z.infer<typeof resourceGroupCreateSchema>;

export const resourceDefinitionCreateSchema = z.object({
  name: resourceDefinitionNameSchema,
  resourceGroup: resourceGroupNameSchema.optional(),
  port: portSchema.optional(),
  properties: propertiesSchema.optional(),
});
export type ResourceDefinitionCreateInput = z.infer<typeof resourceDefinitionCreateSchema>;

export const volumeDefinitionCreateSchema = z.object({
  resource: resourceDefinitionNameSchema,
  size: sizeSchema,
  volumeNumber: volumeNumberSchema.optional(),
  minor: minorNumberSchema.optional(),
});
export type VolumeDefinitionCreateInput = z.infer<typeof volumeDefinitionCreateSchema>;

/** `r create db0 --auto-place 3 ...` or `r create node1 node2 db0 --storage-pool pool1`. */
export const resourceCreateSchema = autoPlaceOptionsSchema
  .omit({ placeCount: true })
  .extend({
    resource: resourceNameSchema,
    autoPlace: autoPlaceSchema.optional(),
    diskless: z.boolean().optional(),
  })
  .superRefine((v, ctx) => {
    if (v.autoPlace === undefined && (v.nodes === undefined || v.nodes.length === 0)) {
      ctx.addIssue({ code: 'custom', path: ['nodes'], message: 'give nodes to place the resource on, or auto-place' });
    }
  });
export type ResourceCreateInput = z.infer<typeof resourceCreateSchema>;

export const spawnResourcesSchema = z.object({
  resourceGroup: resourceGroupNameSchema,
  resource: resourceDefinitionNameSchema,
  sizes: z.array(sizeSchema).min(1, 'give at least one volume size'),
});
export type SpawnResourcesInput = z.infer<typeof spawnResourcesSchema>;

export const snapshotCreateSchema = z.object({
  resource: resourceDefinitionNameSchema,
  snapshot: snapshotNameSchema,
  nodes: listOf(nodeNameSchema).optional(),
});
export type SnapshotCreateInput = z.infer<typeof snapshotCreateSchema>;

export const s3RemoteCreateSchema = z.object({
  name: remoteNameSchema,
  endpoint: z
    .string({ error: 'endpoint must be a string' })
    .min(1, 'endpoint must not be empty; allowed: host[:port] or an http(s) URL'),
  bucket: z
    .string({ error: 'bucket must be a string' })
    .regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'bucket must be an S3 bucket name: 3 to 63 lower-case letters, digits, dots and dashes'),
  region: z.string().min(1, 'region must not be empty').default('us-east-1'),
  accessKey: z.string().min(1, 'access key must not be empty'),
  secretKey: z.string().min(1, 'secret key must not be empty'),
  usePathStyle: z.boolean().default(true),
});
export type S3RemoteCreateInput = z.infer<typeof s3RemoteCreateSchema>;

/** `remote modify s3 NAME [--endpoint] [--bucket] [--region] [--access-key] [--secret-key] [--use-path-style]`: at least one change. */
export const s3RemoteModifySchema = z.object({
  name: remoteNameSchema,
  endpoint: s3RemoteCreateSchema.shape.endpoint.optional(),
  bucket: s3RemoteCreateSchema.shape.bucket.optional(),
  region: z.string().min(1, 'region must not be empty').optional(),
  accessKey: s3RemoteCreateSchema.shape.accessKey.optional(),
  secretKey: s3RemoteCreateSchema.shape.secretKey.optional(),
  usePathStyle: z.boolean().optional(),
}).refine((r) => Object.entries(r).some(([k, v]) => k !== 'name' && v !== undefined), { message: 'remote modify needs at least one change: endpoint, bucket, region, access key, secret key or path style' });
export type S3RemoteModifyInput = z.infer<typeof s3RemoteModifySchema>;

export const backupCreateSchema = z.object({
  remote: remoteNameSchema,
  resource: resourceDefinitionNameSchema,
  snapshot: snapshotNameSchema.optional(),
  node: nodeNameSchema.optional(),
  full: z.boolean().default(false),
});
export type BackupCreateInput = z.infer<typeof backupCreateSchema>;

export const backupRestoreSchema = z.object({
  remote: remoteNameSchema,
  targetNode: nodeNameSchema,
  targetResource: resourceDefinitionNameSchema,
  resource: resourceDefinitionNameSchema.optional(),
  backupId: z.string().min(1, 'backup id must not be empty').optional(),
  storagePool: storagePoolNameSchema.optional(),
});
export type BackupRestoreInput = z.infer<typeof backupRestoreSchema>;

const CRON_FIELD = /^[0-9*,/?LW#A-Za-z-]+$/;
/** A 5-field cron expression (minute hour day-of-month month day-of-week); deeper checks are in the cron module. */
export const cronSchema = z
  .string({ error: 'cron must be a string like "0 3 * * *"' })
  .superRefine((v, ctx) => {
    const fields = v.trim().split(/\s+/);
    if (fields.length !== 5 || !fields.every((f) => CRON_FIELD.test(f))) {
      ctx.addIssue({ code: 'custom', message: `cron '${v}' must have 5 fields: minute hour day-of-month month day-of-week, e.g. "0 3 * * *"` });
    }
  });

export const scheduleCreateSchema = z.object({
  name: scheduleNameSchema,
  fullCron: cronSchema,
  incCron: cronSchema.optional(),
  keepLocal: integerSchema('keep-local', 0, 1_000_000).optional(),
  keepRemote: integerSchema('keep-remote', 0, 1_000_000).optional(),
  onFailure: z
    .enum(['SKIP', 'RETRY'], { error: 'on-failure must be SKIP or RETRY' })
    .default('SKIP'),
  maxRetries: integerSchema('max-retries', 0, 1000).optional(),
});
export type ScheduleCreateInput = z.infer<typeof scheduleCreateSchema>;
