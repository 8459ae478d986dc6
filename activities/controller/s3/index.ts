// Controller-side S3 metadata operations for backups: list, read/commit .meta, verify, delete, orphans.
export { listBackups, listObjects, type BackupDataObject, type BackupListEntry, type BackupListing, type ListBackupsOptions, type ObjectInfo } from './list.js';
export { BackupCommitError, BackupNotFoundError, objectSize, readBackupMeta, writeBackupMeta, type ReadMetaResult, type WriteMetaOptions } from './meta.js';
export { verifyBackup, type BackupVerifyReport, type VerifiedBackup, type VerifyBackupOptions, type VerifyProblem } from './verify.js';
export { BackupHasDependentsError, deleteBackup, planBackupDelete, type BackupDeletePlan, type DeleteBackupOptions } from './delete.js';
export { abortUnfinishedUploads, listUnfinishedUploads, type UnfinishedUpload, type UnfinishedUploadsOptions } from './uploads.js';
