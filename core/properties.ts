// LINSTOR property inheritance and validation of the property keys ferry knows.
//
// A property is looked up on a chain of objects, the closest to the volume first; the first
// object that has the key wins (LINSTOR's PriorityProps). The chain depends on the key family,
// as in linstor-server:
//   DRBD options and most resource-scoped keys: resource > resource definition > resource group > node > controller
//   DrbdOptions/AutoEvictAfterTime, AutoEvictAllowEviction, BackupShipping/MaxConcurrentBackupsPerNode,
//   AutoplaceTarget (node level; a storage pool's own AutoplaceTarget is checked separately): node > controller
//   DrbdOptions/AutoEvictMinReplicaCount, DrbdOptions/auto-diskful: resource definition > resource group > controller
//   DrbdOptions/AutoEvictMaxDisconnectedNodes, Autoplacer/Weights/*: controller only
//   Max*OversubscriptionRatio, Autoplacer/MaxThroughput: storage pool > storage pool definition > controller
//   Autoplacer/MinThinFreeSpace: storage pool > resource definition > resource group > node > controller
//
// Acted on or stored: a key whose `effect` is 'stored' is accepted, kept and listed because LINSTOR's
// clients set it (linstor-csi sets BalanceResourcesEnabled and FileSystem/*), but ferry does nothing
// with it; its description says so and `ferry ... list-properties` shows it, never claiming an effect.
//
// Validation: known keys have a type (boolean true/false, integer with a range, decimal, size or
// percent, enum) and the objects they may be set on; Aux/* (any value), DrbdOptions/* options
// ferry does not model, sys/fs/* and StorDriver/* pass through as strings; anything else is refused,
// as LINSTOR refuses keys that are not whitelisted.
//
// Pure module (no I/O), safe in workflow code.
import { ValidationError } from './errors.js';

export type PropLevel =
  | 'resource'
  | 'volume-definition'
  | 'resource-definition'
  | 'resource-group'
  | 'storage-pool'
  | 'storage-pool-definition'
  | 'node'
  | 'controller';

export const propLevelLabel: Readonly<Record<PropLevel, string>> = {
  resource: 'resource',
  'volume-definition': 'volume definition',
  'resource-definition': 'resource definition',
  'resource-group': 'resource group',
  'storage-pool': 'storage pool',
  'storage-pool-definition': 'storage pool definition',
  node: 'node',
  controller: 'controller',
};

export type PropMap = Readonly<Record<string, string>>;
/** The property maps of the objects in play; absent levels are skipped. */
export type PropLevels = Partial<Record<PropLevel, PropMap | undefined>>;

export type PropType =
  | { kind: 'string' }
  | { kind: 'boolean' }
  | { kind: 'integer'; min?: number; max?: number }
  | { kind: 'decimal'; min?: number; max?: number }
  | { kind: 'size-or-percent' }
  | { kind: 'enum'; values: readonly string[] };

export interface PropertyDef {
  /** Full key, or namespace prefix ending in '/' when `prefix` is true. */
  readonly key: string;
  readonly prefix?: boolean;
  readonly type: PropType;
  /** Objects the key may be set on. */
  readonly settableOn: readonly PropLevel[];
  /** Lookup chain, highest priority first. */
  readonly order: readonly PropLevel[];
  /** LINSTOR's default when set nowhere. */
  readonly default?: string;
  readonly description: string;
  /** 'stored': accepted and listed for LINSTOR's clients, but ferry does not act on it (see the header). */
  readonly effect?: 'acted-on' | 'stored';
}

