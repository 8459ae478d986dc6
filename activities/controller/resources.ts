// Controller activities for resource definitions, volume definitions and resources: the catalog
// side of their workflows (locks, allocation of ports/minors/node ids, placement, the layout a
// node needs to configure DRBD). Each is idempotent for a retry of the same workflow.
import { ApplicationFailure } from '@temporalio/activity';
import { randomBytes } from 'node:crypto';
import { connectionStatus } from '../../core/node-state.js';
import type { Catalog, ResourceFlag } from './catalog/index.js';
import { DEFAULT_RESOURCE_GROUP } from './catalog/resources.js';
import { placeReplicas, type PlacementCandidate } from './placement.js';
export { placeReplicas } from './placement.js';

/** Everything a node needs to bring one resource up: the .res contents and its own volumes. */
export interface ResourceLayout {
  resource: string;
  port: number;
  secret: string;
  volumes: { volumeNumber: number; minor: number; sizeBytes: number }[];
  nodes: {
    node: string;
    nodeId: number;
    address: string;
    diskless: boolean;
    storagePool: string;
    /** vg and thin pool of the node's storage pool; null when diskless. */
    vg: string | null;
    thinPool: string | null;
  }[];
}

export interface PlaceResourceInput {
  resource: string;
  /** Explicit nodes (`r c node1 node2 db0`), or... */
  nodes?: string[];
  /** ...the number of diskful replicas the autoplacer makes sure exist (`--auto-place N`). */
  placeCount?: number;
  storagePool?: string;
  diskless?: boolean;
}

const fail = (type: string, message: string) => ApplicationFailure.create({ type, message, nonRetryable: true });

