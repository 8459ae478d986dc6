// Deleting backups from a bucket, with LINSTOR's cascade rule: a backup that other backups are
// based on is deleted only with `cascade`, and then together with all its descendants (never its
// parents). The plan is computed first (and is all a dry run returns); deletion removes each
// backup's .meta first, un-committing it, then its data objects, descendants before ancestors.
import { DeleteObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { backupIdOf, parseBackupId } from '../../../core/backup-names.js';
import { baseBackupIdOf, dataKeysOf } from '../../../core/backup-meta.js';
import { s3Call } from '../../node/backup/s3.js';
import { listBackups, type BackupListEntry } from './list.js';
import { BackupNotFoundError, readBackupMeta } from './meta.js';

export class BackupHasDependentsError extends Error {
  override readonly name = 'BackupHasDependentsError';
  constructor(readonly id: string, readonly dependents: string[]) {
    super(`backup ${id} cannot be deleted: ${dependents.length} backup(s) are based on it (${dependents.join(', ')}); use cascade to delete them too`);
  }
}

export interface BackupDeletePlan {
  id: string;
  /** ids to delete, descendants first */
  backups: string[];
  /** every object key to delete, in deletion order */
  keys: string[];
  /** direct children of the target */
  dependents: string[];
}

export interface DeleteBackupOptions {
  s3: S3Client;
  bucket: string;
  id: string;
  cascade?: boolean;
  dryRun?: boolean;
  signal?: AbortSignal;
}

function keysOf(entry: BackupListEntry, metaDataKeys: string[]): string[] {
  const keys = entry.metaKey ? [entry.metaKey] : [];
  for (const k of [...entry.dataObjects.map((d) => d.key), ...metaDataKeys]) if (!keys.includes(k)) keys.push(k);
  return keys;
}

/** What deleting `id` would remove; throws BackupHasDependentsError without cascade when others are based on it. */
export async function planBackupDelete(opts: DeleteBackupOptions): Promise<BackupDeletePlan> {
  const target = backupIdOf(opts.id);
  const { rsc, timestampMs } = parseBackupId(target);
  // children share the resource name and start later: list only that resource
  const { backups } = await listBackups({ s3: opts.s3, bucket: opts.bucket, rsc, signal: opts.signal });
  const entry = backups.find((b) => b.id === target);
  if (!entry) throw new BackupNotFoundError(opts.bucket, target);
  const children = new Map<string, string[]>();
  const metaKeys = new Map<string, string[]>();
  for (const b of backups) {
    if (!b.committed || b.timestampMs < timestampMs) continue;
    const { meta } = await readBackupMeta(opts.s3, opts.bucket, b.id, opts.signal).catch(() => ({ meta: undefined }));
    if (!meta) continue;
    metaKeys.set(b.id, dataKeysOf(meta).map((d) => d.key));
    const parent = baseBackupIdOf(meta);
    if (parent !== undefined && parent !== b.id) children.set(parent, [...(children.get(parent) ?? []), b.id]);
  }
  const dependents = children.get(target) ?? [];
  if (dependents.length > 0 && !opts.cascade) throw new BackupHasDependentsError(target, dependents);
  // descendants, breadth first; deleted in reverse (leaves first)
  const order = [target];
  for (let i = 0; i < order.length; i += 1) {
    for (const c of children.get(order[i]!) ?? []) if (!order.includes(c)) order.push(c);
  }
  order.reverse();
  const byId = new Map(backups.map((b) => [b.id, b]));
  const keys = order.flatMap((id) => keysOf(byId.get(id)!, metaKeys.get(id) ?? []));
  return { id: target, backups: order, keys, dependents };
}

/** Deletes a backup (and with cascade its descendants). With dryRun only the plan is returned. */
export async function deleteBackup(opts: DeleteBackupOptions): Promise<BackupDeletePlan & { deleted: boolean }> {
  const plan = await planBackupDelete(opts);
  if (opts.dryRun) return { ...plan, deleted: false };
  for (const key of plan.keys) {
    await s3Call({ s3: opts.s3, operation: 'DeleteObject', bucket: opts.bucket, key }, () =>
      opts.s3.send(new DeleteObjectCommand({ Bucket: opts.bucket, Key: key }), { abortSignal: opts.signal }));
  }
  return { ...plan, deleted: true };
}
