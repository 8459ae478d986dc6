// The autoplacer: chooses the nodes and storage pools for a resource's diskful replicas, the way
// LINSTOR's Autoplacer does (filter -> rate -> select), as a pure, deterministic function.
//
// 1. Filter. A node is a target only if it is online, not EVACUATE / EVICTED / DELETE,
//    AutoplaceTarget is not false (node, else controller), it is in `nodes` (when given), not in
//    `excludeNodes`, holds no live diskful replica of the resource, and has no resource named in
//    --do-not-place-with / matching --do-not-place-with-regex (case-insensitive, resources being
//    deleted do not count). A storage pool qualifies if it is diskful, in --storage-pool (when
//    given), of a provider in --providers (when given), its own AutoplaceTarget is not false, and
//    it has room: LINSTOR's estimate
//        min(free * MaxFreeCapacityOversubscriptionRatio, total * MaxTotalCapacityOversubscriptionRatio - reserved)
//    must be >= the size (both ratios default to MaxOversubscriptionRatio, which defaults to 20 for
//    thin pools and 1 for thick ones; `reserved` is the sum of the provisioned sizes of the volumes
//    and snapshots in the pool); a thin pool's estimate must also be >= Autoplacer/MinThinFreeSpace
//    (default 10% of its total capacity).
//    --replicas-on-same KEY[=VALUE]: nodes without KEY are out; with VALUE (or, without VALUE, the
//    value the existing replicas' nodes share) only that value. Existing replicas on nodes with
//    different values: the request is undecidable (an error, as in LINSTOR).
//    --replicas-on-different KEY[=VALUE]: VALUE and every value of the existing replicas' nodes are
//    used up; nodes without KEY are not restricted (as in LINSTOR).
// 2. Rate each pool: sum over the strategies of weight * value / (highest non-zero value of that
//    strategy among the candidates), minimising strategies counting negatively.
//    MaxFreeSpace (free bytes as reported), MinReservedSpace (provisioned bytes), MinRscCount
//    (resources in the pool), MaxThroughput (Autoplacer/MaxThroughput minus the volumes'
//    sys/fs/blkio_throttle_read + _write). Weights: controller Autoplacer/Weights/<strategy>,
//    default MaxFreeSpace = 1, the others 0.
// 3. Select: pools sorted by score (highest first), ties by node name then pool name; a
//    backtracking search picks one pool per node honouring replicas-on-same / -different among
//    the new and existing replicas, keeps the combination with the highest total score.
//
// Counting: `additional` (+N) adds N replicas whatever the place count; otherwise `placeCount`
// minus the live diskful replicas (not DELETE / EVICTED / EVACUATE, node not EVACUATE). Fewer
// than 0: error. 0: nothing to place. A node holding a diskless replica of the resource may be
// chosen: its replica becomes diskful (`replacesDiskless`).
// --diskless-on-remaining: every other eligible node without a replica gets a diskless one.
//
// When no selection is possible a PlacementError explains, constraint by constraint, how many
// nodes were left and why some were dropped.
import { PlacementError, ValidationError, type PlacementStep } from './errors.js';
import {
  autoplacerWeights,
  parseBooleanProp,
  parseDecimalProp,
  parseSizeOrPercent,
  resolveProperty,
  type AutoplacerStrategy,
  type PropMap,
} from './properties.js';
import { formatSize } from './units.js';

// ---------------------------------------------------------------------------------------------
// inputs

export type PlacementNodeFlag = 'EVACUATE' | 'EVICTED' | 'DELETE' | 'LOST';

export interface PlacementNode {
  readonly name: string;
  /** The node's agent is connected and registered (ONLINE). */
  readonly online: boolean;
  readonly flags?: readonly string[];
  /** Node properties: AutoplaceTarget, Aux/*, Autoplacer/MinThinFreeSpace ... */
  readonly props?: PropMap;
}

export interface PlacementStoragePool {
  readonly node: string;
  readonly name: string;
  /** LVM_THIN, LVM, ZFS, ZFS_THIN, FILE, FILE_THIN, DISKLESS */
  readonly provider: string;
  /** Capacity as last reported; null/undefined: unknown (the pool is not a candidate). */
  readonly totalBytes?: number | null;
  /** Free space as last reported (thin: data not yet allocated). */
  readonly freeBytes?: number | null;
  /** Provisioned bytes of the volumes and snapshots in the pool; computed from `resources` when absent. */
  readonly reservedBytes?: number;
  /** Storage pool properties: AutoplaceTarget, Max*OversubscriptionRatio, Autoplacer/MaxThroughput ... */
  readonly props?: PropMap;
}

export type PlacedResourceFlag = 'DELETE' | 'EVICTED' | 'EVACUATE' | 'TIE_BREAKER' | 'DISKLESS';

