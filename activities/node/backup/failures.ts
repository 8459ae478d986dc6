// Turns the backup library's errors into Temporal failures with ferry's error types, so that what a
// retry cannot fix (wrong keys, no bucket, a missing or damaged object) fails at once with a clear
// message, and what it can (network, S3 5xx) is retried.
import { ApplicationFailure } from '@temporalio/common';
import { ChecksumMismatchError, ObjectSizeMismatchError } from './download.js';
import { S3OperationError } from './s3.js';
import { MasterPassphraseMissingError, SecretDecryptError } from './secret-box.js';

export function backupFailure(e: unknown, remote: string): unknown {
  if (e instanceof ApplicationFailure) return e;
  if (e instanceof S3OperationError) {
    if (e.kind === 'access-denied') return ApplicationFailure.create({ type: 'ValidationError', nonRetryable: true, message: `remote '${remote}': ${e.message}` });
    if (e.kind === 'no-such-bucket') return ApplicationFailure.create({ type: 'NotFoundError', nonRetryable: true, message: `remote '${remote}': ${e.message}` });
    if (e.kind === 'no-such-key') return ApplicationFailure.create({ type: 'NotFoundError', nonRetryable: true, message: `remote '${remote}': ${e.message}` });
    return ApplicationFailure.create({ type: 'S3OperationError', message: e.message });
  }
  if (e instanceof ChecksumMismatchError || e instanceof ObjectSizeMismatchError) {
    return ApplicationFailure.create({ type: 'ConflictError', nonRetryable: true, message: `backup data is damaged: ${e.message}` });
  }
  if (e instanceof MasterPassphraseMissingError || e instanceof SecretDecryptError) {
    return ApplicationFailure.create({ type: 'ValidationError', nonRetryable: true, message: e.message });
  }
  return e;
}
