import { rmSync } from 'node:fs';

export default async function globalTeardown() {
  await Promise.all((globalThis.__ferryServices ?? []).map((s) => s.stop()));
  const dir = process.env.FERRY_TEST_RUN_DIR;
  if (dir && !process.env.FERRY_TEST_KEEP) rmSync(dir, { recursive: true, force: true });
}