const RESOURCE_CHAIN: readonly PropLevel[] = ['resource', 'resource-definition', 'resource-group', 'node', 'controller'];
const NODE_CHAIN: readonly PropLevel[] = ['node', 'controller'];
const RD_CHAIN: readonly PropLevel[] = ['resource-definition', 'resource-group', 'controller'];
const CTRL_ONLY: readonly PropLevel[] = ['controller'];
const POOL_CHAIN: readonly PropLevel[] = ['storage-pool', 'storage-pool-definition', 'controller'];
const THIN_FREE_CHAIN: readonly PropLevel[] = ['storage-pool', 'resource-definition', 'resource-group', 'node', 'controller'];
const ALL_LEVELS: readonly PropLevel[] = [
  'resource',
  'resource-definition',
  'resource-group',
  'storage-pool',
  'storage-pool-definition',
  'node',
  'controller',
];

const ratio: PropType = { kind: 'decimal', min: 0, max: 1000 };
const weight: PropType = { kind: 'decimal', min: 0 };

export const AUTOPLACER_STRATEGIES = ['MaxFreeSpace', 'MinReservedSpace', 'MinRscCount', 'MaxThroughput'] as const;
export type AutoplacerStrategy = (typeof AUTOPLACER_STRATEGIES)[number];

/** The keys ferry knows (exact keys first, then namespaces). */
export const propertyDefs: readonly PropertyDef[] = [
  { key: 'AutoplaceTarget', type: { kind: 'boolean' }, settableOn: ['node', 'storage-pool', 'controller'], order: NODE_CHAIN, description: 'false keeps the autoplacer from choosing this node (or storage pool)' },
  { key: 'DrbdOptions/AutoEvictAfterTime', type: { kind: 'integer', min: 0 }, settableOn: NODE_CHAIN, order: NODE_CHAIN, default: '60', description: 'minutes a node may be offline before it is EVICTED' },
  { key: 'DrbdOptions/AutoEvictMaxDisconnectedNodes', type: { kind: 'integer', min: 0, max: 100 }, settableOn: CTRL_ONLY, order: CTRL_ONLY, default: '34', description: 'percentage of nodes that may be unreachable at once before auto-evict stops (0 turns auto-evict off)' },
  { key: 'DrbdOptions/AutoEvictMinReplicaCount', type: { kind: 'integer', min: 0 }, settableOn: RD_CHAIN, order: RD_CHAIN, description: 'replicas a resource should always have; defaults to the resource group place count' },
  { key: 'DrbdOptions/AutoEvictAllowEviction', type: { kind: 'boolean' }, settableOn: NODE_CHAIN, order: NODE_CHAIN, default: 'true', description: 'false keeps a node from being evicted' },
  { key: 'Evacuation/MaxConcurrent', type: { kind: 'integer', min: 1, max: 64 }, settableOn: CTRL_ONLY, order: CTRL_ONLY, default: '4', description: 'resources one node evacuation moves at once' },
  { key: 'DrbdOptions/auto-diskful', type: { kind: 'integer', min: 0 }, settableOn: RD_CHAIN, order: RD_CHAIN, description: 'minutes a diskless primary may run before it becomes diskful' },
  { key: 'BackupShipping/MaxConcurrentBackupsPerNode', type: { kind: 'integer' }, settableOn: NODE_CHAIN, order: NODE_CHAIN, default: '-1', description: 'backups shipped at once per node; negative: no limit, 0: none' },
  { key: 'DrbdOptions/AutoSnapshot/RunEvery', type: { kind: 'integer', min: 0, max: 527040 }, settableOn: ['resource-definition', 'resource-group'], order: ['resource-definition', 'resource-group'], description: 'minutes between automatic snapshots of the resource (0 or unset: none); a Temporal Schedule auto-snapshot/<rsc>' },
  { key: 'DrbdOptions/AutoSnapshot/Keep', type: { kind: 'integer', min: 0, max: 10000 }, settableOn: ['resource-definition', 'resource-group'], order: ['resource-definition', 'resource-group'], default: '10', description: 'automatic snapshots kept per resource (0 or unset: 10); manual snapshots are never deleted' },
  { key: 'BackupShipping/ScheduleRetryDelay', type: { kind: 'integer', min: 1, max: 86400 }, settableOn: CTRL_ONLY, order: CTRL_ONLY, default: '60', description: 'seconds a scheduled backup with --on-failure RETRY waits before it tries again' },
  { key: 'Autoplacer/MinThinFreeSpace', type: { kind: 'size-or-percent' }, settableOn: ['storage-pool', 'resource-definition', 'resource-group', 'node', 'controller'], order: THIN_FREE_CHAIN, default: '10%', description: 'free space a thin pool must keep to stay an autoplace target (size, plain number = KiB, or percent)' },
  { key: 'Autoplacer/MaxThroughput', type: { kind: 'integer', min: 0 }, settableOn: ['storage-pool', 'node', 'controller'], order: POOL_CHAIN, default: '0', description: 'throughput the storage pool can deliver (for the MaxThroughput strategy)' },
  ...AUTOPLACER_STRATEGIES.map(
    (s): PropertyDef => ({
      key: `Autoplacer/Weights/${s}`,
      type: weight,
      settableOn: CTRL_ONLY,
      order: CTRL_ONLY,
      default: s === 'MaxFreeSpace' ? '1' : '0',
      description: `weight of the autoplacer strategy ${s}`,
    }),
  ),
  { key: 'MaxOversubscriptionRatio', type: ratio, settableOn: ['storage-pool', 'storage-pool-definition', 'controller'], order: POOL_CHAIN, description: 'default of both oversubscription ratios (20 for thin pools, 1 for thick)' },
  { key: 'MaxFreeCapacityOversubscriptionRatio', type: ratio, settableOn: ['storage-pool', 'storage-pool-definition', 'controller'], order: POOL_CHAIN, description: 'how many times the free space may be provisioned' },
  { key: 'MaxTotalCapacityOversubscriptionRatio', type: ratio, settableOn: ['storage-pool', 'storage-pool-definition', 'controller'], order: POOL_CHAIN, description: 'how many times the total capacity may be provisioned' },
  { key: 'Site', type: { kind: 'string' }, settableOn: ['node', 'controller'], order: NODE_CHAIN, description: 'site of a node (DRBD proxy)' },
  { key: 'sys/fs/blkio_throttle_read', type: { kind: 'integer', min: 0 }, settableOn: ALL_LEVELS, order: RESOURCE_CHAIN, description: 'read throttle in bytes/s' },
  { key: 'sys/fs/blkio_throttle_write', type: { kind: 'integer', min: 0 }, settableOn: ALL_LEVELS, order: RESOURCE_CHAIN, description: 'write throttle in bytes/s' },
  { key: 'BalanceResourcesEnabled', type: { kind: 'boolean' }, settableOn: ['resource-definition', 'resource-group', 'controller'], order: RD_CHAIN, effect: 'stored', description: "LINSTOR's BalanceResourcesTask (keeps the place count); ferry has no such task: stored and listed, no effect (linstor-csi sets it to false while it deletes a volume)" },
  // namespaces passed through
  { key: 'FileSystem/', prefix: true, type: { kind: 'string' }, settableOn: ['volume-definition', 'resource-definition', 'resource-group', 'controller'], order: ['volume-definition', 'resource-definition', 'resource-group', 'controller'], effect: 'stored', description: "file system of a volume (FileSystem/Type, FileSystem/MkfsParams): LINSTOR's satellite runs mkfs; ferry does not: stored and listed for the CSI driver, which formats on the node" },
  { key: 'Aux/', prefix: true, type: { kind: 'string' }, settableOn: [...ALL_LEVELS, 'volume-definition'], order: RESOURCE_CHAIN, description: 'auxiliary user properties (replicas-on-same/-different use node Aux/ properties)' },
  { key: 'DrbdOptions/', prefix: true, type: { kind: 'string' }, settableOn: ['resource', 'resource-definition', 'resource-group', 'node', 'controller'], order: RESOURCE_CHAIN, description: 'DRBD options (net, disk, resource, peer-device sections) passed to drbd.conf' },
  { key: 'StorDriver/', prefix: true, type: { kind: 'string' }, settableOn: ['storage-pool', 'node', 'controller', 'resource-definition', 'resource-group', 'resource'], order: ['storage-pool', 'resource', 'resource-definition', 'resource-group', 'node', 'controller'], description: 'storage driver options' },
];

