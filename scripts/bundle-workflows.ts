// Bundles the workflow code once at build time, so controllers start without webpack.
import { bundleWorkflowCode } from '@temporalio/worker';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from './stack.js';

const { code } = await bundleWorkflowCode({
  workflowsPath: join(REPO_ROOT, 'dist', 'workflows', 'index.js'),
  workflowInterceptorModules: [join(REPO_ROOT, 'dist', 'workflows', 'interceptors.js')],
  logger: { log() {}, trace() {}, debug() {}, info() {}, warn: (m) => console.warn(m), error: (m) => console.error(m) },
});
writeFileSync(join(REPO_ROOT, 'dist', 'workflow-bundle.js'), code);
console.log(`workflow bundle: dist/workflow-bundle.js (${Math.round(code.length / 1024)} KiB)`);
