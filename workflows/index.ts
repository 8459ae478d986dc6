// Every workflow the controller worker runs. Deterministic code only: no I/O, no Node modules.
export { createNode, deleteNode } from './create-node.js';
export { registerNode } from './register-node.js';
export { createStoragePool } from './create-storage-pool.js';
export { deleteStoragePool } from './delete-storage-pool.js';
export { createResourceDefinition, createVolumeDefinition, deleteResourceDefinition } from './resource-definitions.js';
export { deleteVolumeDefinition, modifyVolumeDefinition } from './volume-definitions.js';
export { modifyKeyValueStore, deleteKeyValueStore } from './key-value-store.js';
export { createResource } from './create-resource.js';
export { deleteResource } from './delete-resource.js';
export { createRemote, modifyRemote, deleteRemote, backupCreate, backupRestore, backupDelete } from './backups.js';
export { createResourceSnapshot, deleteResourceSnapshot, rollbackResourceSnapshot, restoreResourceSnapshot } from './snapshots.js';
export { createResourceGroup, modifyResourceGroup, deleteResourceGroup, spawnResources, setObjectProperties, modifyResourceDefinition, resizeVolumeDefinition } from './resource-groups.js';
export { scheduleCreate, scheduleModify, scheduleDelete, scheduleEnablement, scheduledBackupRun, backupRetention } from './schedules.js';
export { evacuateNode, toggleDisk, restoreNode, loseNode, setProperties, autoEvict } from './evacuation-workflows.js';
export { autoSnapshotRun } from './auto-snapshot.js';
export { doctorCheck, doctorRepair } from './doctor.js';
