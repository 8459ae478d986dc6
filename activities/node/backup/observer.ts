// A hook the agent's metrics (worker/metrics.ts) set to count backup transfers: shipments to S3
// and restores from it, their bytes, run time and failures by reason. Unset (tests of the pipeline,
// the controller) nothing is counted.
export interface BackupTransferObservation {
  direction: 'upload' | 'download';
  ok: boolean;
  /** bytes in the bucket (zstd-compressed) and of the volume's stream (shipments only), when it finished */
  compressedBytes: number;
  uncompressedBytes?: number;
  durationMs: number;
  /** why it failed (backupFailureReason), when it did */
  reason?: string;
}

let observer: ((o: BackupTransferObservation) => void) | undefined;

export function setBackupTransferObserver(fn: ((o: BackupTransferObservation) => void) | undefined): void {
  observer = fn;
}

export function observeBackupTransfer(o: BackupTransferObservation): void {
  try {
    observer?.(o);
  } catch {
    // metrics never fail a transfer
  }
}
