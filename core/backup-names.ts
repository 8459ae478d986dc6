// Object keys of backups in an S3 bucket, compatible with the names LINSTOR gives them, so that a
// bucket written by LINSTOR can be listed and restored by ferry and the other way round.
//
//   data  <rsc>_<vlmNr:05d>_back_<yyyyMMdd_HHmmss><s3Suffix>[^<snapName>]
//   meta  <rsc>_back_<yyyyMMdd_HHmmss><s3Suffix>[^<snapName>].meta
//   id    the meta key without ".meta"
//
// `^<snapName>` is present only when the snapshot name is not the default `back_<timestamp>`.
// All keys live at the bucket root; everything else in a bucket is classified as "other".
//
// Time zone: LINSTOR renders the timestamp in the satellite's default time zone, so the same
// backup gets different names on differently configured nodes. ferry always renders UTC. A
// LINSTOR key made in another zone still parses (the timestamp is then read as if it were UTC;
// only ordering between zones can be off, never the identity of a backup).
//
// Pure: no I/O, no Node modules. Imported by workflow code.

/** Resource names as they appear in keys. LINSTOR's own parser wants 2..48 characters; ferry names may be 1 long. */
export const KEY_RESOURCE_NAME = /^[A-Za-z0-9_-]{1,48}$/;
/** Snapshot names as they appear after `^`. */
export const KEY_SNAPSHOT_NAME = /^[A-Za-z0-9_-]{1,48}$/;
/** The S3 key suffix (controller setting `BackupShipping/S3KeySuffix` in LINSTOR): no `^`, no `/`. */
export const KEY_S3_SUFFIX = /^[A-Za-z0-9._-]{0,64}$/;

export const META_EXTENSION = '.meta';
export const MAX_VOLUME_NUMBER = 99_999;

export class BackupNameError extends Error {
  override readonly name = 'BackupNameError';
}

const pad = (n: number, width: number): string => String(n).padStart(width, '0');

/** `yyyyMMdd_HHmmss` of an epoch-milliseconds instant, in UTC. Sub-second precision is dropped. */
export function formatBackupTimestamp(epochMs: number): string {
  if (!Number.isFinite(epochMs)) throw new BackupNameError(`backup timestamp must be a finite number of milliseconds, got ${epochMs}`);
  const d = new Date(epochMs);
  const year = d.getUTCFullYear();
  if (year < 1000 || year > 9999) throw new BackupNameError(`backup timestamp ${epochMs} is outside years 1000..9999`);
  return `${pad(year, 4)}${pad(d.getUTCMonth() + 1, 2)}${pad(d.getUTCDate(), 2)}_${pad(d.getUTCHours(), 2)}${pad(d.getUTCMinutes(), 2)}${pad(d.getUTCSeconds(), 2)}`;
}

const TIMESTAMP_RE = /^(\d{4})(\d{2})(\d{2})_(\d{2})(\d{2})(\d{2})$/;

/** Epoch milliseconds (UTC) of a `yyyyMMdd_HHmmss` string, or undefined when it is not a real date and time. */
export function parseBackupTimestamp(ts: string): number | undefined {
  const m = TIMESTAMP_RE.exec(ts);
  if (!m) return undefined;
  const [y, mo, d, h, mi, s] = m.slice(1).map(Number) as [number, number, number, number, number, number];
  const ms = Date.UTC(y, mo - 1, d, h, mi, s);
  // reject 20210231_256199 and friends: the rendering must round-trip
  return formatBackupTimestamp(ms) === ts ? ms : undefined;
}

/** The snapshot name `backup create` uses when none is given: `back_<yyyyMMdd_HHmmss>`. */
export function defaultSnapshotName(startTimestampMs: number): string {
  return `back_${formatBackupTimestamp(startTimestampMs)}`;
}

export interface BackupNameInput {
  /** resource name */
  rsc: string;
  /** start of the backup, epoch ms; names carry it to the second, in UTC */
  startTimestamp: number;
  /** key suffix distinguishing clusters sharing a bucket; default "" */
  s3Suffix?: string;
  /** snapshot name; omitted or equal to the default `back_<ts>` means no `^<snap>` in the key */
  snapName?: string;
}

function validate(input: BackupNameInput): { rsc: string; ts: string; suffix: string; snapPart: string } {
  const { rsc, startTimestamp, s3Suffix = '', snapName } = input;
  if (!KEY_RESOURCE_NAME.test(rsc)) throw new BackupNameError(`resource name '${rsc}' cannot be used in a backup key: allowed are 1 to 48 of A-Z a-z 0-9 _ -`);
  if (!KEY_S3_SUFFIX.test(s3Suffix) || s3Suffix.endsWith(META_EXTENSION)) {
    throw new BackupNameError(`S3 key suffix '${s3Suffix}' is not allowed: up to 64 of A-Z a-z 0-9 . _ -, not ending in ${META_EXTENSION}`);
  }
  const ts = formatBackupTimestamp(startTimestamp);
  let snapPart = '';
  if (snapName !== undefined && snapName !== `back_${ts}`) {
    if (!KEY_SNAPSHOT_NAME.test(snapName)) throw new BackupNameError(`snapshot name '${snapName}' cannot be used in a backup key: allowed are 1 to 48 of A-Z a-z 0-9 _ -`);
    snapPart = `^${snapName}`;
  }
  return { rsc, ts, suffix: s3Suffix, snapPart };
}

/** Backup id: `<rsc>_back_<ts><suffix>[^<snap>]`. */
export function backupId(input: BackupNameInput): string {
  const v = validate(input);
  return `${v.rsc}_back_${v.ts}${v.suffix}${v.snapPart}`;
}