/** A deployed resource (one replica on one node). */
export interface PlacedResource {
  readonly resource: string;
  readonly node: string;
  /** Storage pool of a diskful replica. */
  readonly storagePool?: string;
  readonly diskless?: boolean;
  /** Provisioned size of its volumes in the pool (for reserved space). */
  readonly sizeBytes?: number;
  /** Extra bytes reserved in the pool by its snapshots. */
  readonly snapshotBytes?: number;
  readonly flags?: readonly string[];
  /** Effective throttles for MaxThroughput: sys/fs/blkio_throttle_read / _write. */
  readonly props?: PropMap;
}

export interface PlacementCluster {
  readonly nodes: readonly PlacementNode[];
  readonly storagePools: readonly PlacementStoragePool[];
  readonly resources: readonly PlacedResource[];
  /** Controller properties: Autoplacer/Weights/*, AutoplaceTarget, oversubscription ratios ... */
  readonly controllerProps?: PropMap;
  /** Storage pool definition properties by pool name. */
  readonly storagePoolDefinitionProps?: Readonly<Record<string, PropMap>>;
}

/** `Aux/rack` or `Aux/rack=a`, or the parsed form. A key without `Aux/` gets it. */
export type AuxMatchInput = string | { readonly key: string; readonly value?: string };

export interface PlacementRequest {
  /** Resource (definition) name. */
  readonly resource: string;
  /** Wanted diskful replicas in total (--place-count / --auto-place N). */
  readonly placeCount?: number;
  /** Replicas to add whatever the place count (--auto-place +N). Wins over placeCount. */
  readonly additional?: number;
  /** Size of the resource's volumes together, bytes. */
  readonly sizeBytes: number;
  readonly storagePools?: readonly string[];
  readonly providers?: readonly string[];
  readonly replicasOnSame?: readonly AuxMatchInput[];
  readonly replicasOnDifferent?: readonly AuxMatchInput[];
  readonly doNotPlaceWith?: readonly string[];
  readonly doNotPlaceWithRegex?: string;
  readonly disklessOnRemaining?: boolean;
  /** Only these nodes may be chosen. */
  readonly nodes?: readonly string[];
  /** These nodes must not be chosen (e.g. the node being evacuated). */
  readonly excludeNodes?: readonly string[];
  /** For Autoplacer/MinThinFreeSpace lookups (storage pool > rd > rg > node > controller). */
  readonly resourceDefinitionProps?: PropMap;
  readonly resourceGroupProps?: PropMap;
}

// ---------------------------------------------------------------------------------------------
// outputs

export interface PlacementChoice {
  readonly node: string;
  readonly storagePool: string;
  readonly provider: string;
  readonly score: number;
  /** The node holds a diskless replica that becomes diskful. */
  readonly replacesDiskless: boolean;
}

export interface PlacementResult {
  readonly resource: string;
  /** Diskful replicas this placement adds. */
  readonly needed: number;
  /** Nodes with live diskful replicas that counted towards the place count. */
  readonly existing: readonly string[];
  /** New diskful replicas, best score first. */
  readonly diskful: readonly PlacementChoice[];
  /** Nodes that get a diskless replica (--diskless-on-remaining), by name. */
  readonly diskless: readonly string[];
  /** How many nodes each constraint left (for logs and `--explain`). */
  readonly funnel: readonly PlacementStep[];
}

// ---------------------------------------------------------------------------------------------
// prepared cluster (indexes shared by several calls on the same snapshot)

interface PoolUsage {
  reserved: number;
  rscCount: number;
  throughput: number;
}

const PREPARED = Symbol('ferry.preparedCluster');

export interface PreparedCluster {
  readonly [PREPARED]: true;
  readonly cluster: PlacementCluster;
  readonly nodesByName: ReadonlyMap<string, PlacementNode>;
  readonly sortedNodes: readonly PlacementNode[];
  readonly poolsByNode: ReadonlyMap<string, readonly PlacementStoragePool[]>;
  readonly resourcesByNode: ReadonlyMap<string, readonly PlacedResource[]>;
  readonly resourcesByName: ReadonlyMap<string, readonly PlacedResource[]>;
  readonly usageByPool: ReadonlyMap<string, PoolUsage>;
  /** Usage by pool object (no key strings in the hot loop). */
  readonly usageOf: ReadonlyMap<PlacementStoragePool, PoolUsage>;
  /** lower-cased resource name -> nodes holding a replica that is not being deleted */
  readonly liveNodesByLowerName: ReadonlyMap<string, readonly string[]>;
  /** do-not-place-with-regex source -> nodes holding a matching resource (memo; pure function of the snapshot) */
  readonly regexNodes: Map<string, ReadonlyMap<string, string>>;
}

const poolKey = (node: string, pool: string): string => `${node}\u0000${pool}`;
const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

function hasFlag(flags: readonly string[] | undefined, ...wanted: string[]): boolean {
  if (!flags) return false;
  for (const f of flags) if (wanted.includes(f)) return true;
  return false;
}

