// The `.meta` object of a backup: LINSTOR's fields, so LINSTOR can read what ferry writes and the
// other way round, plus ferry's own fields under the `ferry` key (LINSTOR ignores unknown keys;
// LINSTOR-made files have no `ferry` key and still parse here).
//
// The `.meta` object is written last, after every data object is complete: it is the commit
// marker of a backup. A data object without its `.meta` is an unfinished backup.
//
// Pure: zod only, no I/O. Imported by workflow code.
import { z } from 'zod';
import { backupIdOf } from './backup-names.js';

// Format versions of ferry's fields (LINSTOR's fields never change with them):
//   1  every volume has uncompressedSha256, the SHA-256 of the stream thin_send wrote
//   2  uncompressedSha256 is optional and no longer written: the uncompressed stream goes from
//      thin_send into zstd without passing through the agent, which only learns its size (zstd's
//      count). Restore never checked it (per-part SHA-256 and zstd's frame checksum do); version 1
//      metas, with the field, still parse, list, verify and restore. ferry that reads only
//      version 1 refuses a version 2 meta with a message naming the version.
export const FERRY_META_FORMAT_VERSION = 2;

const props = z.record(z.string(), z.string());
/** LINSTOR writes flags as a bit mask (a Java long); tolerate strings and arrays from other writers. */
const flags = z.union([z.number(), z.string(), z.array(z.string())]);
const hex64 = z.string().regex(/^[0-9a-f]{64}$/, 'a lowercase hex SHA-256');

export const backupMetaVolumeDefinitionSchema = z.looseObject({
  snapVlmDfnProps: props.optional(),
  vlmDfnProps: props.optional(),
  flags: flags.optional(),
  /** volume size in KiB (LINSTOR's unit) */
  size: z.number().optional(),
});

export const backupMetaResourceDefinitionSchema = z.looseObject({
  snapDfnProps: props.optional(),
  rscDfnProps: props.optional(),
  flags: flags.optional(),
  vlmDfns: z.record(z.string(), backupMetaVolumeDefinitionSchema).optional(),
});

export const backupMetaVolumeSchema = z.looseObject({
  vlmProps: props.optional(),
  snapVlmProps: props.optional(),
  flags: flags.optional(),
});

export const backupMetaResourceSchema = z.looseObject({
  snapProps: props.optional(),
  rscProps: props.optional(),
  flags: flags.optional(),
  vlms: z.record(z.string(), backupMetaVolumeSchema).optional(),
});

export const backupMetaShipmentSchema = z.looseObject({
  /** data object key */
  name: z.string(),
  finishedTimestamp: z.number().optional(),
  node: z.string().optional(),
});

export const ferryPartSchema = z.object({
  partNumber: z.number().int().min(1).max(10_000),
  size: z.number().int().nonnegative(),
  sha256: hex64,
});

export const ferryVolumeSchema = z.looseObject({
  dataKey: z.string(),
  uncompressedBytes: z.number().int().nonnegative(),
  compressedBytes: z.number().int().nonnegative(),
  partSize: z.number().int().positive(),
  parts: z.array(ferryPartSchema),
  /** SHA-256 of the object as stored (the compressed stream) */
  sha256: hex64,
  /** SHA-256 of the uncompressed stream (what thin_send wrote); format version 1 only */
  uncompressedSha256: hex64.optional(),
});

export const ferryMetaSchema = z.looseObject({
  formatVersion: z.number().int().positive(),
  compression: z.literal('zstd'),
  compressionLevel: z.number().int().optional(),
  /** backup id of the parent, null for a full backup */
  baseBackupId: z.string().nullable(),
  /** backup ids from the full backup to this one, this one last */
  chain: z.array(z.string()).min(1),
  volumes: z.record(z.string().regex(/^\d+$/), ferryVolumeSchema),
});

