// `backup verify`: checks a backup without restoring it. For the backup and every backup it is
// based on (following basedOn to the full one): the .meta parses and is consistent, every data
// object exists with the recorded size, and (unless `readData` is false) every part's SHA-256 and
// the whole object's SHA-256 match, by reading the objects with ranged GETs. Problems are
// collected, not thrown, so one report names everything that is wrong.
import { createHash } from 'node:crypto';
import type { S3Client } from '@aws-sdk/client-s3';
import { backupIdOf } from '../core/backup-names.js';
import { baseBackupIdOf, checkBackupMetaConsistency, dataKeysOf, ferryVolumeOf, type BackupMeta } from '../core/backup-meta.js';
import { ChecksumMismatchError, fetchRange } from './download.js';
import { BackupNotFoundError, objectSize, readBackupMeta } from './meta.js';

export interface VerifyProblem {
  backupId: string;
  key?: string;
  partNumber?: number;
  problem: string;
}

export interface VerifiedBackup {
  id: string;
  objects: number;
  bytesRead: number;
  /** false for backups whose .meta has no ferry checksums (e.g. made by LINSTOR): presence and size only */
  checksummed: boolean;
}

export interface BackupVerifyReport {
  id: string;
  ok: boolean;
  /** backup ids from the full backup to the verified one, as far as the chain could be followed */
  chain: string[];
  backups: VerifiedBackup[];
  problems: VerifyProblem[];
  warnings: VerifyProblem[];
}

export interface VerifyBackupOptions {
  s3: S3Client;
  bucket: string;
  id: string;
  /** read the data and check checksums; default true (false: presence and sizes only) */
  readData?: boolean;
  /** check the parents too; default true */
  followChain?: boolean;
  /** ranges read at once per object; default 4 */
  concurrency?: number;
  signal?: AbortSignal;
  onProgress?: (bytesRead: number) => void;
}

async function verifyOne(opts: VerifyBackupOptions, id: string, meta: BackupMeta, report: BackupVerifyReport, counter: { bytes: number }): Promise<void> {
  const { s3, bucket } = opts;
  const problem = (p: Omit<VerifyProblem, 'backupId'>): void => { report.problems.push({ backupId: id, ...p }); };
  for (const p of checkBackupMetaConsistency(meta)) problem({ problem: `metadata: ${p}` });
  const entry: VerifiedBackup = { id, objects: 0, bytesRead: 0, checksummed: meta.ferry !== undefined };
  report.backups.push(entry);
  if (!meta.ferry) report.warnings.push({ backupId: id, problem: 'no checksums recorded (not written by ferry): checked presence only' });
  for (const { key } of dataKeysOf(meta)) {
    entry.objects += 1;
    const size = await objectSize(s3, bucket, key, opts.signal);
    const vol = ferryVolumeOf(meta, key);
    if (size === undefined) {
      problem({ key, problem: 'data object is missing' });
      continue;
    }
    if (!vol) continue;
    if (size !== vol.compressedBytes) {
      problem({ key, problem: `data object has ${size} bytes, the metadata says ${vol.compressedBytes}` });
      continue;
    }
    if (opts.readData === false) continue;
    const whole = createHash('sha256');
    let start = 0;
    const ranges = vol.parts.map((p) => { const r = { partNumber: p.partNumber, start, size: p.size, sha256: p.sha256 }; start += p.size; return r; });
    const window = Math.max(1, opts.concurrency ?? 4);
    let wholeKnown = true;
    for (let i = 0; i < ranges.length; i += window) {
      const batch = ranges.slice(i, i + window);
      const results = await Promise.allSettled(batch.map((r) => fetchRange(s3, bucket, key, r, opts.signal)));
      results.forEach((res, j) => {
        const r = batch[j]!;
        if (res.status === 'fulfilled') {
          whole.update(res.value);
          entry.bytesRead += res.value.length;
          counter.bytes += res.value.length;
        } else {
          wholeKnown = false;
          const e = res.reason as Error;
          problem({ key, partNumber: r.partNumber, problem: e instanceof ChecksumMismatchError ? `part ${r.partNumber}: sha256 ${e.actual}, expected ${e.expected}` : `part ${r.partNumber}: ${e.message}` });
        }
      });
      opts.onProgress?.(counter.bytes);
    }
    if (wholeKnown) {
      const actual = whole.digest('hex');
      if (actual !== vol.sha256) problem({ key, problem: `whole object sha256 ${actual}, expected ${vol.sha256}` });
    }
  }
}

/** Verifies a backup and (by default) its chain; never throws for what it finds, only for S3 failures such as access denied. */
export async function verifyBackup(opts: VerifyBackupOptions): Promise<BackupVerifyReport> {
  const target = backupIdOf(opts.id);
  const report: BackupVerifyReport = { id: target, ok: false, chain: [], backups: [], problems: [], warnings: [] };
  const counter = { bytes: 0 };
  const seen = new Set<string>();
  let id: string | undefined = target;
  let child: string | undefined;
  let recordedChain: string[] | undefined;
  while (id !== undefined) {
    if (seen.has(id)) {
      report.problems.push({ backupId: id, problem: `chain loops back to ${id}` });
      break;
    }
    seen.add(id);
    let meta: BackupMeta;
    try {
      meta = (await readBackupMeta(opts.s3, opts.bucket, id, opts.signal)).meta;
    } catch (err) {
      const what = err instanceof BackupNotFoundError ? 'metadata object is missing' : (err as Error).message;
      report.problems.push({ backupId: id, key: `${id}.meta`, problem: child ? `parent of ${child}: ${what} (chain broken)` : what });
      if (!(err instanceof BackupNotFoundError) && !(err instanceof Error && err.name === 'BackupMetaError')) throw err;
      break;
    }
    report.chain.unshift(id);
    recordedChain ??= meta.ferry?.chain;
    await verifyOne(opts, id, meta, report, counter);
    if (opts.followChain === false) break;
    child = id;
    id = baseBackupIdOf(meta);
  }
  if (recordedChain && opts.followChain !== false && report.problems.length === 0 && recordedChain.join(' ') !== report.chain.join(' ')) {
    report.warnings.push({ backupId: target, problem: `recorded chain ${recordedChain.join(' > ')} differs from the basedOn chain ${report.chain.join(' > ')}` });
  }
  report.ok = report.problems.length === 0;
  return report;
}
