// The chaos suite's mutants (bench/chaos/mutants.ts) edit the compiled workflows by exact text: each
// edit must still find its text once in this build, or `npm run chaos -- --mutant NAME` stops with
// "does not occur exactly once" (it went stale once, unnoticed, when waitSynced gained parameters).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { MUTANTS } from '../../bench/chaos/mutants.js';
import { REPO_ROOT } from '../../scripts/stack.js';

describe('chaos mutants', () => {
  it.each(Object.entries(MUTANTS))('%s finds the text it edits exactly once in dist/', (_name, m) => {
    const text = readFileSync(join(REPO_ROOT, 'dist', m.file), 'utf8');
    expect(text.split(m.from).length).toBe(2);
  });
});