export const backupMetaSchema = z.looseObject({
  rscName: z.string(),
  nodeName: z.string().optional(),
  startTimestamp: z.number(),
  finishTimestamp: z.number().optional(),
  /** meta key (LINSTOR) or id of the parent backup; absent or null for a full backup */
  basedOn: z.string().nullable().optional(),
  layerData: z.unknown().optional(),
  rscDfn: backupMetaResourceDefinitionSchema.optional(),
  rsc: backupMetaResourceSchema.optional(),
  luksInfo: z.looseObject({
    masterPassword: z.string().optional(),
    masterCryptHash: z.string().optional(),
    masterCryptSalt: z.string().optional(),
  }).nullable().optional(),
  backups: z.record(z.string().regex(/^\d+$/), z.array(backupMetaShipmentSchema)),
  clusterId: z.string().optional(),
  snapDfnUuid: z.string().optional(),
  ferry: ferryMetaSchema.optional(),
});

export type BackupMeta = z.infer<typeof backupMetaSchema>;
export type FerryMeta = z.infer<typeof ferryMetaSchema>;
export type FerryVolumeMeta = z.infer<typeof ferryVolumeSchema>;
export type FerryPartMeta = z.infer<typeof ferryPartSchema>;

export class BackupMetaError extends Error {
  override readonly name = 'BackupMetaError';
}

/**
 * Parses a `.meta` body (string, bytes or already-parsed JSON). Unknown fields are kept; missing
 * optional LINSTOR fields are fine. Throws BackupMetaError naming the source and the bad field.
 */
export function parseBackupMeta(body: string | Uint8Array | unknown, source = '.meta'): BackupMeta {
  let json: unknown = body;
  if (typeof body === 'string' || body instanceof Uint8Array) {
    const text = typeof body === 'string' ? body : new TextDecoder().decode(body);
    try {
      json = JSON.parse(text);
    } catch (e) {
      throw new BackupMetaError(`${source} is not JSON: ${(e as Error).message}`);
    }
  }
  const r = backupMetaSchema.safeParse(json);
  if (!r.success) {
    const issues = r.error.issues.slice(0, 5).map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
    throw new BackupMetaError(`${source} is not a valid backup metadata file: ${issues}`);
  }
  if (r.data.ferry && r.data.ferry.formatVersion > FERRY_META_FORMAT_VERSION) {
    throw new BackupMetaError(`${source} has ferry format version ${r.data.ferry.formatVersion}; this ferry reads up to ${FERRY_META_FORMAT_VERSION}`);
  }
  return r.data;
}

/** The JSON body to store (stable key order as given, no whitespace). */
export function serializeBackupMeta(meta: BackupMeta): string {
  return JSON.stringify(backupMetaSchema.parse(meta));
}

/** Backup id of the parent, or undefined for a full backup. Accepts LINSTOR's meta-key form. */
export function baseBackupIdOf(meta: BackupMeta): string | undefined {
  if (meta.basedOn) return backupIdOf(meta.basedOn);
  if (meta.ferry?.baseBackupId) return meta.ferry.baseBackupId;
  return undefined;
}

/** Every data key the backup refers to, with its volume number, ordered by volume. */
export function dataKeysOf(meta: BackupMeta): { vlmNr: number; key: string }[] {
  const out: { vlmNr: number; key: string }[] = [];
  for (const [vlm, shipments] of Object.entries(meta.backups)) {
    for (const s of shipments) out.push({ vlmNr: Number(vlm), key: s.name });
  }
  if (meta.ferry) {
    for (const [vlm, v] of Object.entries(meta.ferry.volumes)) {
      if (!out.some((o) => o.key === v.dataKey)) out.push({ vlmNr: Number(vlm), key: v.dataKey });
    }
  }
  return out.sort((a, b) => a.vlmNr - b.vlmNr || a.key.localeCompare(b.key));
}

/** ferry's per-volume record for a data key, if the backup was written by ferry. */
export function ferryVolumeOf(meta: BackupMeta, dataKey: string): FerryVolumeMeta | undefined {
  if (!meta.ferry) return undefined;
  return Object.values(meta.ferry.volumes).find((v) => v.dataKey === dataKey);
}

