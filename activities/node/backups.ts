// Node activities of backups: ship one volume's snapshot to S3 (`thin_send [base] snap | zstd |
// multipart upload`) and receive one backup object into an LV (`S3 | zstd -d | thin_recv`).
// The remote's keys arrive sealed and are opened here, in memory, with the master passphrase.
//
// Shipping heartbeats {uploadId, partSize, parts} after every part; a retry (the agent died, the
// activity timed out) resumes that multipart upload: parts the server still has with the same
// size and SHA-256 are not sent again (reusedParts in the result). Cancellation (backup abort)
// aborts the multipart upload, so nothing is left in the bucket.
import { Context } from '@temporalio/activity';
import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import type { RemoteAccess } from '../controller/backups.js';
import { createS3Client } from '../../bucket/s3.js';
import { openSecret } from '../../bucket/secret-box.js';
import { restoreFromS3, shipToS3 } from './backup/pipeline.js';
import { UploadAbortedError, type UploadedPart, DEFAULT_PART_SIZE, MIN_PART_SIZE } from '../../bucket/upload.js';
import { backupFailure, backupFailureReason } from './backup/failures.js';
import { observeBackupTransfer } from './backup/observer.js';
import { ensureThinVolume, getLogicalVolume, removeLogicalVolume } from './host/lvm.js';
import { lvSizeFor } from './resources.js';
import { thinRecvArgs, thinSendArgs } from './host/thin.js';
import { status as drbdStatus } from './host/drbd.js';

export interface ShipVolumeInput {
  remote: RemoteAccess;
  key: string;
  vg: string;
  snapshotLv: string;
  /** the base snapshot LV for an incremental stream */
  baseLv?: string;
}

export interface ShipVolumeResult {
  key: string;
  partSize: number;
  parts: { partNumber: number; size: number; sha256: string }[];
  sha256: string;
  compressedBytes: number;
  /** zstd's count of the bytes thin_send wrote */
  uncompressedBytes: number;
  /** SHA-256 of the uncompressed stream: ferry before meta format version 2 only (results in old workflow histories) */
  uncompressedSha256?: string;
  reusedParts: number[];
  resumed: boolean;
}

export interface ShipHeartbeat {
  key: string;
  uploadId?: string;
  partSize: number;
  parts: UploadedPart[];
  sourceBytes: number;
  uploadedBytes: number;
}

export interface RestoreVolumeInput {
  remote: RemoteAccess;
  key: string;
  parts: { partNumber: number; size: number; sha256: string }[] | null;
  sha256: string | null;
  /** recorded in the .meta; not checked here: zstd checks its frame checksum as it decompresses verified parts */
  uncompressedSha256: string | null;
  vg: string;
  lv: string;
}

function s3Of(r: RemoteAccess) {
  return createS3Client({ endpoint: r.endpoint, region: r.region, forcePathStyle: r.usePathStyle, accessKey: openSecret(r.accessKeySealed), secretKey: openSecret(r.secretKeySealed) });
}

function envNumber(name: string): number | undefined {
  const v = process.env[name];
  if (v === undefined || v === '') return undefined;
  const n = Number(v);
  return Number.isFinite(n) && n > 0 ? n : undefined;
}

