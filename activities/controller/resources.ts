// Controller activities for resource definitions, volume definitions and resources: the catalog
// side of their workflows (locks, allocation of ports/minors/node ids, placement, the layout a
// node needs to configure DRBD). Each is idempotent for a retry of the same workflow.
import { ApplicationFailure } from '@temporalio/activity';
import { randomBytes } from 'node:crypto';
import type { AuxMatchInput } from '../../core/autoplacer.js';
import type { Catalog, ResourceFlag } from '../../catalog/index.js';
import { DEFAULT_RESOURCE_GROUP } from '../../catalog/resources.js';
import { asFailure, planPlacement } from './placement.js';
import type { DrbdResourceOptions } from '../../core/drbd-config.js';
import { drbdOptionsFromProps } from '../../core/drbd-props.js';
export { planPlacement, placementCluster, placementCandidates, placeReplicasAmong as placeReplicas } from './placement.js';

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
  /** DRBD options from DrbdOptions/<Section>/<option> properties (core/drbd-props.ts); absent: none. */
  options?: DrbdResourceOptions;
}

export interface PlaceResourceInput {
  resource: string;
  /** Explicit nodes (`r c node1 node2 db0`), or... */
  nodes?: string[];
  /** ...the number of diskful replicas the autoplacer makes sure exist (`--auto-place N`). */
  placeCount?: number;
  /** Explicit placement: the pool of every node. Autoplacement: the first of `storagePools`. */
  storagePool?: string;
  diskless?: boolean;
  /** Autoplacer constraints (`r create --auto-place`, `rd autoplace`), as core/autoplacer takes them. */
  storagePools?: string[];
  replicasOnSame?: AuxMatchInput[];
  replicasOnDifferent?: AuxMatchInput[];
  doNotPlaceWith?: string[];
  doNotPlaceWithRegex?: string;
  /** Every other eligible node without a replica gets a diskless one. */
  disklessOnRemaining?: boolean;
}

/** The autoplacer request of a PlaceResourceInput (placeCount is absolute: `+N` is resolved by the caller). */
export function placementRequestOf(input: PlaceResourceInput, sizeBytes: number): Parameters<typeof planPlacement>[1] {
  const pools = input.storagePools ?? (input.storagePool ? [input.storagePool] : undefined);
  return {
    resource: input.resource,
    placeCount: input.placeCount ?? 1,
    sizeBytes,
    ...(pools ? { storagePools: pools } : {}),
    ...(input.replicasOnSame ? { replicasOnSame: input.replicasOnSame } : {}),
    ...(input.replicasOnDifferent ? { replicasOnDifferent: input.replicasOnDifferent } : {}),
    ...(input.doNotPlaceWith ? { doNotPlaceWith: input.doNotPlaceWith } : {}),
    ...(input.doNotPlaceWithRegex !== undefined ? { doNotPlaceWithRegex: input.doNotPlaceWithRegex } : {}),
    ...(input.disklessOnRemaining ? { disklessOnRemaining: true } : {}),
  };
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
    const rg = await catalog.resourceGroups.get(rd.resourceGroup);
    const options = drbdOptionsFromProps({ 'resource-definition': rd.props, 'resource-group': rg?.props, controller: await catalog.resourceGroups.controllerProps() });
    return {
      resource,
      port: rd.port,
      secret: rd.secret,
      volumes: vds.map((v) => ({ volumeNumber: v.volumeNumber, minor: v.minor, sizeBytes: v.sizeBytes })),
      nodes,
      ...(Object.keys(options).length ? { options } : {}),
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

    async catalogCreateVolumeDefinition(input: { resource: string; volumeNumber: number; sizeBytes: number; minor?: number; props?: Record<string, string> }): Promise<{ volumeNumber: number; minor: number; sizeBytes: number }> {
      const out = await catalog.resources.createVolumeDefinition(input);
      if (out.created) return out.record;
      if (out.reason === 'exists' && out.record && out.record.sizeBytes === input.sizeBytes && (input.minor === undefined || input.minor === out.record.minor)) return out.record;
      if (out.reason === 'exists') throw fail('ConflictError', `volume definition ${input.volumeNumber} of '${input.resource}' already exists`);
      if (out.reason === 'missing') throw fail('NotFoundError', `resource definition '${input.resource}' not found`);
      throw fail('ConflictError', input.minor !== undefined ? `DRBD minor ${input.minor} is already used` : 'no free DRBD minor left');
    },

    /** Forgets a volume definition no resource is deployed with. Idempotent: one already gone is success (false). */
    async catalogDeleteVolumeDefinition(input: { resource: string; volumeNumber: number }): Promise<boolean> {
      const out = await catalog.resources.deleteVolumeDefinition(input.resource, input.volumeNumber);
      if (out === 'in-use') throw fail('ConflictError', `volume definition ${input.volumeNumber} of '${input.resource}' is in use: resource '${input.resource}' is deployed; delete its resources first`);
      return out === 'deleted';
    },

    /**
     * Chooses the nodes (explicit, or the autoplacer's choice for the replicas still missing) and
     * records the resources with their DRBD node ids. Idempotent: replicas already recorded count.
     * `added` is every replica still to be deployed: the ones recorded now, and the ones recorded
     * before that no node has reported volumes of yet. A retry whose first attempt committed but
     * whose result was lost (the controller killed between the two) so still creates their LVs and
     * meta data; the hosts' steps are check-then-act, so this is safe when they did happen.
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
        const size = (await catalog.resources.listVolumeDefinitions(input.resource)).reduce((a, v) => a + v.sizeBytes, 0);
        let plan;
        try {
          plan = await planPlacement(catalog, placementRequestOf(input, size), now(), offlineAfterMs);
        } catch (e) {
          throw asFailure(e);
        }
        for (const c of plan.diskful) placements.push({ node: c.node, storagePool: c.storagePool, flags: [] });
        for (const node of plan.diskless) if (!have.has(node)) placements.push({ node, storagePool: 'DfltDisklessStorPool', flags: ['DISKLESS'] });
      }
      await catalog.resources.createMany(input.resource, placements, now());
      const undeployed = existing.filter((r) => r.volumes.length === 0).map((r) => r.node);
      const added = [...new Set([...undeployed, ...placements.map((p) => p.node)])];
      return { added, layout: await layout(input.resource) };
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