/** Internal consistency of a meta (parts sum to the object size, part numbers 1..n, same keys in both views). */
export function checkBackupMetaConsistency(meta: BackupMeta): string[] {
  const problems: string[] = [];
  if (!meta.ferry) return problems;
  for (const [vlm, v] of Object.entries(meta.ferry.volumes)) {
    const sum = v.parts.reduce((a, p) => a + p.size, 0);
    if (sum !== v.compressedBytes) problems.push(`volume ${vlm}: parts add up to ${sum} bytes, compressedBytes says ${v.compressedBytes}`);
    v.parts.forEach((p, i) => {
      if (p.partNumber !== i + 1) problems.push(`volume ${vlm}: part ${i + 1} is numbered ${p.partNumber}`);
      if (i < v.parts.length - 1 && p.size !== v.partSize) problems.push(`volume ${vlm}: part ${p.partNumber} has ${p.size} bytes, not the part size ${v.partSize}`);
    });
    const listed = meta.backups[vlm]?.map((s) => s.name) ?? [];
    if (!listed.includes(v.dataKey)) problems.push(`volume ${vlm}: ${v.dataKey} is not listed in backups.${vlm}`);
  }
  const ferryBase = meta.ferry.baseBackupId;
  const linstorBase = meta.basedOn ? backupIdOf(meta.basedOn) : null;
  if (ferryBase !== linstorBase) problems.push(`basedOn (${linstorBase ?? 'none'}) and ferry.baseBackupId (${ferryBase ?? 'none'}) disagree`);
  return problems;
}

export interface BuildBackupMetaVolume {
  vlmNr: number;
  /** volume size in KiB */
  sizeKiB: number;
  /** the storage pool the volume was shipped from (recorded in layerData as LINSTOR does) */
  storagePool?: string;
  dataKey: string;
  uncompressedBytes: number;
  compressedBytes: number;
  partSize: number;
  parts: FerryPartMeta[];
  sha256: string;
  /** written by ferry before format version 2 only */
  uncompressedSha256?: string;
}

export interface BuildBackupMetaInput {
  rscName: string;
  nodeName: string;
  startTimestamp: number;
  finishTimestamp: number;
  /** the parent backup (id or meta key) and its chain; omitted for a full backup */
  base?: { id: string; chain: readonly string[] };
  /** this backup's id (for the chain) */
  id: string;
  volumes: readonly BuildBackupMetaVolume[];
  clusterId?: string;
  snapDfnUuid?: string;
  compressionLevel?: number;
  snapDfnProps?: Record<string, string>;
  rscDfnProps?: Record<string, string>;
  layerData?: unknown;
}

/**
 * LINSTOR's layer tree of the shipped data: one storage layer (suffix ""), each volume with its
 * storage pool under `storPoolApi` (LINSTOR's StorageRscPojo / StorPoolPojo as Jackson writes them:
 * `kind` names the subtype, sizes in KiB). ferry ships from LVM_THIN pools only.
 */
function storageLayerData(volumes: readonly BuildBackupMetaVolume[]): StorageLayerData {
  return {
    kind: 'storage', rscNameSuffix: '', children: [],
    vlms: volumes.map((v) => ({
      kind: 'lvmThin', vlmNr: v.vlmNr, allocatedSize: v.sizeKiB, usableSize: v.sizeKiB, snapshotAllocatedSize: v.sizeKiB, snapshotUsableSize: v.sizeKiB,
      ...(v.storagePool !== undefined ? { storPoolApi: { kind: 'storPool', storPoolName: v.storagePool, deviceProviderKind: 'LVM_THIN' } } : {}),
    })),
  };
}

interface StorageLayerData {
  kind: 'storage';
  rscNameSuffix: string;
  children: unknown[];
  vlms: { kind: string; vlmNr: number; allocatedSize: number; usableSize: number; snapshotAllocatedSize: number; snapshotUsableSize: number; storPoolApi?: { kind: 'storPool'; storPoolName: string; deviceProviderKind: string } }[];
}

/** Where a volume's data came from: its storage pool and that pool's provider, as the `.meta` records them. */
export interface SourcePool {
  storagePool: string;
  /** LINSTOR's DeviceProviderKind, e.g. LVM_THIN; absent when the meta does not say */
  provider?: string;
}

