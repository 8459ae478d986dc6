// Listing a bucket's backups. Single-resource queries list only the `<rsc>_` prefix (never the
// whole bucket); every listing is paginated (ListObjectsV2, 1000 keys a page), so a bucket of any
// size is read in bounded memory per page and bounded time per request.
import { ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { parseBackupKey, resourceKeyPrefix } from '../core/backup-names.js';
import { s3Call } from './s3.js';

export interface ObjectInfo {
  key: string;
  size: number;
  lastModified: Date | undefined;
  etag: string | undefined;
}

/** Every object under a prefix, page by page. */
export async function* listObjects(s3: S3Client, bucket: string, prefix = '', pageSize = 1000, signal?: AbortSignal): AsyncGenerator<ObjectInfo> {
  let token: string | undefined;
  do {
    const res = await s3Call({ s3, operation: 'ListObjectsV2', bucket }, () =>
      s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix || undefined, ContinuationToken: token, MaxKeys: pageSize }), { abortSignal: signal }));
    for (const o of res.Contents ?? []) {
      if (o.Key !== undefined) yield { key: o.Key, size: o.Size ?? 0, lastModified: o.LastModified, etag: o.ETag };
    }
    token = res.IsTruncated ? res.NextContinuationToken : undefined;
  } while (token);
}

export interface BackupDataObject {
  vlmNr: number;
  key: string;
  size: number;
  lastModified: Date | undefined;
}

export interface BackupListEntry {
  id: string;
  rsc: string;
  /** `yyyyMMdd_HHmmss` (UTC for ferry, the node's zone for LINSTOR) */
  timestamp: string;
  timestampMs: number;
  suffix: string;
  snapName: string;
  /** the .meta key when the backup is committed */
  metaKey: string | undefined;
  /** true when the .meta exists (written last, after all data objects) */
  committed: boolean;
  dataObjects: BackupDataObject[];
  /** compressed bytes of all data objects */
  size: number;
}

export interface BackupListing {
  backups: BackupListEntry[];
  /** keys that are not backups (LINSTOR's `backup list --other`) */
  other: ObjectInfo[];
}

export interface ListBackupsOptions {
  s3: S3Client;
  bucket: string;
  /** only this resource's backups: lists the `<rsc>_` prefix only */
  rsc?: string;
  /** only backups with this key suffix */
  s3Suffix?: string;
  pageSize?: number;
  signal?: AbortSignal;
}

/** Backups in the bucket (or of one resource), oldest first, grouped by id, committed or not. */
export async function listBackups(opts: ListBackupsOptions): Promise<BackupListing> {
  const prefix = opts.rsc !== undefined ? resourceKeyPrefix(opts.rsc) : '';
  const byId = new Map<string, BackupListEntry>();
  const other: ObjectInfo[] = [];
  for await (const o of listObjects(opts.s3, opts.bucket, prefix, opts.pageSize, opts.signal)) {
    const p = parseBackupKey(o.key);
    if (p.kind === 'other') {
      other.push(o);
      continue;
    }
    // `db0_` also lists `db0_x`'s keys: not ours, not "other" either
    if (opts.rsc !== undefined && p.rsc !== opts.rsc) continue;
    if (opts.s3Suffix !== undefined && p.suffix !== opts.s3Suffix) continue;
    let e = byId.get(p.backupId);
    if (!e) {
      e = { id: p.backupId, rsc: p.rsc, timestamp: p.timestamp, timestampMs: p.timestampMs, suffix: p.suffix, snapName: p.snapName, metaKey: undefined, committed: false, dataObjects: [], size: 0 };
      byId.set(p.backupId, e);
    }
    if (p.kind === 'meta') {
      e.metaKey = o.key;
      e.committed = true;
    } else {
      e.dataObjects.push({ vlmNr: p.vlmNr, key: o.key, size: o.size, lastModified: o.lastModified });
      e.size += o.size;
    }
  }
  const backups = [...byId.values()].sort((a, b) => a.timestampMs - b.timestampMs || a.id.localeCompare(b.id));
  for (const b of backups) b.dataObjects.sort((x, y) => x.vlmNr - y.vlmNr);
  return { backups, other };
}
