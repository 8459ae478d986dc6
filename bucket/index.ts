// The bucket's backup metadata operations (the controller's side): list, read/commit .meta, verify,
// delete, orphans. The data path (upload.ts, download.ts) and the client (s3.ts) sit beside them.
export { listBackups, listObjects, type BackupDataObject, type BackupListEntry, type BackupListing, type ListBackupsOptions, type ObjectInfo } from './list.js';
export { BackupCommitError, BackupNotFoundError, objectSize, readBackupMeta, writeBackupMeta, type ReadMetaResult, type WriteMetaOptions } from './meta.js';
export { verifyBackup, type BackupVerifyReport, type VerifiedBackup, type VerifyBackupOptions, type VerifyProblem } from './verify.js';
export { BackupHasDependentsError, deleteBackup, deleteObject, planBackupDelete, type BackupDeletePlan, type DeleteBackupOptions } from './delete.js';
export { abortUnfinishedUploads, listUnfinishedUploads, type UnfinishedUpload, type UnfinishedUploadsOptions } from './unfinished-uploads.js';
