// Workflow ids and operation names of remotes and backups, and the contract types that workflows
// and the controller's activities both speak (pure; used by workflows, activities, the API and the SDK).
export const backupWorkflowIds = {
  createRemote: (name: string) => `remote-create/${name}`,
  modifyRemote: (name: string, at: number) => `remote-modify/${name}/${at}`,
  deleteRemote: (name: string) => `remote-delete/${name}`,
  /** `backup/<rsc>/<snapshot>`: a second identical request joins the running one. */
  createBackup: (rsc: string, snapshot: string) => `backup/${rsc}/${snapshot}`,
  restoreBackup: (targetRsc: string) => `backup-restore/${targetRsc}`,
  deleteBackup: (remote: string, id: string) => `backup-delete/${remote}/${id}`,
};

export type BackupOperation = 'remote-create' | 'remote-delete' | 'backup-create' | 'backup-restore' | 'backup-delete';

/** Snapshot LV of a volume, as LINSTOR's LVM-thin provider (and activities/node/snapshots.ts) names it. */
export function snapshotLvOf(rsc: string, vlmNr: number, snapshot: string): string {
  return `${rsc}_${String(vlmNr).padStart(5, '0')}_${snapshot}`;
}

/**
 * The input of the backupCreate workflow (`backup/<rsc>/<snapshot>`), as the API and the schedule
 * activities start it (the REST request's shape is core/validation.ts's BackupCreateInput).
 */
export interface BackupCreateInput {
  resource: string;
  remote: string;
  snapshot: string;
  /** epoch ms; names the backup (UTC, to the second) */
  startTimestamp: number;
  node?: string;
  full: boolean;
  /**
   * keep the snapshot locally as a catalog snapshot (`snapshot list` shows it) instead of dropping
   * it when the next backup is committed: a schedule's keep-local retention deletes it later
   */
  keepSnapshot?: boolean;
  /** attempts of each volume's shipment before the backup fails (default 20); scheduled runs pass fewer and leave longer outages to on-failure */
  shipAttempts?: number;
  /** the scheduled run that started this backup: told the outcome (backupFinished signal) when it ends */
  notify?: string;
}

/** What a backup tells the scheduled run that started it, when it ends. */
export interface ScheduledBackupOutcome {
  workflowId: string;
  ok: boolean;
  id?: string;
  mode?: 'full' | 'incremental';
  fullBecause?: string | null;
  error?: string;
}
