// Turns the backup library's errors into Temporal failures with ferry's error types, so that what a
// retry cannot fix (wrong keys, no bucket, a missing or damaged object) fails at once with a clear
// message, and what it can (network, S3 5xx) is retried.
import { ApplicationFailure } from '@temporalio/common';
import { ChecksumMismatchError, ObjectSizeMismatchError } from '../../../bucket/download.js';
import { S3OperationError } from '../../../bucket/s3.js';
import { MasterPassphraseMissingError, SecretDecryptError } from '../../../bucket/secret-box.js';

export function backupFailure(e: unknown, remote: string): unknown {
  if (e instanceof ApplicationFailure) return e;
  if (e instanceof S3OperationError) {
    // the failed request in the shape of a host command's details, so an error report shows it
    // like one: `S3 CreateMultipartUpload s3://bucket/key`, the HTTP status and S3 error code
    const details = [{
      command: 'S3', args: [e.operation, `s3://${e.bucket}${e.key !== undefined ? `/${e.key}` : ''}`], exitCode: null,
      stderrTail: `HTTP ${e.httpStatus ?? '(no answer)'}${['Unknown', 'UnknownError'].includes(e.code) ? '' : ` ${e.code}`}`,
    }];
    if (e.kind === 'access-denied') return ApplicationFailure.create({ type: 'ValidationError', nonRetryable: true, message: `remote '${remote}': ${e.message}`, details });
    if (e.kind === 'no-such-bucket') return ApplicationFailure.create({ type: 'NotFoundError', nonRetryable: true, message: `remote '${remote}': ${e.message}`, details });
    if (e.kind === 'no-such-key') return ApplicationFailure.create({ type: 'NotFoundError', nonRetryable: true, message: `remote '${remote}': ${e.message}`, details });
    return ApplicationFailure.create({ type: 'S3OperationError', message: e.message, details });
  }
  if (e instanceof ChecksumMismatchError || e instanceof ObjectSizeMismatchError) {
    return ApplicationFailure.create({ type: 'ConflictError', nonRetryable: true, message: `backup data is damaged: ${e.message}` });
  }
  if (e instanceof MasterPassphraseMissingError || e instanceof SecretDecryptError) {
    return ApplicationFailure.create({ type: 'ValidationError', nonRetryable: true, message: e.message });
  }
  return e;
}

/** A short, bounded label for why a transfer failed (metrics): the S3 error kind, damaged data, keys... */
export function backupFailureReason(e: unknown): string {
  if (e instanceof S3OperationError) return e.kind;
  if (e instanceof ChecksumMismatchError || e instanceof ObjectSizeMismatchError) return 'damaged-data';
  if (e instanceof MasterPassphraseMissingError || e instanceof SecretDecryptError) return 'secret';
  if (e instanceof ApplicationFailure) return e.type ?? 'ApplicationFailure';
  const name = (e as Error | undefined)?.name;
  return name === 'UploadAbortedError' ? 'aborted' : name === 'HostCommandError' ? 'host-command' : 'other';
}