/** Builds the lookups placeReplicas needs; pass the result to many placeReplicas calls. */
export function prepareCluster(cluster: PlacementCluster): PreparedCluster {
  const nodesByName = new Map<string, PlacementNode>();
  for (const n of cluster.nodes) nodesByName.set(n.name, n);
  const sortedNodes = [...cluster.nodes].sort((a, b) => cmp(a.name, b.name));
  const poolsByNode = new Map<string, PlacementStoragePool[]>();
  for (const p of cluster.storagePools) {
    let l = poolsByNode.get(p.node);
    if (!l) poolsByNode.set(p.node, (l = []));
    l.push(p);
  }
  for (const l of poolsByNode.values()) l.sort((a, b) => cmp(a.name, b.name));
  const resourcesByNode = new Map<string, PlacedResource[]>();
  const resourcesByName = new Map<string, PlacedResource[]>();
  const usageByPool = new Map<string, PoolUsage>();
  for (const r of cluster.resources) {
    let l = resourcesByNode.get(r.node);
    if (!l) resourcesByNode.set(r.node, (l = []));
    l.push(r);
    let m = resourcesByName.get(r.resource);
    if (!m) resourcesByName.set(r.resource, (m = []));
    m.push(r);
    if (r.storagePool && !r.diskless) {
      const k = poolKey(r.node, r.storagePool);
      let u = usageByPool.get(k);
      if (!u) usageByPool.set(k, (u = { reserved: 0, rscCount: 0, throughput: 0 }));
      u.reserved += (r.sizeBytes ?? 0) + (r.snapshotBytes ?? 0);
      u.rscCount += 1;
      const rd = parseDecimalProp(r.props?.['sys/fs/blkio_throttle_read']) ?? 0;
      const wr = parseDecimalProp(r.props?.['sys/fs/blkio_throttle_write']) ?? 0;
      u.throughput += rd + wr;
    }
  }
  const usageOf = new Map<PlacementStoragePool, PoolUsage>();
  for (const p of cluster.storagePools) {
    const u = usageByPool.get(poolKey(p.node, p.name));
    if (u) usageOf.set(p, u);
  }
  const liveNodesByLowerName = new Map<string, string[]>();
  for (const [name, list] of resourcesByName) {
    const live = list.filter((r) => !hasFlag(r.flags, 'DELETE')).map((r) => r.node);
    if (live.length === 0) continue;
    const l = name.toLowerCase();
    const prev = liveNodesByLowerName.get(l);
    liveNodesByLowerName.set(l, prev ? prev.concat(live) : live);
  }
  return {
    [PREPARED]: true,
    cluster,
    nodesByName,
    sortedNodes,
    poolsByNode,
    resourcesByNode,
    resourcesByName,
    usageByPool,
    usageOf,
    liveNodesByLowerName,
    regexNodes: new Map(),
  };
}

/** node -> first resource (by name) on it that `hit` selects among live resources other than `self`. */
function nodesWithResources(pc: PreparedCluster, self: string | undefined, hit: (lowerName: string, name: string) => boolean): Map<string, string> {
  const out = new Map<string, string>();
  const names = [...pc.resourcesByName.keys()].sort(cmp);
  for (const name of names) {
    const l = name.toLowerCase();
    if (l === self || !hit(l, name)) continue;
    for (const n of pc.liveNodesByLowerName.get(l) ?? []) if (!out.has(n)) out.set(n, name);
  }
  return out;
}

function isPrepared(c: PlacementCluster | PreparedCluster): c is PreparedCluster {
  return (c as PreparedCluster)[PREPARED] === true;
}

// ---------------------------------------------------------------------------------------------
// helpers

export const THIN_PROVIDERS: readonly string[] = ['LVM_THIN', 'ZFS_THIN', 'FILE_THIN'];

interface AuxMatch {
  key: string;
  value: string | undefined;
}

function normaliseAux(m: AuxMatchInput, field: string): AuxMatch {
  let key: string;
  let value: string | undefined;
  if (typeof m === 'string') {
    const eq = m.indexOf('=');
    key = (eq >= 0 ? m.slice(0, eq) : m).trim();
    value = eq >= 0 ? m.slice(eq + 1) : undefined;
  } else {
    key = m.key.trim();
    value = m.value;
  }
  if (!key || key === 'Aux/') throw new ValidationError(field, `'${typeof m === 'string' ? m : m.key}' names no property; allowed: NAME or NAME=VALUE`);
  if (!key.startsWith('Aux/')) key = `Aux/${key}`;
  return { key, value };
}

/** Free space the autoplacer may still provision in the pool (LINSTOR's current estimation). */
export function estimateFreeBytes(
  pool: PlacementStoragePool,
  reservedBytes: number,
  controllerProps?: PropMap,
  poolDefinitionProps?: PropMap,
): number | null {
  if (pool.freeBytes == null || pool.totalBytes == null) return null;
  if (pool.provider === 'DISKLESS') return Number.POSITIVE_INFINITY;
  // storage pool > storage pool definition > controller
  const lookup = (key: string): number | undefined =>
    parseDecimalProp(pool.props?.[key] ?? poolDefinitionProps?.[key] ?? controllerProps?.[key]);
  const dflt = THIN_PROVIDERS.includes(pool.provider) ? 20 : 1;
  const base = lookup('MaxOversubscriptionRatio') ?? dflt;
  const freeRatio = lookup('MaxFreeCapacityOversubscriptionRatio') ?? base;
  const totalRatio = lookup('MaxTotalCapacityOversubscriptionRatio') ?? base;
  return Math.min(Math.floor(pool.freeBytes * freeRatio), Math.floor(pool.totalBytes * totalRatio) - reservedBytes);
}