const exactDefs: ReadonlyMap<string, PropertyDef> = new Map(propertyDefs.filter((d) => !d.prefix).map((d) => [d.key, d]));
const prefixDefs: readonly PropertyDef[] = propertyDefs.filter((d) => d.prefix);

/**
 * The user's guide writes the auto-snapshot keys without their namespace
 * (`rd set-property RSC AutoSnapshot/RunEvery 15`); LINSTOR stores them as DrbdOptions/AutoSnapshot/*.
 */
const KEY_ALIASES: Readonly<Record<string, string>> = {
  'AutoSnapshot/RunEvery': 'DrbdOptions/AutoSnapshot/RunEvery',
  'AutoSnapshot/Keep': 'DrbdOptions/AutoSnapshot/Keep',
};

/** The key as it is stored: a short name of the guide becomes LINSTOR's full key; any other key is unchanged. */
export function canonicalPropertyKey(key: string): string {
  return KEY_ALIASES[key] ?? key;
}

/** The definition that governs `key`, or undefined when ferry does not know the key. */
export function propertyDef(key: string): PropertyDef | undefined {
  const exact = exactDefs.get(key);
  if (exact) return exact;
  if (key.startsWith('Autoplacer/Weights/')) return undefined; // unknown strategy: refused
  return prefixDefs.find((d) => key.startsWith(d.key) && key.length > d.key.length);
}

