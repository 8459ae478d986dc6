// The S3 client ferry uses for backups, and one mapping of S3 failures to clear errors.
// Shared by the node side (data) and the controller side (metadata, verify, delete).
//
// Secrets: the access key and secret key go into the SDK client only. Errors built here carry the
// operation, bucket, key, S3 error code and HTTP status, never the SDK error object itself (its
// request metadata could include the signed Authorization header, which names the access key id),
// and every message is scrubbed of both keys as a second line of defence.
import { S3Client } from '@aws-sdk/client-s3';

export type { S3Client };

export interface S3RemoteConfig {
  endpoint: string;
  region?: string;
  accessKey: string;
  secretKey: string;
  /** path-style addressing (http://host/bucket/key); default true, as most self-hosted S3 needs it */
  forcePathStyle?: boolean;
  /** parallel connections per client; default 32 */
  maxSockets?: number;
}

const secretsOf = new WeakMap<S3Client, string[]>();

/**
 * A client for one remote. Flexible checksums are requested only "when required": the SDK's
 * default adds CRC32 to every request, which several S3 servers reject in multipart uploads;
 * ferry sends its own SHA-256 per part (x-amz-checksum-sha256), which the server verifies.
 */
export function createS3Client(cfg: S3RemoteConfig): S3Client {
  const client = new S3Client({
    endpoint: cfg.endpoint,
    region: cfg.region ?? 'us-east-1',
    forcePathStyle: cfg.forcePathStyle ?? true,
    credentials: { accessKeyId: cfg.accessKey, secretAccessKey: cfg.secretKey },
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    maxAttempts: 4,
    requestHandler: { connectionTimeout: 10_000, requestTimeout: 120_000, httpAgent: { maxSockets: cfg.maxSockets ?? 32, keepAlive: true } },
  });
  secretsOf.set(client, [cfg.secretKey, cfg.accessKey].filter((s) => s.length >= 4));
  return client;
}

/** Removes the client's keys from a text (for messages built from server or SDK output). */
export function redactSecrets(s3: S3Client | undefined, text: string): string {
  let out = text;
  for (const secret of (s3 && secretsOf.get(s3)) ?? []) out = out.split(secret).join('[redacted]');
  return out;
}

export type S3ErrorKind = 'access-denied' | 'no-such-bucket' | 'no-such-key' | 'no-such-upload' | 'bad-digest' | 'aborted' | 'other';

export interface S3ErrorContext {
  s3?: S3Client;
  operation: string;
  bucket: string;
  key?: string;
  partNumber?: number;
}

/** An S3 request that failed, described without credentials. `retryable` is false for kinds that a retry cannot fix. */
export class S3OperationError extends Error {
  override readonly name = 'S3OperationError';
  readonly kind: S3ErrorKind;
  readonly code: string;
  readonly httpStatus: number | undefined;
  readonly operation: string;
  readonly bucket: string;
  readonly key: string | undefined;
  readonly retryable: boolean;
  constructor(message: string, fields: { kind: S3ErrorKind; code: string; httpStatus: number | undefined; operation: string; bucket: string; key: string | undefined }) {
    super(message);
    this.kind = fields.kind;
    this.code = fields.code;
    this.httpStatus = fields.httpStatus;
    this.operation = fields.operation;
    this.bucket = fields.bucket;
    this.key = fields.key;
    this.retryable = fields.kind === 'other' || fields.kind === 'bad-digest';
  }
}

interface SdkErrorLike {
  name?: unknown;
  Code?: unknown;
  message?: unknown;
  $metadata?: { httpStatusCode?: unknown };
}

/** Maps anything an S3 call threw to an S3OperationError (already-mapped errors pass through). */
export function s3Error(err: unknown, ctx: S3ErrorContext): S3OperationError {
  if (err instanceof S3OperationError) return err;
  const e = (typeof err === 'object' && err !== null ? err : {}) as SdkErrorLike;
  const code = String(e.Code ?? e.name ?? 'Error');
  const status = typeof e.$metadata?.httpStatusCode === 'number' ? e.$metadata.httpStatusCode : undefined;
  const where = `s3://${ctx.bucket}${ctx.key !== undefined ? `/${ctx.key}` : ''}${ctx.partNumber !== undefined ? ` part ${ctx.partNumber}` : ''}`;
  let kind: S3ErrorKind = 'other';
  let what: string;
  if (code === 'AbortError' || (err instanceof Error && err.name === 'AbortError')) {
    kind = 'aborted';
    what = 'aborted';
  } else if (status === 403 || ['AccessDenied', 'InvalidAccessKeyId', 'SignatureDoesNotMatch'].includes(code)) {
    kind = 'access-denied';
    what = `access denied (${code === 'Unknown' || code === 'UnknownError' ? 'HTTP 403' : code}): check the remote's access key, secret key and permissions`;
  } else if (code === 'NoSuchBucket' || (status === 404 && ctx.key === undefined)) {
    kind = 'no-such-bucket';
    what = `bucket '${ctx.bucket}' does not exist`;
  } else if (code === 'NoSuchUpload') {
    kind = 'no-such-upload';
    what = 'the multipart upload does not exist (aborted, completed or expired)';
  } else if (code === 'NoSuchKey' || code === 'NotFound' || status === 404) {
    kind = 'no-such-key';
    what = 'object not found';
  } else if (code === 'BadDigest' || code === 'InvalidDigest' || code === 'XAmzContentSHA256Mismatch') {
    kind = 'bad-digest';
    what = `the server received bytes that do not match their checksum (${code})`;
  } else {
    const msg = typeof e.message === 'string' && e.message && e.message !== 'UnknownError' ? `: ${e.message}` : '';
    what = `${code}${status !== undefined ? ` (HTTP ${status})` : ''}${msg}`;
  }
  const message = redactSecrets(ctx.s3, `S3 ${ctx.operation} ${where} failed: ${what}`);
  return new S3OperationError(message, { kind, code, httpStatus: status, operation: ctx.operation, bucket: ctx.bucket, key: ctx.key });
}

/** Runs one S3 call and maps its failure. */
export async function s3Call<T>(ctx: S3ErrorContext, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw s3Error(err, ctx);
  }
}

/** S3 ETags come quoted; compare them without quotes. */
export function normalizeEtag(etag: string | undefined): string {
  return (etag ?? '').replace(/^W\//, '').replace(/"/g, '');
}

export const MiB = 1024 * 1024;