const EXAMPLES = 3;

function describeStep(constraint: string, nodesLeft: number, rejected: string[], rejectedCount: number): PlacementStep {
  if (rejectedCount === 0) return { constraint, nodesLeft };
  return { constraint, nodesLeft, rejected: rejected.concat(rejectedCount > EXAMPLES ? [`${rejectedCount - EXAMPLES} more`] : []) };
}

function quoteList(names: readonly string[]): string {
  return names.map((n) => `'${n}'`).join(', ');
}

// ---------------------------------------------------------------------------------------------
// placeReplicas

class StepDef {
  left = 0;
  count = 0;
  readonly examples: string[] = [];
  constructor(readonly label: string) {}
  /** Counts a rejected node; builds its description only for the first few. */
  reject(describe: () => string): void {
    if (this.count++ < EXAMPLES) this.examples.push(describe());
  }
}

interface Candidate {
  node: PlacementNode;
  pool: PlacementStoragePool;
  score: number;
  replacesDiskless: boolean;
  /** value per replicas-on-same key (index-aligned with sameKeys) */
  sameVals: (string | undefined)[];
  /** value per replicas-on-different key */
  diffVals: (string | undefined)[];
}

/** Max DFS steps before the search settles for the best selection found so far. */
const SEARCH_BUDGET = 200_000;

/**
 * Chooses nodes and storage pools for `request` in `cluster` (or a prepareCluster() result).
 * Deterministic for equal inputs. Throws PlacementError when the request cannot be satisfied,
 * ValidationError when the request itself is malformed.
 */
