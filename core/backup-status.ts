// The status of each entry of `backup list`, as LINSTOR gives it (linstor-server
// CtrlBackupApiCallHandler): a backup whose .meta is in the bucket is done (success true, shipping
// false); a shipment under way is shipping (shipping true, success null: not known yet); a shipment
// that failed or was aborted is neither (shipping false, success false). ferry knows the shipments
// from their backupCreate workflows; the bucket knows the committed backups.
//
// Pure: no I/O.

export type BackupStatus = 'done' | 'shipping' | 'failed' | 'aborted';

/** A backupCreate workflow as Temporal remembers it. */
export interface Shipment {
  /** the backup id it makes: `<rsc>_back_<ts>[^<snap>]` */
  id: string;
  rsc: string;
  snapshot: string;
  node?: string;
  startMs: number;
  closeMs?: number;
  workflowId: string;
  /** Temporal's execution status: RUNNING, FAILED, CANCELLED, TERMINATED, TIMED_OUT, COMPLETED... */
  workflowStatus: string;
}

/** The status of a shipment, or null when its workflow completed (its backup is in the bucket, or was deleted since). */
export function shipmentStatus(workflowStatus: string): Exclude<BackupStatus, 'done'> | null {
  switch (workflowStatus) {
    case 'RUNNING':
      return 'shipping';
    case 'CANCELLED':
      return 'aborted';
    case 'FAILED':
    case 'TERMINATED':
    case 'TIMED_OUT':
      return 'failed';
    default:
      return null;
  }
}

/** LINSTOR's `success` and `shipping` of an entry with this status. */
export function linstorFlags(status: BackupStatus): { success: boolean | null; shipping: boolean } {
  if (status === 'done') return { success: true, shipping: false };
  if (status === 'shipping') return { success: null, shipping: true };
  return { success: false, shipping: false };
}

/**
 * The shipments to list beside the committed backups: not committed (a committed backup is listed
 * as done, whatever its workflows went through), one per backup id (the newest attempt: a running
 * one, else the last to start), oldest first.
 */
export function shipmentsToList(committed: ReadonlySet<string>, shipments: readonly Shipment[]): (Shipment & { status: Exclude<BackupStatus, 'done'> })[] {
  const byId = new Map<string, Shipment & { status: Exclude<BackupStatus, 'done'> }>();
  for (const s of shipments) {
    const status = shipmentStatus(s.workflowStatus);
    if (status === null || committed.has(s.id)) continue;
    const seen = byId.get(s.id);
    const running = status === 'shipping';
    const wins = !seen || (running && seen.status !== 'shipping') || (running === (seen.status === 'shipping') && s.startMs > seen.startMs);
    if (wins) byId.set(s.id, { ...s, status });
  }
  return [...byId.values()].sort((a, b) => a.startMs - b.startMs || a.id.localeCompare(b.id));
}
