// Workflow ids and operation names of remotes and backups (pure; used by workflows, the API and the SDK).
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