/** The lookup chain for `key`, highest priority first (unknown keys: the resource chain). */
export function resolutionOrder(key: string): readonly PropLevel[] {
  return propertyDef(key)?.order ?? RESOURCE_CHAIN;
}

export interface EffectiveProperty {
  readonly key: string;
  readonly value: string;
  /** The object the value came from, or 'default' for LINSTOR's default. */
  readonly origin: PropLevel | 'default';
}

/**
 * The effective value of `key` given the property maps of the objects in play.
 * `order` overrides the key's chain. Falls back to the key's default unless `withDefault` is false.
 */
export function resolveProperty(
  key: string,
  levels: PropLevels,
  opts: { order?: readonly PropLevel[]; withDefault?: boolean } = {},
): EffectiveProperty | undefined {
  const def = propertyDef(key);
  const order = opts.order ?? def?.order ?? RESOURCE_CHAIN;
  for (const level of order) {
    const v = levels[level]?.[key];
    if (v !== undefined) return { key, value: v, origin: level };
  }
  if (opts.withDefault !== false && def?.default !== undefined && !def.prefix) {
    return { key, value: def.default, origin: 'default' };
  }
  return undefined;
}

/** The value only (see resolveProperty). */
export function getProperty(key: string, levels: PropLevels, order?: readonly PropLevel[]): string | undefined {
  return resolveProperty(key, levels, order ? { order } : {})?.value;
}

/**
 * Every property in effect, with its origin, sorted by key. A key set on a level that is not in
 * its chain does not apply (e.g. a node's Autoplacer/Weights/* is ignored). `prefix` limits the keys
 * (e.g. 'DrbdOptions/'); `includeDefaults` adds known keys set nowhere with their default.
 */