export function createResourceActivities(deps: { catalog: Catalog; now?: () => number; offlineAfterMs?: number }) {
  const now = deps.now ?? Date.now;
  const offlineAfterMs = deps.offlineAfterMs ?? 15_000;
  const { catalog } = deps;

  async function layout(resource: string): Promise<ResourceLayout> {
    const rd = await catalog.resources.getDefinition(resource);
    if (!rd) throw fail('NotFoundError', `resource definition '${resource}' not found`);
    const vds = await catalog.resources.listVolumeDefinitions(resource);
    const rs = await catalog.resources.list({ resource });
    const nodes: ResourceLayout['nodes'] = [];
    for (const r of rs) {
      const n = await catalog.nodes.get(r.node);
      if (!n) throw fail('NotFoundError', `node '${r.node}' of resource '${resource}' not found`);
      const diskless = r.flags.includes('DISKLESS');
      const sp = diskless ? undefined : await catalog.storagePools.get(r.node, r.storagePool);
      if (!diskless && !sp) throw fail('NotFoundError', `storage pool '${r.storagePool}' not found on node '${r.node}'`);
      nodes.push({
        node: r.node,
        nodeId: r.nodeId,
        address: n.address,
        diskless,
        storagePool: r.storagePool,
        vg: sp?.props['StorDriver/LvmVg'] ?? null,
        thinPool: sp?.props['StorDriver/ThinPool'] ?? null,
      });
    }
    return {
      resource,
      port: rd.port,
      secret: rd.secret,
      volumes: vds.map((v) => ({ volumeNumber: v.volumeNumber, minor: v.minor, sizeBytes: v.sizeBytes })),
      nodes,
    };
  }

  return {
    /**
     * Takes the lock of a resource definition for a workflow. Busy -> a retryable failure: the
     * workflow's retry policy is its place in the queue.
     */
    async catalogLockResource(input: { resource: string; holder: string }): Promise<void> {
      const r = await catalog.resources.lock(input.resource, input.holder, now());
      if (!r.held) throw ApplicationFailure.create({ type: 'ResourceBusy', message: `resource '${input.resource}' is busy with ${r.holder}; waiting for it` });
    },

    async catalogUnlockResource(input: { resource: string; holder: string }): Promise<void> {
      await catalog.resources.unlock(input.resource, input.holder);
    },

    async catalogCreateResourceDefinition(input: { name: string; resourceGroup?: string; port?: number; requestId: string }): Promise<{ name: string; port: number }> {
      const out = await catalog.resources.createDefinition({
        name: input.name,
        resourceGroup: input.resourceGroup ?? DEFAULT_RESOURCE_GROUP,
        port: input.port,
        secret: randomBytes(15).toString('base64url'),
        props: { 'Ferry/CreatedBy': input.requestId },
        now: now(),
      });
      if (out.created) return { name: out.record.name, port: out.record.port };
      if (out.reason === 'exists' && out.record?.props['Ferry/CreatedBy'] === input.requestId) return { name: out.record.name, port: out.record.port };
      if (out.reason === 'exists') throw fail('ConflictError', `resource definition '${input.name}' already exists`);
      if (out.reason === 'missing') throw fail('NotFoundError', `resource group '${input.resourceGroup}' not found`);
      throw fail('ConflictError', input.port ? `TCP port ${input.port} is already used by another resource definition` : 'no free DRBD TCP port left (7000-7999)');
    },

    async catalogCreateVolumeDefinition(input: { resource: string; volumeNumber: number; sizeBytes: number; minor?: number }): Promise<{ volumeNumber: number; minor: number; sizeBytes: number }> {
      const out = await catalog.resources.createVolumeDefinition(input);
      if (out.created) return out.record;
      if (out.reason === 'exists' && out.record && out.record.sizeBytes === input.sizeBytes && (input.minor === undefined || input.minor === out.record.minor)) return out.record;
      if (out.reason === 'exists') throw fail('ConflictError', `volume definition ${input.volumeNumber} of '${input.resource}' already exists`);
      if (out.reason === 'missing') throw fail('NotFoundError', `resource definition '${input.resource}' not found`);
      throw fail('ConflictError', input.minor !== undefined ? `DRBD minor ${input.minor} is already used` : 'no free DRBD minor left');
    },

    /**
     * Chooses the nodes (explicit, or the autoplacer's choice for the replicas still missing) and
     * records the resources with their DRBD node ids. Idempotent: replicas already recorded count.
     */
    async catalogPlaceResource(input: PlaceResourceInput): Promise<{ added: string[]; layout: ResourceLayout }> {
      const rd = await catalog.resources.getDefinition(input.resource);
      if (!rd) throw fail('NotFoundError', `resource definition '${input.resource}' not found`);
      if ((await catalog.resources.listVolumeDefinitions(input.resource)).length === 0) {
        throw fail('ValidationError', `resource definition '${input.resource}' has no volume definitions; add one: ferry vd create ${input.resource} SIZE`);
      }
      const existing = await catalog.resources.list({ resource: input.resource });
      const have = new Set(existing.map((r) => r.node));
      const placements: { node: string; storagePool: string; flags: ResourceFlag[] }[] = [];
      if (input.nodes && input.nodes.length > 0) {
        for (const node of input.nodes) {
          if (have.has(node)) continue;
          if (!(await catalog.nodes.get(node))) throw fail('NotFoundError', `node '${node}' not found`);
          const pool = input.diskless ? 'DfltDisklessStorPool' : input.storagePool;
          if (!pool) throw fail('ValidationError', 'give --storage-pool for explicitly placed diskful resources');
          if (!(await catalog.storagePools.get(node, pool))) throw fail('NotFoundError', `storage pool '${pool}' not found on node '${node}'`);
          placements.push({ node, storagePool: pool, flags: input.diskless ? ['DISKLESS'] : [] });
        }
      } else {
        const wanted = input.placeCount ?? 1;
        const diskful = existing.filter((r) => !r.flags.includes('DISKLESS')).length;
        if (diskful < wanted) {
          const size = (await catalog.resources.listVolumeDefinitions(input.resource)).reduce((a, v) => a + v.sizeBytes, 0);
          const candidates = await placementCandidates(catalog, input.resource, now(), offlineAfterMs);
          const chosen = placeReplicas({ resource: input.resource, count: wanted - diskful, sizeBytes: size, storagePool: input.storagePool, existing: diskful, candidates });
          for (const c of chosen) placements.push({ node: c.node, storagePool: c.storagePool, flags: [] });
        }
      }
      await catalog.resources.createMany(input.resource, placements, now());
      return { added: placements.map((p) => p.node), layout: await layout(input.resource) };
    },

    async catalogResourceLayout(resource: string): Promise<ResourceLayout> {
      return layout(resource);
    },

    /** What a node reported about its volumes of a resource. */
    async catalogRecordVolumes(input: { resource: string; node: string; volumes: { volumeNumber: number; backingDisk: string | null; allocatedBytes: number | null; diskState: string; inUse: boolean }[] }): Promise<void> {
      const t = now();
      for (const v of input.volumes) await catalog.resources.recordVolume(input.resource, input.node, v, t);
    },

    async catalogDeleteResource(input: { resource: string; node: string }): Promise<boolean> {
      return catalog.resources.delete(input.resource, input.node);
    },

    async catalogDeleteResourceDefinition(resource: string): Promise<boolean> {
      return catalog.resources.deleteDefinition(resource);
    },
  };
}

/** Every (node, diskful pool) of the cluster as the placement sees it. */
export async function placementCandidates(catalog: Catalog, resource: string, t: number, offlineAfterMs: number): Promise<PlacementCandidate[]> {
  const have = new Set((await catalog.resources.list({ resource })).map((r) => r.node));
  const candidates: PlacementCandidate[] = [];
  for (const n of await catalog.nodes.list()) {
    const online = connectionStatus(n, t, offlineAfterMs) === 'ONLINE' && !n.flags.includes('EVICTED') && !n.flags.includes('EVACUATE');
    for (const sp of await catalog.storagePools.list(n.name)) {
      candidates.push({ node: n.name, storagePool: sp.name, online, freeBytes: sp.freeBytes ?? 0, hasResource: have.has(n.name) });
    }
  }
  return candidates;
}
