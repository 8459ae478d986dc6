import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join, relative } from 'node:path';
import { stopPostgresIn } from '../../dist/test/harness/postgres.js';

/** The clusters (cluster-*) of the run directory that the given test files started, with their logs. */
function clustersOf(dir, files) {
  const out = [];
  for (const name of readdirSync(dir)) {
    const marker = join(dir, name, 'story');
    if (!name.startsWith('cluster-') || !existsSync(marker)) continue;
    const story = readFileSync(marker, 'utf8').trim();
    if (files.includes(story)) out.push(`  ${relative(process.cwd(), story)}: ${join(dir, name)} (logs in ${join(dir, name, 'logs')})`);
  }
  return out;
}

export default async function globalTeardown() {
  await Promise.all((globalThis.__ferryServices ?? []).map((s) => s.stop()));
  const dir = process.env.FERRY_TEST_RUN_DIR;
  if (!dir) return;
  await stopPostgresIn(dir); // started by the first test file that needed it (postgres.ts)
  const failedFile = join(dir, 'FAILED');
  if (existsSync(failedFile)) {
    // a story failed: keep what explains it (test/harness/failure-reporter.mjs wrote the list)
    const failed = [...new Set(readFileSync(failedFile, 'utf8').split('\n').filter(Boolean))];
    console.log(`\n[ferry] kept the run directory of the failed stories: ${dir}\n${clustersOf(dir, failed).join('\n')}\n`);
    return;
  }
  if (!process.env.FERRY_TEST_KEEP) rmSync(dir, { recursive: true, force: true });
}
