// Controller activities of resource groups (create/modify/delete, spawn's definitions), of
// `set-property` on resource groups, resource definitions, resources and storage pools, and of
// `vd set-size`'s catalog step. Each is idempotent for a retry of the same workflow; values were
// validated by the API (core/properties.ts checkProperty) before the workflow started.
import { ApplicationFailure } from '@temporalio/activity';
import { randomBytes } from 'node:crypto';
import type { Catalog, PropertyTarget, SelectFilter } from '../../catalog/index.js';
import type { PlaceResourceInput } from './resources.js';

const fail = (type: string, message: string) => ApplicationFailure.create({ type, message, nonRetryable: true });

/** LINSTOR's default place count of a resource group that does not set one. */
export const DEFAULT_PLACE_COUNT = 2;

/** The autoplacer input of a resource spawned from a group with this select filter. */
export function placeInputOf(resource: string, sf: SelectFilter): PlaceResourceInput {
  return {
    resource,
    placeCount: sf.placeCount ?? DEFAULT_PLACE_COUNT,
    ...(sf.storagePool?.length ? { storagePools: sf.storagePool, storagePool: sf.storagePool[0] } : {}),
    ...(sf.replicasOnSame ? { replicasOnSame: sf.replicasOnSame } : {}),
    ...(sf.replicasOnDifferent ? { replicasOnDifferent: sf.replicasOnDifferent } : {}),
    ...(sf.doNotPlaceWith ? { doNotPlaceWith: sf.doNotPlaceWith } : {}),
    ...(sf.doNotPlaceWithRegex !== undefined ? { doNotPlaceWithRegex: sf.doNotPlaceWithRegex } : {}),
    ...(sf.disklessOnRemaining ? { disklessOnRemaining: true } : {}),
  };
}

export function describeTarget(t: PropertyTarget): string {
  switch (t.kind) {
    case 'resource-group':
      return `resource group '${t.name}'`;
    case 'resource-definition':
      return `resource definition '${t.resource}'`;
    case 'volume-definition':
      return `volume definition ${t.volumeNumber} of '${t.resource}'`;
    case 'resource':
      return `resource '${t.resource}' on node '${t.node}'`;
    case 'storage-pool':
      return `storage pool '${t.pool}' on node '${t.node}'`;
  }
}

export function createResourceGroupActivities(deps: { catalog: Catalog; now?: () => number }) {
  const now = deps.now ?? Date.now;
  const { catalog } = deps;
  return {
    async catalogCreateResourceGroup(input: { name: string; description?: string; selectFilter: SelectFilter; props?: Record<string, string> }): Promise<{ name: string; created: boolean }> {
      const out = await catalog.resourceGroups.create({ ...input, now: now() });
      if (out.created) return { name: input.name, created: true };
      // a retry of this workflow finds its own row: the same filter is success
      if (JSON.stringify(out.record.selectFilter) === JSON.stringify(input.selectFilter)) return { name: input.name, created: false };
      throw fail('ConflictError', `resource group '${input.name}' already exists`);
    },

    async catalogModifyResourceGroup(input: { name: string; description?: string; selectFilter: Partial<Record<keyof SelectFilter, unknown>> }): Promise<SelectFilter> {
      const rg = await catalog.resourceGroups.modify(input.name, input);
      if (!rg) throw fail('NotFoundError', `resource group '${input.name}' not found`);
      return rg.selectFilter;
    },

    async catalogDeleteResourceGroup(name: string): Promise<boolean> {
      const r = await catalog.resourceGroups.delete(name);
      if (r === 'in-use') {
        const rds = await catalog.resourceGroups.definitionsOf(name);
        throw fail('ConflictError', `resource group '${name}' is used by resource definitions ${rds.join(', ')}; delete them first`);
      }
      return r === 'deleted';
    },

    /**
     * `rg spawn`: the resource definition in the group with one volume definition per size, and the
     * autoplacer input from the group's select filter. Idempotent: a definition already in this
     * group with these sizes (a retry, or the same spawn again) is success.
     */
    async catalogSpawnDefinitions(input: { resourceGroup: string; resource: string; sizes: number[] }): Promise<PlaceResourceInput> {
      const rg = await catalog.resourceGroups.get(input.resourceGroup);
      if (!rg) throw fail('NotFoundError', `resource group '${input.resourceGroup}' not found`);
      const rd = await catalog.resources.getDefinition(input.resource);
      if (rd && rd.resourceGroup !== rg.name) throw fail('ConflictError', `resource definition '${input.resource}' already exists in resource group '${rd.resourceGroup}'`);
      if (!rd) {
        const out = await catalog.resources.createDefinition({ name: input.resource, resourceGroup: rg.name, secret: randomBytes(15).toString('base64url'), props: {}, now: now() });
        if (!out.created && out.reason !== 'exists') throw fail(out.reason === 'missing' ? 'NotFoundError' : 'ConflictError', out.reason === 'missing' ? `resource group '${rg.name}' not found` : 'no free DRBD TCP port left (7000-7999)');
      }
      const vds = await catalog.resources.listVolumeDefinitions(input.resource);
      for (const [i, size] of input.sizes.entries()) {
        const have = vds.find((v) => v.volumeNumber === i);
        if (have && have.sizeBytes !== size) throw fail('ConflictError', `volume ${i} of '${input.resource}' exists with another size (${have.sizeBytes} bytes)`);
        if (have) continue;
        const out = await catalog.resources.createVolumeDefinition({ resource: input.resource, volumeNumber: i, sizeBytes: size });
        if (!out.created && out.reason !== 'exists') throw fail('ConflictError', 'no free DRBD minor left');
      }
      return placeInputOf(input.resource, rg.selectFilter);
    },

    /** Sets (string) or deletes (null) properties of one object. */
    async catalogSetObjectProperties(input: { target: PropertyTarget; changes: Record<string, string | null> }): Promise<void> {
      if (!(await catalog.resourceGroups.setProps(input.target, input.changes))) throw fail('NotFoundError', `${describeTarget(input.target)} not found`);
    },

    /** `rd modify RSC --resource-group RG`: the definition moves to the group; false when it was there already. */
    async catalogSetDefinitionGroup(input: { resource: string; resourceGroup: string }): Promise<boolean> {
      const r = await catalog.resources.setDefinitionGroup(input.resource, input.resourceGroup);
      if (!r.ok) throw fail('NotFoundError', r.missing === 'resource group' ? `resource group '${input.resourceGroup}' not found` : `resource definition '${input.resource}' not found`);
      return r.changed;
    },

    /** The resource definitions of a group (whose .res a DrbdOptions change of the group reaches). */
    async catalogDefinitionsOfGroup(name: string): Promise<string[]> {
      return catalog.resourceGroups.definitionsOf(name);
    },

    /** Records a grown volume definition (after every replica grew). */
    async catalogGrowVolumeDefinition(input: { resource: string; volumeNumber: number; sizeBytes: number }): Promise<void> {
      await catalog.resourceGroups.growVolumeDefinition(input.resource, input.volumeNumber, input.sizeBytes);
    },
  };
}
