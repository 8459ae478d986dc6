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
};

export type FerryOperation = 'node-create' | 'node-delete' | 'node-register';
