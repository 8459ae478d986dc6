// Deleting backups from a bucket, selected as core/backup-selection.ts says (id, prefix, filter,
// all), with LINSTOR's cascade rule: a backup that other backups are based on is deleted only with
// `cascade`, and then together with all its descendants (never its parents). The plan is computed first (and is all a dry run returns); deletion removes each
// backup's .meta first, un-committing it, then its data objects, descendants before ancestors.
import { DeleteObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { backupIdOf, parseBackupId } from '../core/backup-names.js';
import { baseBackupIdOf, dataKeysOf } from '../core/backup-meta.js';
import { s3Call } from './s3.js';
import { listBackups, type BackupListEntry } from './list.js';
import { BackupNotFoundError, readBackupMeta } from './meta.js';
import { describeSelector, NothingSelectedError, selectBackups, type BackupSelector, type SelectableBackup } from '../core/backup-selection.js';

export { DependentBackupsError as BackupHasDependentsError } from '../core/backup-selection.js';

export interface BackupDeletePlan {
  /** what was asked for, in words */
  selected: string;
  /** ids to delete, descendants first */
  backups: string[];
  /** every object key to delete, in deletion order */
  keys: string[];
  /** backups taken along by cascade */
  dependents: string[];
}

export interface DeleteBackupOptions {
  s3: S3Client;
  bucket: string;
  /** one backup (LINSTOR's `backup delete id`), or `selector` */
  id?: string;
  selector?: BackupSelector;
  cascade?: boolean;
  dryRun?: boolean;
  signal?: AbortSignal;
}

function keysOf(entry: BackupListEntry, metaDataKeys: string[]): string[] {
  const keys = entry.metaKey ? [entry.metaKey] : [];
  for (const k of [...entry.dataObjects.map((d) => d.key), ...metaDataKeys]) if (!keys.includes(k)) keys.push(k);
  return keys;
}

function selectorOf(opts: DeleteBackupOptions): BackupSelector {
  if (opts.selector) return opts.selector.kind === 'id' ? { kind: 'id', id: backupIdOf(opts.selector.id) } : opts.selector;
  if (opts.id === undefined) throw new Error('deleteBackup needs an id or a selector');
  return { kind: 'id', id: backupIdOf(opts.id) };
}

/**
 * What deleting the selected backups would remove; throws BackupHasDependentsError without cascade
 * when others are based on them, BackupNotFoundError when nothing matches.
 */
export async function planBackupDelete(opts: DeleteBackupOptions): Promise<BackupDeletePlan> {
  const selector = selectorOf(opts);
  // children share the resource name: a selection within one resource lists only that prefix
  const rsc = selector.kind === 'id' ? parseBackupId(selector.id).rsc : selector.kind === 'filter' ? selector.resource : undefined;
  const { backups } = await listBackups({ s3: opts.s3, bucket: opts.bucket, ...(rsc !== undefined ? { rsc } : {}), signal: opts.signal });
  // unfinished backups (no .meta) are selectable too: their data objects are what `delete` cleans up
  const committed = backups;
  const metaKeys = new Map<string, string[]>();
  const selectable: SelectableBackup[] = [];
  for (const b of committed) {
    const { meta } = !b.committed ? { meta: undefined } : await readBackupMeta(opts.s3, opts.bucket, b.id, opts.signal).catch(() => ({ meta: undefined }));
    if (meta) metaKeys.set(b.id, dataKeysOf(meta).map((d) => d.key));
    const parent = meta ? baseBackupIdOf(meta) : undefined;
    selectable.push({
      id: b.id, rsc: b.rsc, timestampMs: b.timestampMs,
      ...(meta?.nodeName !== undefined ? { node: meta.nodeName } : {}),
      ...(parent !== undefined ? { parent } : {}),
      ...(meta?.clusterId !== undefined ? { clusterId: meta.clusterId } : {}),
    });
  }
  let selection;
  try {
    selection = selectBackups(selectable, selector, Boolean(opts.cascade));
  } catch (e) {
    if (e instanceof NothingSelectedError) {
      if (selector.kind === 'id') throw new BackupNotFoundError(opts.bucket, selector.id);
      throw new BackupNotFoundError(opts.bucket, describeSelector(selector), e.message);
    }
    throw e;
  }
  const byId = new Map(committed.map((b) => [b.id, b]));
  const keys = selection.backups.flatMap((id) => keysOf(byId.get(id)!, metaKeys.get(id) ?? []));
  return { selected: describeSelector(selector), backups: selection.backups, keys, dependents: selection.dependents };
}

/** Deletes the selected backups (and with cascade their descendants). With dryRun only the plan is returned. */
export async function deleteBackup(opts: DeleteBackupOptions): Promise<BackupDeletePlan & { deleted: boolean }> {
  const plan = await planBackupDelete(opts);
  if (opts.dryRun) return { ...plan, deleted: false };
  for (const key of plan.keys) {
    await deleteObject(opts.s3, opts.bucket, key, opts.signal);
  }
  return { ...plan, deleted: true };
}

/** Deletes one object, whatever it is (S3 answers success for a key that is not there). */
export async function deleteObject(s3: S3Client, bucket: string, key: string, signal?: AbortSignal): Promise<void> {
  await s3Call({ s3, operation: 'DeleteObject', bucket, key }, () =>
    s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }), { abortSignal: signal }));
}