export function placeReplicas(request: PlacementRequest, clusterIn: PlacementCluster | PreparedCluster): PlacementResult {
  const pc = isPrepared(clusterIn) ? clusterIn : prepareCluster(clusterIn);
  const cluster = pc.cluster;
  const ctrl = cluster.controllerProps;

  // ---- request normalisation
  if (!(request.sizeBytes > 0) || !Number.isFinite(request.sizeBytes)) {
    throw new ValidationError('sizeBytes', `size must be a positive number of bytes, got ${request.sizeBytes}`);
  }
  if (request.placeCount === undefined && (request.additional === undefined || request.additional <= 0)) {
    throw new ValidationError('placeCount', 'give a place count (N) or a number of replicas to add (+N)');
  }
  if (request.placeCount !== undefined && (!Number.isInteger(request.placeCount) || request.placeCount < 1)) {
    throw new ValidationError('placeCount', `place count must be an integer >= 1, got ${request.placeCount}`);
  }
  if (request.additional !== undefined && (!Number.isInteger(request.additional) || request.additional < 0)) {
    throw new ValidationError('additional', `additional replicas must be an integer >= 1, got ${request.additional}`);
  }
  let dnpwRegex: RegExp | undefined;
  if (request.doNotPlaceWithRegex !== undefined) {
    try {
      dnpwRegex = new RegExp(request.doNotPlaceWithRegex, 'i');
    } catch (e) {
      throw new ValidationError('doNotPlaceWithRegex', `'${request.doNotPlaceWithRegex}' is not a valid regular expression: ${(e as Error).message}`);
    }
  }
  const same = (request.replicasOnSame ?? []).map((m, i) => normaliseAux(m, `replicasOnSame[${i}]`));
  const diff = (request.replicasOnDifferent ?? []).map((m, i) => normaliseAux(m, `replicasOnDifferent[${i}]`));
  const poolNames = request.storagePools && request.storagePools.length > 0 ? new Set(request.storagePools.map((p) => p.toLowerCase())) : undefined;
  const providers = request.providers && request.providers.length > 0 ? new Set(request.providers.map((p) => p.toUpperCase())) : undefined;
  const onlyNodes = request.nodes && request.nodes.length > 0 ? new Set(request.nodes.map((n) => n.toLowerCase())) : undefined;
  const excluded = new Set((request.excludeNodes ?? []).map((n) => n.toLowerCase()));
  const dnpw = new Set((request.doNotPlaceWith ?? []).map((n) => n.toLowerCase()));
  const rscLower = request.resource.toLowerCase();

  // ---- existing replicas of the resource
  const existingDiskful: PlacementNode[] = [];
  const disklessHolders = new Set<string>();
  const liveHolders = new Set<string>(); // any replica not being deleted (diskful or diskless)
  const tieBreakers = new Set<string>();
  for (const r of pc.resourcesByName.get(request.resource) ?? []) {
    const node = pc.nodesByName.get(r.node);
    if (!hasFlag(r.flags, 'DELETE')) {
      if (hasFlag(r.flags, 'TIE_BREAKER')) tieBreakers.add(r.node);
      else liveHolders.add(r.node);
    }
    if (hasFlag(r.flags, 'DELETE', 'EVICTED', 'EVACUATE') || !node || hasFlag(node.flags, 'EVACUATE')) continue;
    if (r.diskless || hasFlag(r.flags, 'DISKLESS')) disklessHolders.add(r.node);
    else existingDiskful.push(node);
  }
  existingDiskful.sort((a, b) => cmp(a.name, b.name));

  let needed: number;
  if (request.additional !== undefined && request.additional > 0) needed = request.additional;
  else needed = (request.placeCount ?? 0) - existingDiskful.length;
  if (needed < 0) {
    throw new PlacementError(
      { resource: request.resource, needed: 0, existing: existingDiskful.length, steps: [] },
      `place count ${request.placeCount} is lower than the ${existingDiskful.length} diskful replicas '${request.resource}' already has (${existingDiskful.map((n) => n.name).join(', ')}); delete replicas to reduce it`,
    );
  }

  // ---- replicas-on-same: fixed values from the request or the existing replicas
  const sameFixed: (string | undefined)[] = same.map((s) => {
    const existingVals = new Set<string>();
    for (const n of existingDiskful) {
      const v = n.props?.[s.key];
      if (v !== undefined) existingVals.add(v);
    }
    if (existingVals.size > 1) {
      throw new PlacementError(
        { resource: request.resource, needed, existing: existingDiskful.length, steps: [] },
        `replicas-on-same ${s.key}: the existing replicas of '${request.resource}' are on nodes with different values (${[...existingVals].sort().join(', ')}); cannot decide which value to continue with`,
      );
    }
    if (s.value !== undefined) return s.value;
    return existingVals.size === 1 ? [...existingVals][0] : undefined;
  });
  // ---- replicas-on-different: values used up by the request and the existing replicas
  const diffUsed: Set<string>[] = diff.map((d) => {
    const used = new Set<string>();
    if (d.value !== undefined) used.add(d.value);
    for (const n of existingDiskful) {
      const v = n.props?.[d.key];
      if (v !== undefined) used.add(v);
    }
    return used;
  });

  // ---- filter, counting how many nodes each constraint leaves
  const sizeText = formatSize(request.sizeBytes);
  const poolText = poolNames ? ` in ${quoteList(request.storagePools!)}` : '';
  const steps: StepDef[] = [];
  const step = (label: string): StepDef => {
    const s = new StepDef(label);
    steps.push(s);
    return s;
  };
  const sAll = step(pc.sortedNodes.length === 1 ? 'node' : 'nodes');
  const sExcl = excluded.size > 0 ? step('not excluded') : undefined;
  const sOnline = step('online');
  const sFlags = step('not evacuating or evicted');
  const sTarget = step('with AutoplaceTarget not false');
  const sOnly = onlyNodes ? step(`among the requested nodes (${[...request.nodes!].join(', ')})`) : undefined;
  const sHolder = step(`without a replica of '${request.resource}'`);
  const sPool = step(poolNames ? `with storage pool ${quoteList(request.storagePools!)}` : 'with a diskful storage pool');
  const sProv = providers ? step(`with provider ${[...providers].join(' or ')}`) : undefined;
  const sPoolTarget = step('with a storage pool that is an autoplace target');
  const sFree = step(`with ${sizeText} free${poolText}`);
  const sThin = step('keeping Autoplacer/MinThinFreeSpace in thin pools');
  const sDnpw = dnpw.size > 0 ? step(`without ${quoteList(request.doNotPlaceWith!)} (do-not-place-with)`) : undefined;
  const sDnpwRe = dnpwRegex ? step(`without resources matching /${request.doNotPlaceWithRegex}/ (do-not-place-with-regex)`) : undefined;
  const sSame = same.map((s, i) => step(`with replicas-on-same ${s.key}${sameFixed[i] !== undefined ? `=${sameFixed[i]}` : ''}`));
  const sDiff = diff.map((d, i) =>
    step(`with replicas-on-different ${d.key}${diffUsed[i]!.size > 0 ? ` not ${[...diffUsed[i]!].sort().join('/')}` : ''}`),
  );

  const dnpwNodes = sDnpw ? nodesWithResources(pc, rscLower, (l) => dnpw.has(l)) : undefined;
  let regexNodes: ReadonlyMap<string, string> | undefined;
  if (dnpwRegex) {
    const re = dnpwRegex;
    if (re.test(request.resource)) {
      // the resource's own replicas never count: compute without them
      regexNodes = nodesWithResources(pc, rscLower, (_l, n) => re.test(n));
    } else {
      // memo per pattern: it matches none of this resource's names, so the memo applies as is
      const memoKey = `${re.flags}/${re.source}`;
      regexNodes = pc.regexNodes.get(memoKey);
      if (!regexNodes) {
        regexNodes = nodesWithResources(pc, undefined, (_l, n) => re.test(n));
        pc.regexNodes.set(memoKey, regexNodes);
      }
    }
  }
  const ctrlTarget = parseBooleanProp(ctrl?.['AutoplaceTarget']);
  const candidates: Candidate[] = [];
  const eligibleForDiskless: string[] = [];

  for (const node of pc.sortedNodes) {
    const name = node.name;
    const lname = name.toLowerCase();
    sAll.left++;
    if (sExcl) {
      if (excluded.has(lname)) { sExcl.reject(() => name); continue; }
      sExcl.left++;
    }
    if (!node.online) { sOnline.reject(() => `${name}: offline`); continue; }
    sOnline.left++;
    if (hasFlag(node.flags, 'EVACUATE', 'EVICTED', 'DELETE', 'LOST')) {
      sFlags.reject(() => `${name}: ${(node.flags ?? []).join(',')}`);
      continue;
    }
    sFlags.left++;
    const nodeTarget = parseBooleanProp(node.props?.['AutoplaceTarget']) ?? ctrlTarget;
    if (nodeTarget === false) { sTarget.reject(() => name); continue; }
    sTarget.left++;
    // eligible for a diskless replica from here on (online, not flagged, a target)
    // (a tie-breaker counts as no replica: a real diskless one replaces it)
    if (!liveHolders.has(name)) eligibleForDiskless.push(name);
    if (sOnly) {
      if (!onlyNodes!.has(lname)) continue;
      sOnly.left++;
    }
    const replacesDiskless = disklessHolders.has(name) || tieBreakers.has(name);
    if (liveHolders.has(name) && !replacesDiskless) { sHolder.reject(() => name); continue; }
    sHolder.left++;

    // pool-level steps: a node passes a step if one of its pools does
    const pools = pc.poolsByNode.get(name) ?? [];
    let stage = 0; // 1 pool, 2 provider, 3 pool target, 4 free, 5 thin
    const passing: PlacementStoragePool[] = [];
    let bestFreeMsg: string | undefined;
    let thinMsg: string | undefined;
    for (const p of pools) {
      if (p.provider === 'DISKLESS') continue;
      if (poolNames && !poolNames.has(p.name.toLowerCase())) continue;
      stage = Math.max(stage, 1);
      if (providers && !providers.has(p.provider.toUpperCase())) continue;
      stage = Math.max(stage, 2);
      if (parseBooleanProp(p.props?.['AutoplaceTarget']) === false) continue;
      stage = Math.max(stage, 3);
      const reserved = p.reservedBytes ?? pc.usageOf.get(p)?.reserved ?? 0;
      const est = estimateFreeBytes(p, reserved, ctrl, cluster.storagePoolDefinitionProps?.[p.name]);
      if (est === null) {
        bestFreeMsg ??= `${name}: free space of '${p.name}' unknown`;
        continue;
      }
      if (est < request.sizeBytes) {
        const m = `${name}: ${formatSize(Math.max(0, est))} free in '${p.name}'`;
        if (!bestFreeMsg) bestFreeMsg = m;
        continue;
      }
      stage = Math.max(stage, 4);
      if (THIN_PROVIDERS.includes(p.provider)) {
        const minFree = minThinFreeBytes(p, node, request, cluster);
        if (est < minFree) {
          thinMsg ??= `${name}: '${p.name}' would keep ${formatSize(Math.max(0, est))}, minimum ${formatSize(minFree)}`;
          continue;
        }
      }
      stage = Math.max(stage, 5);
      passing.push(p);
    }
    if (stage < 1) { sPool.reject(() => `${name}: ${pools.length === 0 ? 'no storage pool' : poolNames ? 'no such pool' : 'diskless only'}`); continue; }
    sPool.left++;
    if (sProv) {
      if (stage < 2) { sProv.reject(() => name); continue; }
      sProv.left++;
    }
    if (stage < 3) { sPoolTarget.reject(() => `${name}: AutoplaceTarget=false on the pool`); continue; }
    sPoolTarget.left++;
    if (stage < 4) { sFree.reject(() => bestFreeMsg ?? name); continue; }
    sFree.left++;
    if (stage < 5) { sThin.reject(() => thinMsg ?? name); continue; }
    sThin.left++;

    // placement constraints on the node's other resources and Aux properties
    if (sDnpw) {
      const hit = dnpwNodes!.get(name);
      if (hit !== undefined) { sDnpw.reject(() => `${name}: has '${hit}'`); continue; }
      sDnpw.left++;
    }
    if (sDnpwRe) {
      const hit = regexNodes!.get(name);
      if (hit !== undefined) { sDnpwRe.reject(() => `${name}: has '${hit}'`); continue; }
      sDnpwRe.left++;
    }
    let ok = true;
    const sameVals: (string | undefined)[] = [];
    for (let i = 0; i < same.length; i++) {
      const v = node.props?.[same[i]!.key];
      const fixed = sameFixed[i];
      if (v === undefined || (fixed !== undefined && v !== fixed)) {
        sSame[i]!.reject(() => `${name}: ${v === undefined ? 'not set' : `${same[i]!.key}=${v}`}`);
        ok = false;
        break;
      }
      sSame[i]!.left++;
      sameVals.push(v);
    }
    if (!ok) continue;
    const diffVals: (string | undefined)[] = [];
    for (let i = 0; i < diff.length; i++) {
      const v = node.props?.[diff[i]!.key];
      if (v !== undefined && diffUsed[i]!.has(v)) {
        sDiff[i]!.reject(() => `${name}: ${diff[i]!.key}=${v} taken`);
        ok = false;
        break;
      }
      sDiff[i]!.left++;
      diffVals.push(v);
    }
    if (!ok) continue;
    for (const p of passing) candidates.push({ node, pool: p, score: 0, replacesDiskless, sameVals, diffVals });
  }

  const funnel: PlacementStep[] = steps.map((s) => describeStep(s.label, s.left, s.examples, s.count));
  const fail = (extra: PlacementStep[], note?: string): never => {
    const explanation = {
      resource: request.resource,
      needed,
      existing: existingDiskful.length,
      steps: [...funnel, ...extra],
      ...(note ? { note } : {}),
    };
    throw new PlacementError(explanation);
  };

  // ---- nothing to place
  if (needed === 0) {
    return {
      resource: request.resource,
      needed: 0,
      existing: existingDiskful.map((n) => n.name),
      diskful: [],
      diskless: request.disklessOnRemaining ? eligibleForDiskless : [],
      funnel,
    };
  }

  // ---- quick feasibility checks, so the search never runs on hopeless inputs
  const candNodes = new Set(candidates.map((c) => c.node.name));
  if (candNodes.size < needed) fail([]);
  for (let i = 0; i < same.length; i++) {
    if (sameFixed[i] !== undefined) continue;
    const groups = new Map<string, Set<string>>();
    for (const c of candidates) {
      const v = c.sameVals[i]!;
      let g = groups.get(v);
      if (!g) groups.set(v, (g = new Set()));
      g.add(c.node.name);
    }
    let best = 0;
    for (const g of groups.values()) best = Math.max(best, g.size);
    if (best < needed) {
      const desc = [...groups.entries()].sort((a, b) => cmp(a[0], b[0])).map(([v, g]) => `${v}: ${g.size}`);
      fail([{ constraint: `on one value of ${same[i]!.key} (replicas-on-same; largest group)`, nodesLeft: best, rejected: desc }]);
    }
  }
  for (let i = 0; i < diff.length; i++) {
    const vals = new Set<string>();
    const unset = new Set<string>();
    for (const c of candidates) {
      const v = c.diffVals[i];
      if (v === undefined) unset.add(c.node.name);
      else vals.add(v);
    }
    const max = vals.size + unset.size;
    if (max < needed) {
      fail([
        {
          constraint: `selectable with replicas-on-different ${diff[i]!.key} (one node per value)`,
          nodesLeft: max,
          rejected: [`values left: ${vals.size > 0 ? [...vals].sort().join(', ') : 'none'}`, ...(unset.size > 0 ? [`${unset.size} without ${diff[i]!.key}`] : [])],
        },
      ]);
    }
  }

  // ---- rate
  const weights = autoplacerWeights(ctrl);
  rate(candidates, weights, pc, cluster);
  candidates.sort((a, b) => b.score - a.score || cmp(a.node.name, b.node.name) || cmp(a.pool.name, b.pool.name));

  // ---- select
  const chosen = select(candidates, needed, same.length, diff.length, sameFixed);
  if (!chosen) {
    fail([], 'no combination of nodes satisfies the replicas-on-same / replicas-on-different constraints together');
  }
  const picked = chosen!;
  const pickedNodes = new Set(picked.map((c) => c.node.name));
  return {
    resource: request.resource,
    needed,
    existing: existingDiskful.map((n) => n.name),
    diskful: picked.map((c) => ({
      node: c.node.name,
      storagePool: c.pool.name,
      provider: c.pool.provider,
      score: c.score,
      replacesDiskless: c.replacesDiskless,
    })),
    diskless: request.disklessOnRemaining ? eligibleForDiskless.filter((n) => !pickedNodes.has(n)) : [],
    funnel,
  };
}

