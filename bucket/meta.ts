// Reading and writing `.meta` objects. Writing one commits a backup, so it happens last and only
// after every data object it names is present with the recorded size.
import { GetObjectCommand, HeadObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { backupIdOf, metaKeyOf, parseBackupId } from '../core/backup-names.js';
import { checkBackupMetaConsistency, dataKeysOf, ferryVolumeOf, parseBackupMeta, serializeBackupMeta, type BackupMeta } from '../core/backup-meta.js';
import { normalizeEtag, s3Call, S3OperationError } from './s3.js';

export class BackupNotFoundError extends Error {
  override readonly name = 'BackupNotFoundError';
  constructor(readonly bucket: string, readonly id: string, message?: string) {
    super(message ? `${message} in bucket '${bucket}'` : `backup ${id} not found in bucket '${bucket}' (no ${metaKeyOf(id)})`);
  }
}

export class BackupCommitError extends Error {
  override readonly name = 'BackupCommitError';
  constructor(readonly id: string, readonly problems: string[]) {
    super(`backup ${id} cannot be committed: ${problems.join('; ')}`);
  }
}

export interface ReadMetaResult {
  id: string;
  key: string;
  etag: string;
  meta: BackupMeta;
}

/** Reads and parses a backup's .meta; BackupNotFoundError when it does not exist. */
export async function readBackupMeta(s3: S3Client, bucket: string, idOrMetaKey: string, signal?: AbortSignal): Promise<ReadMetaResult> {
  const key = metaKeyOf(idOrMetaKey);
  let res;
  try {
    res = await s3Call({ s3, operation: 'GetObject', bucket, key }, () => s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }), { abortSignal: signal }));
  } catch (err) {
    if (err instanceof S3OperationError && err.kind === 'no-such-key') throw new BackupNotFoundError(bucket, backupIdOf(key));
    throw err;
  }
  const body = await res.Body!.transformToByteArray();
  return { id: backupIdOf(key), key, etag: normalizeEtag(res.ETag), meta: parseBackupMeta(body, `s3://${bucket}/${key}`) };
}

/** Size of an object, or undefined when it does not exist. */
export async function objectSize(s3: S3Client, bucket: string, key: string, signal?: AbortSignal): Promise<number | undefined> {
  try {
    const h = await s3Call({ s3, operation: 'HeadObject', bucket, key }, () => s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }), { abortSignal: signal }));
    return h.ContentLength ?? 0;
  } catch (err) {
    if (err instanceof S3OperationError && err.kind === 'no-such-key') return undefined;
    throw err;
  }
}

export interface WriteMetaOptions {
  s3: S3Client;
  bucket: string;
  /** backup id (or meta key) the meta is stored under */
  id: string;
  meta: BackupMeta;
  signal?: AbortSignal;
}

/**
 * Commits a backup: checks the meta against its id and itself, checks every data object exists
 * with the recorded size and that the parent backup is committed, then writes the .meta.
 * Idempotent: writing the same meta again is harmless.
 */
export async function writeBackupMeta(opts: WriteMetaOptions): Promise<{ key: string; etag: string }> {
  const { s3, bucket, meta, signal } = opts;
  const id = backupIdOf(opts.id);
  const parsedId = parseBackupId(id);
  const problems = checkBackupMetaConsistency(meta);
  if (parsedId.rsc !== meta.rscName) problems.push(`id names resource ${parsedId.rsc}, the meta ${meta.rscName}`);
  for (const { key } of dataKeysOf(meta)) {
    const size = await objectSize(s3, bucket, key, signal);
    const expected = ferryVolumeOf(meta, key)?.compressedBytes;
    if (size === undefined) problems.push(`data object ${key} is missing`);
    else if (expected !== undefined && size !== expected) problems.push(`data object ${key} has ${size} bytes, expected ${expected}`);
  }
  if (meta.basedOn) {
    if ((await objectSize(s3, bucket, metaKeyOf(meta.basedOn), signal)) === undefined) problems.push(`parent backup ${backupIdOf(meta.basedOn)} is not in the bucket`);
  }
  if (problems.length > 0) throw new BackupCommitError(id, problems);
  const key = metaKeyOf(id);
  const res = await s3Call({ s3, operation: 'PutObject', bucket, key }, () =>
    s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: serializeBackupMeta(meta), ContentType: 'application/json' }), { abortSignal: signal }));
  return { key, etag: normalizeEtag(res.ETag) };
}