/**
 * The source storage pool of each volume (by volume number), read from the storage layer of
 * `layerData` wherever it sits in the layer tree (ferry writes it at the top; LINSTOR under DRBD,
 * LUKS, ...), the data layer (suffix "") only. Volumes without a recorded pool are absent: metas of
 * ferry before this field, or written by other tools.
 */
export function sourcePoolsOf(meta: BackupMeta): Map<number, SourcePool> {
  const out = new Map<number, SourcePool>();
  const visit = (node: unknown): void => {
    if (!node || typeof node !== 'object') return;
    const n = node as { kind?: unknown; rscNameSuffix?: unknown; children?: unknown; vlms?: unknown };
    if (typeof n.kind === 'string' && n.kind.toLowerCase() === 'storage' && (n.rscNameSuffix ?? '') === '' && Array.isArray(n.vlms)) {
      for (const v of n.vlms as { vlmNr?: unknown; storPoolApi?: { storPoolName?: unknown; deviceProviderKind?: unknown } }[]) {
        const name = v?.storPoolApi?.storPoolName;
        if (typeof v?.vlmNr !== 'number' || typeof name !== 'string' || name === '') continue;
        const provider = v.storPoolApi?.deviceProviderKind;
        out.set(v.vlmNr, { storagePool: name, ...(typeof provider === 'string' ? { provider } : {}) });
      }
    }
    if (Array.isArray(n.children)) n.children.forEach(visit);
  };
  visit(meta.layerData);
  return out;
}

/** A meta in LINSTOR's shape with ferry's fields filled in. basedOn is written as the parent's meta key, as LINSTOR does. */
export function buildBackupMeta(input: BuildBackupMetaInput): BackupMeta {
  const baseId = input.base ? backupIdOf(input.base.id) : null;
  const vlmDfns: Record<string, z.infer<typeof backupMetaVolumeDefinitionSchema>> = {};
  const vlms: Record<string, z.infer<typeof backupMetaVolumeSchema>> = {};
  const backups: Record<string, z.infer<typeof backupMetaShipmentSchema>[]> = {};
  const volumes: Record<string, FerryVolumeMeta> = {};
  for (const v of input.volumes) {
    const n = String(v.vlmNr);
    vlmDfns[n] = { snapVlmDfnProps: {}, vlmDfnProps: {}, flags: 0, size: v.sizeKiB };
    vlms[n] = { vlmProps: {}, snapVlmProps: {}, flags: 0 };
    backups[n] = [{ name: v.dataKey, finishedTimestamp: input.finishTimestamp, node: input.nodeName }];
    volumes[n] = {
      dataKey: v.dataKey, uncompressedBytes: v.uncompressedBytes, compressedBytes: v.compressedBytes, partSize: v.partSize,
      parts: v.parts.map((p) => ({ partNumber: p.partNumber, size: p.size, sha256: p.sha256 })), sha256: v.sha256,
      ...(v.uncompressedSha256 !== undefined ? { uncompressedSha256: v.uncompressedSha256 } : {}),
    };
  }
  const meta: BackupMeta = {
    rscName: input.rscName,
    nodeName: input.nodeName,
    startTimestamp: input.startTimestamp,
    finishTimestamp: input.finishTimestamp,
    ...(baseId ? { basedOn: `${baseId}.meta` } : {}),
    layerData: input.layerData ?? storageLayerData(input.volumes),
    rscDfn: { snapDfnProps: input.snapDfnProps ?? {}, rscDfnProps: input.rscDfnProps ?? {}, flags: 0, vlmDfns },
    rsc: { snapProps: {}, rscProps: {}, flags: 0, vlms },
    backups,
    ...(input.clusterId !== undefined ? { clusterId: input.clusterId } : {}),
    ...(input.snapDfnUuid !== undefined ? { snapDfnUuid: input.snapDfnUuid } : {}),
    ferry: {
      formatVersion: FERRY_META_FORMAT_VERSION,
      compression: 'zstd',
      ...(input.compressionLevel !== undefined ? { compressionLevel: input.compressionLevel } : {}),
      baseBackupId: baseId,
      chain: [...(input.base?.chain ?? []), backupIdOf(input.id)],
      volumes,
    },
  };
  return backupMetaSchema.parse(meta);
}