const DEFAULT_MIN_THIN_FREE = { kind: 'percent', percent: 10 } as const;

function minThinFreeBytes(p: PlacementStoragePool, node: PlacementNode, request: PlacementRequest, cluster: PlacementCluster): number {
  const raw = resolveProperty('Autoplacer/MinThinFreeSpace', {
    'storage-pool': p.props,
    'resource-definition': request.resourceDefinitionProps,
    'resource-group': request.resourceGroupProps,
    node: node.props,
    controller: cluster.controllerProps,
  })?.value;
  const spec = (raw !== undefined && raw !== '10%' ? parseSizeOrPercent(raw) : undefined) ?? DEFAULT_MIN_THIN_FREE;
  if (spec.kind === 'percent') return Math.ceil(((p.totalBytes ?? 0) * spec.percent) / 100);
  return spec.bytes;
}

function rate(
  candidates: Candidate[],
  weights: Record<AutoplacerStrategy, number>,
  pc: PreparedCluster,
  cluster: PlacementCluster,
): void {
  const strategies: { name: AutoplacerStrategy; minimise: boolean; value: (c: Candidate) => number }[] = [
    { name: 'MaxFreeSpace', minimise: false, value: (c) => c.pool.freeBytes ?? 0 },
    {
      name: 'MinReservedSpace',
      minimise: true,
      value: (c) => c.pool.reservedBytes ?? pc.usageOf.get(c.pool)?.reserved ?? 0,
    },
    { name: 'MinRscCount', minimise: true, value: (c) => pc.usageOf.get(c.pool)?.rscCount ?? 0 },
    {
      name: 'MaxThroughput',
      minimise: false,
      value: (c) => {
        const max =
          parseDecimalProp(
            resolveProperty('Autoplacer/MaxThroughput', {
              'storage-pool': c.pool.props,
              'storage-pool-definition': cluster.storagePoolDefinitionProps?.[c.pool.name],
              controller: cluster.controllerProps,
            })?.value,
          ) ?? 0;
        return max - (pc.usageOf.get(c.pool)?.throughput ?? 0);
      },
    },
  ];
  for (const s of strategies) {
    const w = weights[s.name];
    if (w === 0) continue;
    const signed = s.minimise ? -w : w;
    const vals = candidates.map(s.value);
    let highest = Number.NEGATIVE_INFINITY;
    for (const v of vals) if (v !== 0 && v > highest) highest = v;
    for (let i = 0; i < candidates.length; i++) {
      const v = vals[i]!;
      const norm = highest !== Number.NEGATIVE_INFINITY ? v / highest : v;
      candidates[i]!.score += norm * signed;
    }
  }
}

