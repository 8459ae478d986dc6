// Controller activities for storage pools: record a pool the node's host has shown to exist.
import { ApplicationFailure } from '@temporalio/activity';
import type { Catalog } from '../../catalog/index.js';

export interface StoragePoolSpec {
  node: string;
  name: string;
  provider: 'LVM_THIN';
  vg: string;
  thinPool: string;
}

export function createStoragePoolActivities(deps: { catalog: Catalog; now?: () => number }) {
  const now = deps.now ?? Date.now;
  const { catalog } = deps;
  return {
    /**
     * Records the pool with the capacity the host reported. Idempotent: the same pool recorded
     * again is success; a pool of that name on another VG/thin pool is a conflict.
     */
    async catalogCreateStoragePool(input: StoragePoolSpec & { freeBytes: number; totalBytes: number }): Promise<void> {
      if (!(await catalog.nodes.get(input.node))) {
        throw ApplicationFailure.create({ type: 'NotFoundError', nonRetryable: true, message: `node '${input.node}' not found` });
      }
      const poolName = `${input.vg}/${input.thinPool}`;
      const created = await catalog.storagePools.create({
        node: input.node,
        name: input.name,
        provider: input.provider,
        poolName,
        freeBytes: input.freeBytes,
        totalBytes: input.totalBytes,
        props: { 'StorDriver/LvmVg': input.vg, 'StorDriver/ThinPool': input.thinPool, 'StorDriver/StorPoolName': poolName },
        now: now(),
      });
      if (created) return;
      const existing = await catalog.storagePools.get(input.node, input.name);
      if (existing && existing.provider === input.provider && existing.poolName === poolName) return;
      throw ApplicationFailure.create({
        type: 'ConflictError',
        nonRetryable: true,
        message: `storage pool '${input.name}' already exists on node '${input.node}' (${existing?.provider} ${existing?.poolName})`,
      });
    },
  };
}
