// Names shared by workflows, the controller and the SDK: workflow ids, task queues, search attributes.

/** `ferry-controller` -> `ferry-node-node1`: node queues share the controller queue's prefix. */
export function nodeQueueFor(controllerQueue: string, node: string): string {
  const prefix = controllerQueue.endsWith('-controller') ? controllerQueue.slice(0, -'-controller'.length) : controllerQueue;
  return `${prefix}-node-${node}`;
}

export const workflowIds = {
  createNode: (node: string) => `node-create/${node}`,
  deleteNode: (node: string) => `node-delete/${node}`,
  registerNode: (node: string, agentStartedAt: number) => `node-register/${node}/${agentStartedAt}`,
  createStoragePool: (node: string, pool: string) => `storage-pool-create/${node}/${pool}`,
  createResourceDefinition: (rsc: string) => `rd-create/${rsc}`,
  deleteResourceDefinition: (rsc: string) => `rd-delete/${rsc}`,
  createVolumeDefinition: (rsc: string) => `vd-create/${rsc}`,
  /** One id per resource and kind: a second identical request joins the running one. */
  createResource: (rsc: string) => `resource-create/${rsc}`,
  deleteResource: (rsc: string, node: string) => `resource-delete/${rsc}/${node}`,
};

export type FerryOperation =
  | 'node-create' | 'node-delete' | 'node-register' | 'storage-pool-create'
  | 'rd-create' | 'rd-delete' | 'vd-create' | 'resource-create' | 'resource-delete';