/**
 * LINSTOR's selection: depth-first over the sorted candidates, one pool per node, honouring
 * replicas-on-same (all chosen share a value) and replicas-on-different (one chosen per value;
 * nodes without the key unrestricted); restarts from each next start index while a better
 * total score is still possible; the highest total wins (first found on ties).
 */
function select(
  cands: readonly Candidate[],
  needed: number,
  nSame: number,
  nDiff: number,
  sameFixed: readonly (string | undefined)[],
): Candidate[] | undefined {
  const chosenNodes = new Set<string>();
  const sameVal: (string | undefined)[] = [...sameFixed];
  const diffTaken: Set<string>[] = Array.from({ length: nDiff }, () => new Set<string>());
  const stack: Candidate[] = [];
  let budget = SEARCH_BUDGET;

  const allowed = (c: Candidate): boolean => {
    if (chosenNodes.has(c.node.name)) return false;
    for (let i = 0; i < nSame; i++) {
      const v = sameVal[i];
      if (v !== undefined && c.sameVals[i] !== v) return false;
    }
    for (let i = 0; i < nDiff; i++) {
      const v = c.diffVals[i];
      if (v !== undefined && diffTaken[i]!.has(v)) return false;
    }
    return true;
  };

  const dfs = (start: number): boolean => {
    if (stack.length === needed) return true;
    for (let idx = start; idx < cands.length; idx++) {
      if (cands.length - idx < needed - stack.length) return false;
      if (--budget <= 0) return false;
      const c = cands[idx]!;
      if (!allowed(c)) continue;
      // select
      chosenNodes.add(c.node.name);
      const prevSame: (string | undefined)[] = [];
      for (let i = 0; i < nSame; i++) {
        prevSame.push(sameVal[i]);
        if (sameVal[i] === undefined) sameVal[i] = c.sameVals[i];
      }
      const addedDiff: boolean[] = [];
      for (let i = 0; i < nDiff; i++) {
        const v = c.diffVals[i];
        const add = v !== undefined && !diffTaken[i]!.has(v);
        if (add) diffTaken[i]!.add(v!);
        addedDiff.push(add);
      }
      stack.push(c);
      if (dfs(idx + 1)) return true;
      // unselect
      stack.pop();
      chosenNodes.delete(c.node.name);
      for (let i = 0; i < nSame; i++) sameVal[i] = prevSame[i];
      for (let i = 0; i < nDiff; i++) if (addedDiff[i]) diffTaken[i]!.delete(c.diffVals[i]!);
      if (budget <= 0) return false;
    }
    return false;
  };

  const reset = (): void => {
    chosenNodes.clear();
    for (let i = 0; i < nSame; i++) sameVal[i] = sameFixed[i];
    for (const s of diffTaken) s.clear();
    stack.length = 0;
  };

  let best: Candidate[] | undefined;
  let bestScore = Number.NEGATIVE_INFINITY;
  for (let start = 0; start <= cands.length - needed && budget > 0; start++) {
    reset();
    if (dfs(start)) {
      const total = stack.reduce((s, c) => s + c.score, 0);
      if (total > bestScore) {
        best = [...stack];
        bestScore = total;
      }
    } else {
      // the search from `start` considered every later candidate: no selection starts later either
      break;
    }
    // upper bound of any selection starting at start+1
    const next = start + 1;
    if (next > cands.length - needed) break;
    let bound = 0;
    for (let i = 0; i < needed; i++) bound += cands[next + i]!.score;
    if (!(bound > bestScore)) break;
  }
  return best;
}
