// Starts one Temporal dev server and one S3 server for the whole integration run, on free ports,
// so the suite never collides with a running `npm start`. Tests find them through FERRY_TEST_*.
// Plain ESM importing the built dist/ (npm test builds first): jest loads global setup outside
// its module transform.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startS3, startTemporal } from '../../dist/scripts/stack.js';

export default async function globalSetup() {
  const runDir = mkdtempSync(join(tmpdir(), 'ferry-test-'));
  const started = await Promise.allSettled([
    startTemporal({ dataDir: join(runDir, 'temporal'), headless: true }),
    startS3({ dataDir: join(runDir, 's3') }),
  ]);
  const failed = started.find((s) => s.status === 'rejected');
  if (failed) {
    await Promise.all(started.filter((s) => s.status === 'fulfilled').map((s) => s.value.stop()));
    throw failed.reason;
  }
  const [temporal, s3] = started.map((s) => s.value);
  globalThis.__ferryServices = [temporal, s3];
  process.env.FERRY_TEST_RUN_DIR = runDir;
  process.env.FERRY_TEST_TEMPORAL_ADDRESS = temporal.address;
  process.env.FERRY_TEST_S3_ENDPOINT = s3.endpoint;
  process.env.FERRY_TEST_S3_ACCESS_KEY = s3.accessKey;
  process.env.FERRY_TEST_S3_SECRET_KEY = s3.secretKey;
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
}
