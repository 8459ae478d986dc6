// Unfinished multipart uploads: what a killed shipment leaves behind (until it is resumed). They
// cost storage without being visible as objects; list them and abort the stale ones.
import { ListMultipartUploadsCommand, type S3Client } from '@aws-sdk/client-s3';
import { abortUpload } from './upload.js';
import { s3Call } from './s3.js';

export interface UnfinishedUpload {
  key: string;
  uploadId: string;
  initiated: Date | undefined;
}

export interface UnfinishedUploadsOptions {
  s3: S3Client;
  bucket: string;
  prefix?: string;
  /** only the uploads of exactly this key (a prefix also matches longer keys) */
  key?: string;
  /** only uploads started more than this long ago (a running shipment's upload is young) */
  olderThanMs?: number;
  now?: Date;
  signal?: AbortSignal;
}

/** All unfinished multipart uploads under a prefix, or of one key (paginated). */
export async function listUnfinishedUploads(opts: UnfinishedUploadsOptions): Promise<UnfinishedUpload[]> {
  const { s3, bucket } = opts;
  const out: UnfinishedUpload[] = [];
  const cutoff = opts.olderThanMs !== undefined ? (opts.now ?? new Date()).getTime() - opts.olderThanMs : undefined;
  let keyMarker: string | undefined;
  let uploadIdMarker: string | undefined;
  for (;;) {
    const res = await s3Call({ s3, operation: 'ListMultipartUploads', bucket }, () =>
      s3.send(new ListMultipartUploadsCommand({ Bucket: bucket, Prefix: opts.key ?? (opts.prefix || undefined), KeyMarker: keyMarker, UploadIdMarker: uploadIdMarker, MaxUploads: 1000 }), { abortSignal: opts.signal }));
    for (const u of res.Uploads ?? []) {
      if (u.Key === undefined || u.UploadId === undefined) continue;
      if (opts.key !== undefined && u.Key !== opts.key) continue;
      if (cutoff !== undefined && u.Initiated !== undefined && u.Initiated.getTime() > cutoff) continue;
      out.push({ key: u.Key, uploadId: u.UploadId, initiated: u.Initiated });
    }
    if (!res.IsTruncated || (res.NextKeyMarker === keyMarker && res.NextUploadIdMarker === uploadIdMarker)) break;
    keyMarker = res.NextKeyMarker;
    uploadIdMarker = res.NextUploadIdMarker;
  }
  return out;
}

/** Aborts the unfinished uploads that match (or only lists them with dryRun). */
export async function abortUnfinishedUploads(opts: UnfinishedUploadsOptions & { dryRun?: boolean }): Promise<{ aborted: UnfinishedUpload[]; dryRun: boolean }> {
  const uploads = await listUnfinishedUploads(opts);
  if (!opts.dryRun) {
    for (const u of uploads) await abortUpload(opts.s3, opts.bucket, u.key, u.uploadId);
  }
  return { aborted: uploads, dryRun: opts.dryRun ?? false };
}