export function createBackupNodeActivities(deps: { node: string }) {
  return {
    /** True when every LV exists on this host (the base snapshot of an incremental backup). */
    async backupLvsPresent(input: { vg: string; lvs: string[] }): Promise<boolean> {
      for (const lv of input.lvs) if (!(await getLogicalVolume(input.vg, lv))) return false;
      return true;
    },

    /**
     * `backup restore --download-only`: thin LVs to receive a chain into, sized as a resource's LVs
     * (data + DRBD metadata), so that a resource restored from their snapshots has room for its
     * metadata. Idempotent.
     */
    async backupCreateReceiveLvs(input: { vg: string; thinPool: string; volumes: { lv: string; sizeBytes: number }[] }): Promise<void> {
      for (const v of input.volumes) await ensureThinVolume({ vg: input.vg, pool: input.thinPool, name: v.lv, sizeBytes: lvSizeFor(v.sizeBytes) });
    },

    /** Removes LVs (absent ones count as removed). */
    async backupRemoveLvs(input: { vg: string; lvs: string[] }): Promise<void> {
      for (const lv of input.lvs) await removeLogicalVolume(input.vg, lv);
    },

    /**
     * Refuses, retryably, while this node's replica of the resource is not UpToDate (resyncing,
     * Inconsistent, Outdated, not up): a backup ships only UpToDate data, so it waits.
     */
    async backupReplicaUpToDate(resource: string): Promise<void> {
      const s = await drbdStatus(resource);
      const bad = s ? s.devices.filter((d) => d.diskState !== 'UpToDate').map((d) => `volume ${d.volume} ${d.diskState}`) : ['not up'];
      if (bad.length > 0) {
        throw ApplicationFailure.create({
          type: 'ReplicaNotUpToDate', nonRetryable: false,
          message: `the replica of '${resource}' on ${deps.node} is ${bad.join(', ')}: a backup ships only UpToDate data`,
        });
      }
    },

    async backupShipVolume(input: ShipVolumeInput): Promise<ShipVolumeResult> {
      const ctx = Context.current();
      const started = Date.now();
      const failed = (e: unknown) => observeBackupTransfer({ direction: 'upload', ok: false, compressedBytes: 0, uncompressedBytes: 0, durationMs: Date.now() - started, reason: backupFailureReason(e) });
      const prev = ctx.info.heartbeatDetails as ShipHeartbeat | undefined;
      const resume = prev && prev.key === input.key && prev.uploadId ? { uploadId: prev.uploadId, completedParts: prev.parts } : undefined;
      const partSize = prev?.partSize ?? Math.max(MIN_PART_SIZE, envNumber('FERRY_BACKUP_PART_SIZE') ?? DEFAULT_PART_SIZE);
      let hb: ShipHeartbeat = { key: input.key, uploadId: resume?.uploadId, partSize, parts: [...(resume?.completedParts ?? [])], sourceBytes: 0, uploadedBytes: 0 };
      ctx.heartbeat(hb);
      // heartbeats also while nothing finishes (a slow source): cancellation arrives with them
      const timer = setInterval(() => ctx.heartbeat(hb), 1000);
      const s3 = (() => {
        try {
          return s3Of(input.remote);
        } catch (e) {
          clearInterval(timer);
          failed(e);
          throw backupFailure(e, input.remote.name);
        }
      })();
      try {
        const r = await shipToS3({
          source: ['thin_send', ...thinSendArgs({ vg: input.vg, snapshot: input.snapshotLv, ...(input.baseLv ? { base: input.baseLv } : {}) })],
          s3, bucket: input.remote.bucket, key: input.key, partSize,
          concurrency: envNumber('FERRY_BACKUP_UPLOAD_CONCURRENCY') ?? 4,
          maxSourceBytesPerSec: envNumber('FERRY_BACKUP_MAX_BYTES_PER_SEC'),
          resume, signal: ctx.cancellationSignal,
          onUploadId: (uploadId) => { hb = { ...hb, uploadId }; ctx.heartbeat(hb); },
          onProgress: (p) => { hb = { ...hb, parts: [...p.parts], sourceBytes: p.sourceBytes, uploadedBytes: p.uploadedBytes }; ctx.heartbeat(hb); },
        });
        observeBackupTransfer({ direction: 'upload', ok: true, compressedBytes: r.bytes, uncompressedBytes: r.uncompressedBytes, durationMs: Date.now() - started });
        return {
          key: input.key, partSize,
          parts: r.parts.map((p) => ({ partNumber: p.partNumber, size: p.size, sha256: p.sha256 })),
          sha256: r.sha256, compressedBytes: r.bytes, uncompressedBytes: r.uncompressedBytes,
          reusedParts: r.reusedParts, resumed: r.resumed,
        };
      } catch (e) {
        failed(e);
        if (e instanceof UploadAbortedError) {
          // the operator's abort (the workflow cancelled this activity): reported as a cancellation, so
          // that the backup ends CANCELLED after its clean-up, not FAILED
          const reason: unknown = ctx.cancellationSignal.reason;
          if (reason instanceof CancelledFailure && reason.message === 'CANCELLED') throw reason;
          throw ApplicationFailure.create({ type: 'BackupAborted', nonRetryable: true, message: `shipping ${input.key} from ${deps.node} cancelled: ${e.message}` });
        }
        throw backupFailure(e, input.remote.name);
      } finally {
        clearInterval(timer);
        s3.destroy();
      }
    },

    /** `S3 → zstd -d → thin_recv VG/LV`, every part checked against the .meta's SHA-256 before zstd sees it. */
    async backupReceiveVolume(input: RestoreVolumeInput): Promise<{ bytes: number }> {
      const ctx = Context.current();
      const started = Date.now();
      const timer = setInterval(() => ctx.heartbeat({ key: input.key }), 1000);
      let s3: ReturnType<typeof s3Of> | undefined;
      try {
        s3 = s3Of(input.remote);
        const r = await restoreFromS3({
          s3, bucket: input.remote.bucket, key: input.key, sink: ['thin_recv', ...thinRecvArgs({ vg: input.vg, lv: input.lv })],
          ...(input.parts ? { parts: input.parts } : {}),
          ...(input.sha256 ? { expectedSha256: input.sha256 } : {}),
          signal: ctx.cancellationSignal,
          onProgress: (d) => ctx.heartbeat({ key: input.key, downloadedBytes: d }),
        });
        // the restored stream is no longer relayed through the agent, so its uncompressed size is not counted
        observeBackupTransfer({ direction: 'download', ok: true, compressedBytes: r.bytes, durationMs: Date.now() - started });
        return { bytes: r.bytes };
      } catch (e) {
        observeBackupTransfer({ direction: 'download', ok: false, compressedBytes: 0, durationMs: Date.now() - started, reason: backupFailureReason(e) });
        throw backupFailure(e, input.remote.name);
      } finally {
        clearInterval(timer);
        s3?.destroy();
      }
    },
  };
}

export type BackupNodeActivities = ReturnType<typeof createBackupNodeActivities>;
