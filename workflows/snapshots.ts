// The snapshot workflows, one file each; exported together for workflows/index.ts.
export { createResourceSnapshot } from './snapshot-create.js';
export { deleteResourceSnapshot } from './snapshot-delete.js';
export { rollbackResourceSnapshot } from './snapshot-rollback.js';
export { restoreResourceSnapshot } from './snapshot-restore.js';
