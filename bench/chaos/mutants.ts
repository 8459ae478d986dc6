// Deliberately broken copies of the build, to show that the chaos suite catches real bugs. A
// mutant is the built dist/ copied to a directory of its own (with bin/, sim/bin/, .tools/ and
// node_modules linked), one edit made to the compiled JavaScript of a workflow, and the workflow
// bundle made again from the copy. Product code has no switch for any of this.
import { cpSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';
import { REPO_ROOT } from '../../scripts/stack.js';

export interface Mutant {
  description: string;
  /** file under dist/ */
  file: string;
  /** the text replaced (must occur exactly once) and its replacement */
  from: string;
  to: string;
}

export const MUTANTS = {
  'evacuation-no-resync-wait': {
    description: "the evacuation's resync wait removed: the old replica goes before the new one is UpToDate",
    file: join('workflows', 'evacuate-node.js'),
    from: 'async function waitSynced(resource, target, m, onProgress = () => undefined, report) {',
    to: 'async function waitSynced(resource, target, m, onProgress = () => undefined, report) { return undefined;',
  },
} satisfies Record<string, Mutant>;

/** Builds the mutant; returns its directory (a repository-like root with dist/ and bin/). */
export async function buildMutant(name: keyof typeof MUTANTS): Promise<string> {
  const m: Mutant = MUTANTS[name];
  const dir = mkdtempSync(join(tmpdir(), `ferry-mutant-${name}-`));
  cpSync(join(REPO_ROOT, 'dist'), join(dir, 'dist'), { recursive: true });
  cpSync(join(REPO_ROOT, 'bin'), join(dir, 'bin'), { recursive: true });
  cpSync(join(REPO_ROOT, 'package.json'), join(dir, 'package.json'));
  for (const link of ['node_modules', '.tools']) symlinkSync(join(REPO_ROOT, link), join(dir, link));
  cpSync(join(REPO_ROOT, 'sim', 'bin'), join(dir, 'sim', 'bin'), { recursive: true });
  const file = join(dir, 'dist', m.file);
  const text = readFileSync(file, 'utf8');
  if (text.split(m.from).length !== 2) throw new Error(`mutant ${name}: '${m.from}' does not occur exactly once in dist/${m.file} (rebuild, or update the mutant)`);
  writeFileSync(file, text.replace(m.from, m.to));
  const { code } = await bundleWorkflowCode({
    workflowsPath: join(dir, 'dist', 'workflows', 'index.js'),
    workflowInterceptorModules: [join(dir, 'dist', 'workflows', 'interceptors.js')],
    logger: { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error: (msg) => console.error(msg) },
  });
  if (!code.includes(m.to)) throw new Error(`mutant ${name}: the edit did not reach the workflow bundle`);
  writeFileSync(join(dir, 'dist', 'workflow-bundle.js'), code);
  return dir;
}
