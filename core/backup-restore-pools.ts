// Which storage pool of the target node each volume of a backup is restored into, as LINSTOR's
// `backup restore --storpool-rename OLD=NEW` decides it: a renamed pool goes to NEW, a pool not
// named keeps its name. ferry adds `--storage-pool POOL` (every pool not renamed goes to POOL) and,
// for backups whose `.meta` records no pool (ferry before it did), the node's first LVM_THIN pool.
//
// Checked before anything is downloaded or created: every target pool exists on the node, has the
// source's provider (ferry receives LVM_THIN only), and all volumes land in one pool (ferry keeps a
// resource's volumes in one storage pool per node).
//
// Pure: no I/O.
import { ConflictError, NotFoundError, ValidationError } from './errors.js';
import type { SourcePool } from './backup-meta.js';

const POOL_NAME = /^[A-Za-z0-9_][A-Za-z0-9_-]{0,47}$/;

/**
 * `--storpool-rename` values as the guide's CLI takes them: each `OLD=NEW`, several per value
 * separated by commas, the option repeatable. Throws ValidationError naming the bad pair.
 */
export function parseStorPoolRename(values: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const pair of values.flatMap((v) => v.split(',')).map((p) => p.trim()).filter((p) => p !== '')) {
    const m = /^([^=]+)=([^=]+)$/.exec(pair);
    if (!m) throw new ValidationError('storpool-rename', `--storpool-rename '${pair}' is not OLD=NEW`);
    const [from, to] = [m[1]!.trim(), m[2]!.trim()];
    for (const n of [from, to]) if (!POOL_NAME.test(n)) throw new ValidationError('storpool-rename', `--storpool-rename '${pair}': '${n}' is not a storage pool name`);
    if (out[from] !== undefined && out[from] !== to) throw new ValidationError('storpool-rename', `--storpool-rename renames '${from}' twice (to '${out[from]}' and '${to}')`);
    out[from] = to;
  }
  return out;
}

/** Checks a rename map from REST (python-linstor's `stor_pool_map`: an object of OLD: NEW). */
export function storPoolMapFromJson(v: unknown): Record<string, string> {
  if (v === undefined || v === null) return {};
  if (typeof v !== 'object' || Array.isArray(v)) throw new ValidationError('stor_pool_map', 'stor_pool_map must be an object of OLD: NEW storage pool names');
  return parseStorPoolRename(Object.entries(v).map(([k, x]) => {
    if (typeof x !== 'string') throw new ValidationError('stor_pool_map', `stor_pool_map.${k} must be a storage pool name`);
    return `${k}=${x}`;
  }));
}

export interface TargetPool {
  name: string;
  provider: string;
  freeBytes?: number | null;
}

export interface RestoreVolumePool {
  vlmNr: number;
  /** the pool the backup recorded, or null when its .meta does not say */
  sourcePool: string | null;
  sourceProvider: string | null;
  targetPool: string;
}

export interface RestorePoolPlan {
  /** the one pool every volume goes to */
  storagePool: string;
  volumes: RestoreVolumePool[];
}

/**
 * Decides the target pool of each volume; throws ValidationError (a rename naming no pool of the
 * backup, volumes split over pools), NotFoundError (a target pool not on the node) or ConflictError
 * (a target pool of another provider) with the pool, the volume and what to do.
 */
export function resolveRestorePools(input: {
  node: string;
  volumes: readonly { vlmNr: number; source?: SourcePool }[];
  rename: Readonly<Record<string, string>>;
  /** `--storage-pool`: where every pool not renamed goes */
  storagePool?: string;
  targetPools: readonly TargetPool[];
}): RestorePoolPlan {
  const sources = [...new Set(input.volumes.flatMap((v) => (v.source ? [v.source.storagePool] : [])))];
  for (const from of Object.keys(input.rename)) {
    if (sources.includes(from)) continue;
    throw new ValidationError('storpool-rename', sources.length === 0
      ? `--storpool-rename names pool '${from}', but this backup does not record its storage pools (made by an older ferry or another tool); give --storage-pool POOL instead`
      : `--storpool-rename names pool '${from}', but the backup's volumes come from ${sources.map((s) => `'${s}'`).join(', ')}`);
  }
  const firstThin = input.targetPools.find((p) => p.provider === 'LVM_THIN')?.name;
  const volumes: RestoreVolumePool[] = input.volumes.map((v) => {
    const src = v.source?.storagePool;
    const target = (src !== undefined ? input.rename[src] : undefined) ?? input.storagePool ?? src ?? firstThin;
    if (target === undefined) throw new NotFoundError('storage pool', '', `node '${input.node}' has no LVM_THIN storage pool to restore into`);
    const pool = input.targetPools.find((p) => p.name === target);
    const origin = src !== undefined ? ` (volume ${v.vlmNr}, from the backup's pool '${src}')` : ` (volume ${v.vlmNr})`;
    if (!pool) {
      const hint = src !== undefined && input.rename[src] === undefined && input.storagePool === undefined ? `; map it to a pool of the node with --storpool-rename ${src}=POOL` : '';
      throw new NotFoundError('storage pool', target, `storage pool '${target}'${origin} does not exist on node '${input.node}'${hint}`);
    }
    const want = v.source?.provider ?? 'LVM_THIN';
    if (pool.provider !== want || pool.provider !== 'LVM_THIN') {
      throw new ConflictError('storage pool', target, 'state', `storage pool '${target}' on node '${input.node}'${origin} is ${pool.provider}; the backup's data is ${want} and ferry restores it into an LVM_THIN pool only`);
    }
    return { vlmNr: v.vlmNr, sourcePool: src ?? null, sourceProvider: v.source?.provider ?? null, targetPool: target };
  });
  const targets = [...new Set(volumes.map((v) => v.targetPool))];
  if (targets.length > 1) {
    throw new ValidationError('storpool-rename', `the volumes would go to different storage pools (${volumes.map((v) => `volume ${v.vlmNr}: '${v.targetPool}'`).join(', ')}); ferry keeps a resource's volumes in one storage pool per node, so rename them all to one pool`);
  }
  return { storagePool: targets[0] ?? firstThin ?? '', volumes };
}