/** Key of the metadata object: the backup id plus `.meta`. */
export function metaKey(input: BackupNameInput): string {
  return `${backupId(input)}${META_EXTENSION}`;
}

/** Key of one volume's data object. */
export function dataKey(input: BackupNameInput & { vlmNr: number }): string {
  const { vlmNr } = input;
  if (!Number.isInteger(vlmNr) || vlmNr < 0 || vlmNr > MAX_VOLUME_NUMBER) {
    throw new BackupNameError(`volume number ${vlmNr} cannot be used in a backup key: allowed are integers 0..${MAX_VOLUME_NUMBER}`);
  }
  const v = validate(input);
  return `${v.rsc}_${pad(vlmNr, 5)}_back_${v.ts}${v.suffix}${v.snapPart}`;
}

/** `x.meta` → `x`; ids are returned unchanged. */
export function backupIdOf(metaKeyOrId: string): string {
  return metaKeyOrId.endsWith(META_EXTENSION) ? metaKeyOrId.slice(0, -META_EXTENSION.length) : metaKeyOrId;
}

/** `x` → `x.meta`; meta keys are returned unchanged. */
export function metaKeyOf(idOrMetaKey: string): string {
  return idOrMetaKey.endsWith(META_EXTENSION) ? idOrMetaKey : `${idOrMetaKey}${META_EXTENSION}`;
}

/**
 * Prefix that lists every key of one resource (and, because `_` may occur in names, possibly of
 * resources whose names start with `<rsc>_`: filter the listing with parseBackupKey).
 */
export function resourceKeyPrefix(rsc: string): string {
  if (!KEY_RESOURCE_NAME.test(rsc)) throw new BackupNameError(`resource name '${rsc}' cannot be used in a backup key: allowed are 1 to 48 of A-Z a-z 0-9 _ -`);
  return `${rsc}_`;
}

interface ParsedCommon {
  key: string;
  rsc: string;
  /** `yyyyMMdd_HHmmss` as found in the key */
  timestamp: string;
  /** the timestamp read as UTC, epoch ms */
  timestampMs: number;
  suffix: string;
  /** the snapshot name: from `^<snap>` or, when absent, the default `back_<timestamp>` */
  snapName: string;
  /** true when the key carried `^<snap>` */
  explicitSnapName: boolean;
  /** the backup this key belongs to */
  backupId: string;
}

export interface ParsedDataKey extends ParsedCommon {
  kind: 'data';
  vlmNr: number;
}
export interface ParsedMetaKey extends ParsedCommon {
  kind: 'meta';
}
export interface OtherKey {
  kind: 'other';
  key: string;
}
export type ParsedBackupKey = ParsedDataKey | ParsedMetaKey | OtherKey;

// The resource part is greedy and may contain `_`; the fixed `_back_<ts>` anchors the rest.
// Suffix: anything without `^` or `/`. Snapshot: after the single `^`.
const META_RE = /^([A-Za-z0-9_-]{1,48})_back_(\d{8}_\d{6})([^^/]*?)(?:\^([A-Za-z0-9_-]{1,48}))?\.meta$/;
const DATA_RE = /^([A-Za-z0-9_-]{1,48})_(\d{5})_back_(\d{8}_\d{6})([^^/]*?)(?:\^([A-Za-z0-9_-]{1,48}))?$/;

/** Classifies a key of the bucket as a backup data object, a backup metadata object, or other. */
export function parseBackupKey(key: string): ParsedBackupKey {
  const meta = META_RE.exec(key);
  if (meta) {
    const [, rsc, ts, suffix, snap] = meta as unknown as [string, string, string, string, string | undefined];
    const ms = parseBackupTimestamp(ts);
    if (ms !== undefined) {
      return {
        kind: 'meta', key, rsc, timestamp: ts, timestampMs: ms, suffix,
        snapName: snap ?? `back_${ts}`, explicitSnapName: snap !== undefined,
        backupId: key.slice(0, -META_EXTENSION.length),
      };
    }
  }
  const data = key.endsWith(META_EXTENSION) ? null : DATA_RE.exec(key);
  if (data) {
    const [, rsc, vlm, ts, suffix, snap] = data as unknown as [string, string, string, string, string, string | undefined];
    const ms = parseBackupTimestamp(ts);
    if (ms !== undefined) {
      return {
        kind: 'data', key, rsc, vlmNr: Number(vlm), timestamp: ts, timestampMs: ms, suffix,
        snapName: snap ?? `back_${ts}`, explicitSnapName: snap !== undefined,
        backupId: `${rsc}_back_${ts}${suffix}${snap !== undefined ? `^${snap}` : ''}`,
      };
    }
  }
  return { kind: 'other', key };
}

/** Parses a backup id or meta key; throws BackupNameError when it is neither. */
export function parseBackupId(idOrMetaKey: string): ParsedMetaKey {
  const parsed = parseBackupKey(metaKeyOf(idOrMetaKey));
  if (parsed.kind !== 'meta') throw new BackupNameError(`'${idOrMetaKey}' is not a backup id (expected <rsc>_back_<yyyyMMdd_HHmmss>[suffix][^snapshot])`);
  return parsed;
}

/** Data key of volume `vlmNr` of the backup `id` (the inverse of ParsedDataKey.backupId). */
export function dataKeyOfBackup(idOrMetaKey: string, vlmNr: number): string {
  const p = parseBackupId(idOrMetaKey);
  return dataKey({ rsc: p.rsc, startTimestamp: p.timestampMs, s3Suffix: p.suffix, snapName: p.explicitSnapName ? p.snapName : undefined, vlmNr });
}
