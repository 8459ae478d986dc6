// Names shared by workflows, the controller and the SDK: workflow ids, task queues, search attributes.

/** `ferry-controller` -> `ferry-node-node1`: node queues share the controller queue's prefix. */
export function nodeQueueFor(controllerQueue: string, node: string): string {
  const prefix = controllerQueue.endsWith('-controller') ? controllerQueue.slice(0, -'-controller'.length) : controllerQueue;
  return `${prefix}-node-${node}`;
}

/** The node of a node task queue (`ferry-node-node1` -> `node1`), else null. */
export function nodeOfQueue(taskQueue: string | undefined): string | null {
  const i = taskQueue?.lastIndexOf('-node-') ?? -1;
  return taskQueue && i >= 0 ? taskQueue.slice(i + '-node-'.length) || null : null;
}

export const workflowIds = {
  createNode: (node: string) => `node-create/${node}`,
  deleteNode: (node: string) => `node-delete/${node}`,
  registerNode: (node: string, agentStartedAt: number) => `node-register/${node}/${agentStartedAt}`,
  createStoragePool: (node: string, pool: string) => `storage-pool-create/${node}/${pool}`,
  deleteStoragePool: (node: string, pool: string) => `storage-pool-delete/${node}/${pool}`,
  modifyResourceDefinition: (rsc: string) => `rd-modify/${rsc}`,
  createResourceDefinition: (rsc: string) => `rd-create/${rsc}`,
  deleteResourceDefinition: (rsc: string) => `rd-delete/${rsc}`,
  createVolumeDefinition: (rsc: string) => `vd-create/${rsc}`,
  deleteVolumeDefinition: (rsc: string, volumeNumber: number) => `vd-delete/${rsc}/${volumeNumber}`,
  /** One id per resource and kind: a second identical request joins the running one. */
  createResource: (rsc: string) => `resource-create/${rsc}`,
  deleteResource: (rsc: string, node: string) => `resource-delete/${rsc}/${node}`,
  /**
   * `doctor/<ts>-<nonce>`: every run is its own (the time alone collides when two runs start in
   * the same millisecond); the nonce is random, given by the caller (this module has no randomness).
   */
  doctorCheck: (at: number, nonce: string) => `doctor/${at}-${nonce}`,
  doctorRepair: (at: number, nonce: string, dryRun: boolean) => `doctor-repair/${at}-${nonce}${dryRun ? '/dry-run' : ''}`,
};

export type FerryOperation =
  | 'node-create' | 'node-delete' | 'node-register' | 'storage-pool-create'
  | 'rd-create' | 'rd-delete' | 'vd-create' | 'resource-create' | 'resource-delete';

/** LINSTOR's obj_refs keys (the REST answers carry them) in the operator's words. */
const REF_WORDS: Record<string, string> = {
  RscDfn: 'resource', Node: 'node', Remote: 'remote', RscGrp: 'resource group', Schedule: 'schedule', Selection: 'selection',
  Snapshot: 'snapshot', SnapshotName: 'snapshot', StorPool: 'storage pool', VlmNr: 'volume',
};

/** `createResource` -> `create resource`: a workflow type in the operator's words. */
function words(workflowType: string): string {
  return workflowType.replace(/([a-z0-9])([A-Z])/g, '$1 $2').toLowerCase();
}

/**
 * The static summary and details the Web UI shows on an operation's page and in its list: what it
 * is, on which objects, and how to follow it from a shell. Built from the objects' names only
 * (never from the workflow's input, which may carry sealed keys).
 */
export function operationMetadata(workflowType: string, workflowId: string, refs: Record<string, string>): { staticSummary: string; staticDetails: string } {
  const objects = Object.entries(refs).map(([k, v]) => `${REF_WORDS[k] ?? k} ${v}`).join(', ');
  const summary = `${words(workflowType)}${objects ? `: ${objects}` : ''}`;
  const details = [
    `**${summary}** (ferry operation \`${workflowId}\`, workflow \`${workflowType}\`)`,
    '',
    ...Object.entries(refs).map(([k, v]) => `- ${k}: \`${v}\``),
    '',
    `Follow it: \`ferry operation watch ${workflowId}\`; why it failed or is stuck: \`ferry error-reports list\`.`,
  ];
  return { staticSummary: summary, staticDetails: details.join('\n') };
}

/** The page of an operation in the Temporal Web UI (`<ui>/namespaces/<ns>/workflows/<id>[/<run>]/history`). */
export function workflowUrl(cfg: { temporal: { uiUrl: string; namespace: string } }, workflowId: string, runId?: string | null): string {
  const base = cfg.temporal.uiUrl.replace(/\/+$/, '');
  const run = runId ? `/${encodeURIComponent(runId)}` : '';
  return `${base}/namespaces/${encodeURIComponent(cfg.temporal.namespace)}/workflows/${encodeURIComponent(workflowId)}${run}/history`;
}