export function effectiveProperties(
  levels: PropLevels,
  opts: { prefix?: string; includeDefaults?: boolean; order?: readonly PropLevel[] } = {},
): EffectiveProperty[] {
  const keys = new Set<string>();
  for (const map of Object.values(levels)) {
    if (!map) continue;
    for (const k of Object.keys(map)) if (!opts.prefix || k.startsWith(opts.prefix)) keys.add(k);
  }
  if (opts.includeDefaults) {
    for (const d of propertyDefs) {
      if (!d.prefix && d.default !== undefined && (!opts.prefix || d.key.startsWith(opts.prefix))) keys.add(d.key);
    }
  }
  const out: EffectiveProperty[] = [];
  for (const k of [...keys].sort()) {
    const r = resolveProperty(k, levels, { ...(opts.order ? { order: opts.order } : {}), withDefault: !!opts.includeDefaults });
    if (r) out.push(r);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// value parsing

/** LINSTOR booleans are 'true' / 'false', case-insensitive. */
export function parseBooleanProp(v: string | undefined): boolean | undefined {
  if (v === undefined) return undefined;
  const l = v.trim().toLowerCase();
  if (l === 'true') return true;
  if (l === 'false') return false;
  return undefined;
}

const DECIMAL_RE = /^[+-]?(\d+(\.\d*)?|\.\d+)$/;

export function parseDecimalProp(v: string | undefined): number | undefined {
  if (v === undefined || !DECIMAL_RE.test(v.trim())) return undefined;
  return Number(v.trim());
}

export function parseIntegerProp(v: string | undefined): number | undefined {
  if (v === undefined || !/^[+-]?\d+$/.test(v.trim())) return undefined;
  const n = Number(v.trim());
  return Number.isSafeInteger(n) ? n : undefined;
}

export type SizeOrPercent = { kind: 'percent'; percent: number } | { kind: 'bytes'; bytes: number };

const SOP_UNITS: Readonly<Record<string, number>> = {
  '': 1024, // LINSTOR: no unit means KiB
  b: 1,
  s: 512,
  k: 1024, kib: 1024, kb: 1000,
  m: 1024 ** 2, mib: 1024 ** 2, mb: 1000 ** 2,
  g: 1024 ** 3, gib: 1024 ** 3, gb: 1000 ** 3,
  t: 1024 ** 4, tib: 1024 ** 4, tb: 1000 ** 4,
};

/** `10%`, `50GB`, `512MiB`, `1048576` (KiB, as LINSTOR). */
export function parseSizeOrPercent(v: string): SizeOrPercent | undefined {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([A-Za-z]*|%)\s*$/.exec(v);
  if (!m) return undefined;
  const n = Number(m[1]);
  if (m[2] === '%') return n <= 100 ? { kind: 'percent', percent: n } : undefined;
  const f = SOP_UNITS[m[2]!.toLowerCase()];
  if (f === undefined) return undefined;
  return { kind: 'bytes', bytes: Math.ceil(n * f) };
}

function describeType(t: PropType): string {
  switch (t.kind) {
    case 'string':
      return 'any text';
    case 'boolean':
      return 'true or false';
    case 'integer':
      return t.min !== undefined && t.max !== undefined
        ? `an integer from ${t.min} to ${t.max}`
        : t.min !== undefined
          ? `an integer >= ${t.min}`
          : 'an integer';
    case 'decimal':
      return t.min !== undefined && t.max !== undefined
        ? `a number from ${t.min} to ${t.max}`
        : t.min !== undefined
          ? `a number >= ${t.min}`
          : 'a number';
    case 'size-or-percent':
      return "a size (e.g. 50GiB; a plain number is KiB) or a percentage (e.g. 10%)";
    case 'enum':
      return `one of ${t.values.join(', ')}`;
  }
}

/** Normalises `value` for type `t`; returns undefined when it does not fit. */
function normalise(t: PropType, value: string): string | undefined {
  switch (t.kind) {
    case 'string':
      return value;
    case 'boolean': {
      const b = parseBooleanProp(value);
      return b === undefined ? undefined : String(b);
    }
    case 'integer': {
      const n = parseIntegerProp(value);
      if (n === undefined || (t.min !== undefined && n < t.min) || (t.max !== undefined && n > t.max)) return undefined;
      return String(n);
    }
    case 'decimal': {
      const n = parseDecimalProp(value);
      if (n === undefined || (t.min !== undefined && n < t.min) || (t.max !== undefined && n > t.max)) return undefined;
      return value.trim();
    }
    case 'size-or-percent':
      return parseSizeOrPercent(value) ? value.trim() : undefined;
    case 'enum': {
      const hit = t.values.find((v) => v.toLowerCase() === value.trim().toLowerCase());
      return hit;
    }
  }
}

export type PropertyCheck = { ok: true; value: string; def: PropertyDef } | { ok: false; message: string };

/**
 * Checks that `key` may be set to `value` on `level`; returns the normalised value
 * (booleans lower-case, integers without '+' or leading zeros) or what is allowed.
 */
export function checkProperty(key: string, value: string, level?: PropLevel): PropertyCheck {
  const def = propertyDef(key);
  if (!def) {
    if (key.startsWith('Autoplacer/Weights/')) {
      return { ok: false, message: `unknown autoplacer strategy '${key.slice('Autoplacer/Weights/'.length)}'; allowed: ${AUTOPLACER_STRATEGIES.map((s) => `Autoplacer/Weights/${s}`).join(', ')}` };
    }
    return {
      ok: false,
      message: `property key '${key}' is not known; allowed: Aux/<name> for your own properties, DrbdOptions/..., or one of ${[...exactDefs.keys()].join(', ')}`,
    };
  }
  if (level && !def.settableOn.includes(level)) {
    return {
      ok: false,
      message: `property '${key}' cannot be set on a ${propLevelLabel[level]}; allowed on: ${def.settableOn.map((l) => propLevelLabel[l]).join(', ')}`,
    };
  }
  const v = normalise(def.type, value);
  if (v === undefined) {
    return { ok: false, message: `property '${key}' must be ${describeType(def.type)}, got '${value}'` };
  }
  return { ok: true, value: v, def };
}

/** checkProperty that throws ValidationError (field = the key). */
export function validateProperty(key: string, value: string, level?: PropLevel): string {
  const r = checkProperty(key, value, level);
  if (!r.ok) throw new ValidationError(`properties.${key}`, r.message);
  return r.value;
}

/** Validates a whole map for one level; all problems are reported at once. Returns the normalised map. */
export function validateProperties(props: PropMap, level?: PropLevel): Record<string, string> {
  const out: Record<string, string> = {};
  const issues: { field: string; message: string }[] = [];
  for (const [k, v] of Object.entries(props)) {
    const r = checkProperty(k, v, level);
    if (r.ok) out[k] = r.value;
    else issues.push({ field: `properties.${k}`, message: r.message });
  }
  if (issues.length > 0) throw new ValidationError(issues[0]!.field, issues[0]!.message, issues);
  return out;
}

// ---------------------------------------------------------------------------------------------
// typed lookups used by the autoplacer, auto-evict and backup shipping

export function resolveBoolean(key: string, levels: PropLevels, order?: readonly PropLevel[]): boolean | undefined {
  return parseBooleanProp(getProperty(key, levels, order));
}

export function resolveNumber(key: string, levels: PropLevels, order?: readonly PropLevel[]): number | undefined {
  return parseDecimalProp(getProperty(key, levels, order));
}

/** The weights of the autoplacer's strategies from controller properties (LINSTOR: unparsable -> 1). */
export function autoplacerWeights(controller: PropMap | undefined): Record<AutoplacerStrategy, number> {
  const out = {} as Record<AutoplacerStrategy, number>;
  for (const s of AUTOPLACER_STRATEGIES) {
    const key = `Autoplacer/Weights/${s}`;
    const raw = controller?.[key];
    if (raw === undefined) out[s] = Number(propertyDef(key)!.default);
    else out[s] = parseDecimalProp(raw) ?? 1;
  }
  return out;
}
