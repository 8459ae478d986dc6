// Shared by the backup integration tests: the real S3 server the harness started, one bucket per
// test file, and a deterministic generator of realistic volume data run as a child process.
import { randomBytes } from 'node:crypto';
import { CreateBucketCommand, type S3Client } from '@aws-sdk/client-s3';
import { createS3Client, type S3RemoteConfig } from '../../bucket/s3.js';

export function s3ConfigFromEnv(): S3RemoteConfig {
  const endpoint = process.env.FERRY_TEST_S3_ENDPOINT;
  const accessKey = process.env.FERRY_TEST_S3_ACCESS_KEY;
  const secretKey = process.env.FERRY_TEST_S3_SECRET_KEY;
  if (!endpoint || !accessKey || !secretKey) throw new Error('FERRY_TEST_S3_* not set: run through the integration project (test/harness/global-setup.mjs)');
  return { endpoint, accessKey, secretKey, region: 'us-east-1', forcePathStyle: true };
}

export function s3FromEnv(): S3Client {
  return createS3Client(s3ConfigFromEnv());
}

export async function createTestBucket(s3: S3Client, what: string): Promise<string> {
  const bucket = `ferry-${what}-${randomBytes(4).toString('hex')}`.toLowerCase();
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  return bucket;
}

/**
 * argv of a process writing `bytes` bytes of volume-like data to stdout, the same bytes for the
 * same seed: per MiB block, zeros (unallocated), text-like records (compressible), or AES-CTR
 * output (incompressible, like encrypted or already-compressed files).
 */
export function generatorArgv(bytes: number, seed = 'ferry'): [string, ...string[]] {
  const script = `
const { createCipheriv, createHash } = require('node:crypto');
const total = Number(process.argv[1]);
const key = createHash('sha256').update(process.argv[2]).digest();
const cipher = createCipheriv('aes-256-ctr', key, Buffer.alloc(16));
const M = 1 << 20;
const zeros = Buffer.alloc(M);
const text = Buffer.alloc(M);
{ let o = 0, i = 0; while (o < M) { o += text.write('row ' + (i++) + ' customer=acme status=ok amount=' + (i * 7919 % 100000) + '\\n', o); } }
let written = 0, block = 0;
function next() {
  while (written < total) {
    const n = Math.min(M, total - written);
    const kind = block % 5;
    let buf = kind === 0 ? zeros : kind === 1 || kind === 3 ? cipher.update(zeros) : text;
    // keep the random stream aligned whatever we emit
    if (kind !== 1 && kind !== 3) cipher.update(zeros.subarray(0, 16));
    block++;
    written += n;
    if (!process.stdout.write(buf.subarray(0, n))) { process.stdout.once('drain', next); return; }
  }
}
next();
`;
  return ['node', '-e', script, String(bytes), seed];
}

export const MiB = 1024 * 1024;

/** Counts S3 requests by command name (and UploadPart part numbers) through the client's middleware stack: the real requests still go to the server. */
export function countRequests(s3: S3Client): { counts: Map<string, number>; uploadedPartNumbers: number[]; reset(): void } {
  const counts = new Map<string, number>();
  const uploadedPartNumbers: number[] = [];
  s3.middlewareStack.add(
    (next, context) => async (args) => {
      const name = context.commandName ?? 'unknown';
      counts.set(name, (counts.get(name) ?? 0) + 1);
      if (name === 'UploadPartCommand') uploadedPartNumbers.push((args.input as { PartNumber: number }).PartNumber);
      return next(args);
    },
    { step: 'initialize', name: 'ferryTestRequestCounter' },
  );
  return { counts, uploadedPartNumbers, reset() { counts.clear(); uploadedPartNumbers.length = 0; } };
}
