import { rmSync } from 'node:fs';
import { stopPostgresIn } from '../../dist/test/harness/postgres.js';

export default async function globalTeardown() {
  await Promise.all((globalThis.__ferryServices ?? []).map((s) => s.stop()));
  const dir = process.env.FERRY_TEST_RUN_DIR;
  if (dir) await stopPostgresIn(dir); // started by the first test file that needed it (postgres.ts)
  if (dir && !process.env.FERRY_TEST_KEEP) rmSync(dir, { recursive: true, force: true });
}
