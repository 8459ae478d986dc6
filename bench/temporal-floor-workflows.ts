// The workflow of bench/temporal-floor.ts: the Temporal side of a lean `r create --auto-place 3`
// (workflows/create-resource.ts) with nothing behind it. Same search attributes, the same local
// activities (lock, place, record x3, unlock) and one activity per node on that node's own task
// queue; every activity returns at once.
import { proxyActivities, proxyLocalActivities, upsertSearchAttributes } from '@temporalio/workflow';

export interface FloorActivities {
  floorLock(resource: string): Promise<void>;
  floorPlace(resource: string): Promise<string[]>;
  floorDeploy(input: { resource: string; node: string }): Promise<{ volumeNumber: number; diskState: string }[]>;
  floorRecord(input: { resource: string; node: string }): Promise<void>;
  floorUnlock(resource: string): Promise<void>;
}

const local = proxyLocalActivities<FloorActivities>({ startToCloseTimeout: '30 seconds', retry: { maximumAttempts: 10 } });

const onNode = (queue: string) =>
  proxyActivities<FloorActivities>({
    taskQueue: queue,
    scheduleToCloseTimeout: '10 minutes',
    startToCloseTimeout: '2 minutes',
    heartbeatTimeout: '30 seconds',
    retry: { initialInterval: '1 second', maximumInterval: '10 seconds' },
  });

export async function floorCreate(input: { resource: string; queuePrefix: string }): Promise<void> {
  upsertSearchAttributes({ FerryResource: [input.resource], FerryOperation: ['resource-create'] });
  await local.floorLock(input.resource);
  const nodes = await local.floorPlace(input.resource);
  upsertSearchAttributes({ FerryNode: nodes });
  await Promise.all(nodes.map((node) => onNode(`${input.queuePrefix}-${node}`).floorDeploy({ resource: input.resource, node })));
  await Promise.all(nodes.map((node) => local.floorRecord({ resource: input.resource, node })));
  await local.floorUnlock(input.resource);
}
