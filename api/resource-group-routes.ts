// REST routes of resource groups (LINSTOR's /v1/resource-groups, spawn), of properties of resource
// groups, resource definitions, resources and storage pools (PUT with override_props /
// delete_props, as LINSTOR's modify calls), of `vd set-size` (PUT size_kib on a volume definition),
// and ferry's property view with inheritance (/v1/ferry/properties?...&effective=true).
// Everything is validated and checked against the catalog before a workflow starts.
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { FerryConfig } from '../core/config.js';
import { ConflictError, NotFoundError, ValidationError } from '../core/errors.js';
import { checkDrbdOptionProperty } from '../core/drbd-props.js';
import { checkProperty, effectiveProperties, type PropLevel, type PropLevels } from '../core/properties.js';
import {
  autoPlaceOptionsSchema, parseInput, propertyKeySchema, propertyValueSchema, resourceDefinitionNameSchema, resourceGroupCreateSchema,
  nodeNameSchema, resourceGroupNameSchema, sizeSchema, spawnResourcesSchema, storagePoolNameSchema, volumeNumberSchema,
} from '../core/validation.js';
import type { Catalog, PropertyTarget, ResourceGroupRecord, SelectFilter } from '../catalog/index.js';
import { placementRequestOf, planPlacement } from '../activities/controller/resources.js';
import { placeInputOf } from '../activities/controller/resource-groups.js';
import { refuse } from './linstor-shapes.js';
import type { Mutate } from './resource-routes.js';

interface Ctx {
  cfg: FerryConfig;
  catalog: Catalog;
  now: () => number;
  mutate: Mutate;
}

type Wait = { Querystring: { wait?: string } };

/** LINSTOR's ResourceGroup shape. */
export function resourceGroupJson(rg: ResourceGroupRecord) {
  const sf = rg.selectFilter;
  return {
    name: rg.name,
    description: rg.description,
    props: rg.props,
    select_filter: {
      ...(sf.placeCount !== undefined ? { place_count: sf.placeCount } : {}),
      ...(sf.storagePool?.length ? { storage_pool: sf.storagePool[0], storage_pool_list: sf.storagePool } : {}),
      ...(sf.replicasOnSame ? { replicas_on_same: sf.replicasOnSame } : {}),
      ...(sf.replicasOnDifferent ? { replicas_on_different: sf.replicasOnDifferent } : {}),
      ...(sf.doNotPlaceWith ? { not_place_with_rsc: sf.doNotPlaceWith } : {}),
      ...(sf.doNotPlaceWithRegex !== undefined ? { not_place_with_rsc_regex: sf.doNotPlaceWithRegex } : {}),
      ...(sf.disklessOnRemaining !== undefined ? { diskless_on_remaining: sf.disklessOnRemaining } : {}),
    },
    volume_groups: [{ volume_number: 0, props: {}, flags: [] as string[] }],
  };
}
export type ResourceGroupJson = ReturnType<typeof resourceGroupJson>;

export interface EffectivePropertyJson {
  key: string;
  value: string;
  /** The object the value comes from (core/properties.ts PropLevel) or 'default'. */
  origin: string;
}


/** LINSTOR's AutoSelectFilter body -> the select filter ferry stores (validated). */
function selectFilterOf(f: Record<string, unknown>, field: string): Partial<Record<keyof SelectFilter, unknown>> {
  const pools = f.storage_pool_list ?? (f.storage_pool !== undefined ? (f.storage_pool === null ? null : [f.storage_pool]) : undefined);
  const raw: Record<string, unknown> = {
    placeCount: f.place_count, storagePool: pools, replicasOnSame: f.replicas_on_same, replicasOnDifferent: f.replicas_on_different,
    doNotPlaceWith: f.not_place_with_rsc, doNotPlaceWithRegex: f.not_place_with_rsc_regex, disklessOnRemaining: f.diskless_on_remaining,
  };
  const given = Object.fromEntries(Object.entries(raw).filter(([, v]) => v !== undefined && v !== null));
  const parsed = parseInput(autoPlaceOptionsSchema, given, field) as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(raw)) if (v === null) out[k] = null;
  for (const k of Object.keys(given)) out[k] = parsed[k];
  return out as Partial<Record<keyof SelectFilter, unknown>>;
}

/** override_props / delete_props, each key checked for the object's level (LINSTOR's whitelist). */
export function propertyChangesOf(body: unknown, level: PropLevel): Record<string, string | null> {
  const b = (body ?? {}) as { override_props?: unknown; delete_props?: unknown };
  const over = (b.override_props ?? {}) as Record<string, unknown>;
  if (typeof over !== 'object' || Array.isArray(over)) throw new ValidationError('override_props', 'must be an object of key -> string value');
  const del = b.delete_props ?? [];
  if (!Array.isArray(del)) throw new ValidationError('delete_props', 'must be a list of keys');
  const changes: Record<string, string | null> = {};
  for (const [k, v] of Object.entries(over)) {
    const key = parseInput(propertyKeySchema, k, 'override_props');
    const value = parseInput(propertyValueSchema, v, `override_props.${key}`);
    const c = checkProperty(key, value, level);
    if (!c.ok) throw new ValidationError(`override_props.${key}`, c.message);
    const drbd = checkDrbdOptionProperty(key, c.value);
    if (drbd) throw new ValidationError(`override_props.${key}`, drbd);
    changes[key] = c.value;
  }
  for (const k of del) changes[parseInput(propertyKeySchema, k, 'delete_props')] = null;
  if (Object.keys(changes).length === 0) throw new ValidationError('override_props', 'give at least one property to set (override_props) or delete (delete_props)');
  return changes;
}

export function registerResourceGroupRoutes(app: FastifyInstance, ctx: Ctx): void {
  const { catalog, cfg, mutate } = ctx;
  const wait = (q: { wait?: string }) => q.wait === 'true';

  async function requireRg(name: string) {
    const rg = await catalog.resourceGroups.get(parseInput(resourceGroupNameSchema, name, 'resource_group'));
    if (!rg) throw new NotFoundError('resource group', name);
    return rg;
  }
  async function requireRd(rsc: string) {
    const rd = await catalog.resources.getDefinition(parseInput(resourceDefinitionNameSchema, rsc, 'resource_definition'));
    if (!rd) throw new NotFoundError('resource definition', rsc);
    return rd;
  }
  const visible = (props: Record<string, string> | undefined) =>
    props ? Object.fromEntries(Object.entries(props).filter(([k]) => !k.startsWith('Ferry/'))) : undefined;

  /** The property maps in play for one object, and its own level. */
  async function levelsOf(t: PropertyTarget): Promise<{ own: PropLevel; levels: PropLevels }> {
    const controller = await catalog.resourceGroups.controllerProps();
    switch (t.kind) {
      case 'resource-group': {
        const rg = await requireRg(t.name);
        return { own: 'resource-group', levels: { 'resource-group': rg.props, controller } };
      }
      case 'resource-definition': {
        const rd = await requireRd(t.resource);
        const rg = await catalog.resourceGroups.get(rd.resourceGroup);
        return { own: 'resource-definition', levels: { 'resource-definition': visible(rd.props), 'resource-group': rg?.props, controller } };
      }
      case 'resource': {
        const rd = await requireRd(t.resource);
        const own = await catalog.resourceGroups.props(t);
        if (!own) throw new NotFoundError('resource', t.resource, `resource '${t.resource}' not found on node '${t.node}'`);
        const rg = await catalog.resourceGroups.get(rd.resourceGroup);
        const node = await catalog.nodes.get(t.node);
        return { own: 'resource', levels: { resource: own, 'resource-definition': visible(rd.props), 'resource-group': rg?.props, node: node?.props, controller } };
      }
      case 'storage-pool': {
        const own = await catalog.resourceGroups.props(t);
        if (!own) throw new NotFoundError('storage pool', t.pool, `storage pool '${t.pool}' not found on node '${t.node}'`);
        const node = await catalog.nodes.get(t.node);
        return { own: 'storage-pool', levels: { 'storage-pool': own, node: node?.props, controller } };
      }
    }
  }

  function setProps(reply: FastifyReply, w: boolean, target: PropertyTarget, level: PropLevel, body: unknown, label: string, refs: Record<string, string>) {
    const changes = propertyChangesOf(body, level);
    const id = `properties/${level}/${Object.values(target).slice(1).join('/')}/${Object.keys(changes).join(',')}`.slice(0, 200);
    return mutate(reply, w, 'setObjectProperties', id, [{ target, changes }], `Properties of ${label} changed.`, refs);
  }

  // ---- resource groups ------------------------------------------------------------------------

  app.get('/v1/resource-groups', async () => (await catalog.resourceGroups.list()).map(resourceGroupJson));

  app.get<{ Params: { rg: string } }>('/v1/resource-groups/:rg', async (req, reply) => {
    try {
      return resourceGroupJson(await requireRg(req.params.rg));
    } catch (e) {
      return refuse(reply, e);
    }
  });

  app.post<Wait>('/v1/resource-groups', async (req, reply) => {
    try {
      const body = (req.body ?? {}) as { name?: unknown; description?: unknown; select_filter?: Record<string, unknown>; props?: unknown };
      const sf = selectFilterOf(body.select_filter ?? {}, 'select_filter');
      const rg = parseInput(resourceGroupCreateSchema, { name: body.name, ...(body.description !== undefined ? { description: body.description } : {}) });
      const props = body.props === undefined ? {} : propertyChangesOf({ override_props: body.props }, 'resource-group') as Record<string, string>;
      if (await catalog.resourceGroups.get(rg.name)) throw new ConflictError('resource group', rg.name, 'exists');
      const selectFilter = Object.fromEntries(Object.entries(sf).filter(([, v]) => v !== null)) as SelectFilter;
      return await mutate(reply, wait(req.query), 'createResourceGroup', `rg-create/${rg.name}`,
        [{ name: rg.name, description: rg.description ?? '', selectFilter, props }], `New resource group '${rg.name}' created.`, { RscGrp: rg.name });
    } catch (e) {
      return refuse(reply, e);
    }
  });

  app.put<{ Params: { rg: string } } & Wait>('/v1/resource-groups/:rg', async (req, reply) => {
    try {
      const rg = await requireRg(req.params.rg);
      const body = (req.body ?? {}) as { description?: unknown; select_filter?: Record<string, unknown>; override_props?: unknown; delete_props?: unknown };
      const hasProps = body.override_props !== undefined || body.delete_props !== undefined;
      const hasFilter = body.select_filter !== undefined || body.description !== undefined;
      if (hasProps && hasFilter) throw new ValidationError('override_props', 'change properties and the select filter in separate requests');
      if (hasProps) return await setProps(reply, wait(req.query), { kind: 'resource-group', name: rg.name }, 'resource-group', body, `resource group '${rg.name}'`, { RscGrp: rg.name });
      const sf = selectFilterOf(body.select_filter ?? {}, 'select_filter');
      if (body.description !== undefined && (typeof body.description !== 'string' || body.description.length > 1024)) throw new ValidationError('description', 'must be text of at most 1024 characters');
      if (!Object.keys(sf).length && body.description === undefined) throw new ValidationError('select_filter', 'nothing to change');
      return await mutate(reply, wait(req.query), 'modifyResourceGroup', `rg-modify/${rg.name}/${ctx.now()}`,
        [{ name: rg.name, ...(body.description !== undefined ? { description: body.description } : {}), selectFilter: sf }], `Resource group '${rg.name}' modified.`, { RscGrp: rg.name });
    } catch (e) {
      return refuse(reply, e);
    }
  });

  app.delete<{ Params: { rg: string } } & Wait>('/v1/resource-groups/:rg', async (req, reply) => {
    try {
      const rg = await requireRg(req.params.rg);
      if (rg.name === 'DfltRscGrp') throw new ConflictError('resource group', rg.name, 'in-use', `resource group '${rg.name}' is the default group and cannot be deleted`);
      const rds = await catalog.resourceGroups.definitionsOf(rg.name);
      if (rds.length) throw new ConflictError('resource group', rg.name, 'in-use', `resource group '${rg.name}' is used by resource definitions ${rds.join(', ')}; delete them first`);
      return await mutate(reply, wait(req.query), 'deleteResourceGroup', `rg-delete/${rg.name}`, [{ name: rg.name }], `Resource group '${rg.name}' deleted.`, { RscGrp: rg.name });
    } catch (e) {
      return refuse(reply, e);
    }
  });

  app.post<{ Params: { rg: string } } & Wait>('/v1/resource-groups/:rg/spawn', async (req, reply) => {
    try {
      const body = (req.body ?? {}) as { resource_definition_name?: unknown; volume_sizes?: unknown };
      const sizes = Array.isArray(body.volume_sizes) ? body.volume_sizes.map((k) => (typeof k === 'number' ? k * 1024 : k)) : body.volume_sizes;
      const s = parseInput(spawnResourcesSchema, { resourceGroup: req.params.rg, resource: body.resource_definition_name, sizes });
      const rg = await requireRg(s.resourceGroup);
      const rd = await catalog.resources.getDefinition(s.resource);
      if (rd && rd.resourceGroup !== rg.name) throw new ConflictError('resource definition', s.resource, 'exists', `resource definition '${s.resource}' already exists in resource group '${rd.resourceGroup}'`);
      if (rd) {
        const vds = await catalog.resources.listVolumeDefinitions(s.resource);
        const same = vds.length === s.sizes.length && vds.every((v, i) => v.volumeNumber === i && v.sizeBytes === s.sizes[i]);
        if (!same) throw new ConflictError('resource definition', s.resource, 'exists', `resource definition '${s.resource}' already exists with other volumes`);
      } else {
        // the autoplacer decides now, so a placement the group cannot satisfy is refused (422) before anything changes
        const place = placeInputOf(s.resource, rg.selectFilter);
        await planPlacement(catalog, placementRequestOf(place, s.sizes.reduce((a, b) => a + b, 0)), ctx.now(), cfg.nodeOfflineAfterMs);
      }
      return await mutate(reply, wait(req.query), 'spawnResources', `rg-spawn/${s.resource}`,
        [{ resourceGroup: rg.name, resource: s.resource, sizes: s.sizes }], `Resource '${s.resource}' spawned from resource group '${rg.name}'.`, { RscGrp: rg.name, RscDfn: s.resource });
    } catch (e) {
      return refuse(reply, e);
    }
  });

  // ---- properties of definitions, resources and storage pools ----------------------------------

  app.put<{ Params: { rsc: string } } & Wait>('/v1/resource-definitions/:rsc', async (req, reply) => {
    try {
      const rd = await requireRd(req.params.rsc);
      return await setProps(reply, wait(req.query), { kind: 'resource-definition', resource: rd.name }, 'resource-definition', req.body, `resource definition '${rd.name}'`, { RscDfn: rd.name });
    } catch (e) {
      return refuse(reply, e);
    }
  });

  app.put<{ Params: { rsc: string; node: string } } & Wait>('/v1/resource-definitions/:rsc/resources/:node', async (req, reply) => {
    try {
      const rd = await requireRd(req.params.rsc);
      const node = parseInput(nodeNameSchema, req.params.node, 'node');
      if (!(await catalog.resources.get(rd.name, node))) throw new NotFoundError('resource', rd.name, `resource '${rd.name}' not found on node '${node}'`);
      return await setProps(reply, wait(req.query), { kind: 'resource', resource: rd.name, node }, 'resource', req.body, `resource '${rd.name}' on node '${node}'`, { RscDfn: rd.name, Node: node });
    } catch (e) {
      return refuse(reply, e);
    }
  });

  app.put<{ Params: { node: string; sp: string } } & Wait>('/v1/nodes/:node/storage-pools/:sp', async (req, reply) => {
    try {
      const node = parseInput(nodeNameSchema, req.params.node, 'node');
      const pool = parseInput(storagePoolNameSchema, req.params.sp, 'storage_pool');
      if (!(await catalog.storagePools.get(node, pool))) throw new NotFoundError('storage pool', pool, `storage pool '${pool}' not found on node '${node}'`);
      return await setProps(reply, wait(req.query), { kind: 'storage-pool', node, pool }, 'storage-pool', req.body, `storage pool '${pool}' on node '${node}'`, { StorPool: pool, Node: node });
    } catch (e) {
      return refuse(reply, e);
    }
  });

  /** ?resource_group=RG | ?resource=RSC[&node=N] | ?node=N&storage_pool=P; &effective=true adds inherited values with their origin. */
  app.get<{ Querystring: { resource_group?: string; resource?: string; node?: string; storage_pool?: string; effective?: string } }>('/v1/ferry/properties', async (req, reply) => {
    try {
      const q = req.query;
      const target: PropertyTarget = q.resource_group !== undefined ? { kind: 'resource-group', name: q.resource_group }
        : q.resource !== undefined ? (q.node !== undefined ? { kind: 'resource', resource: q.resource, node: q.node } : { kind: 'resource-definition', resource: q.resource })
        : q.storage_pool !== undefined && q.node !== undefined ? { kind: 'storage-pool', node: q.node, pool: q.storage_pool }
        : (() => { throw new ValidationError('query', 'give resource_group, resource (and node), or node and storage_pool'); })();
      const { own, levels } = await levelsOf(target);
      if (q.effective === 'true') return effectiveProperties(levels) as EffectivePropertyJson[];
      return Object.entries(levels[own] ?? {}).sort(([a], [b]) => a.localeCompare(b)).map(([key, value]): EffectivePropertyJson => ({ key, value, origin: own }));
    } catch (e) {
      return refuse(reply, e);
    }
  });

  // ---- vd set-size ----------------------------------------------------------------------------

  app.put<{ Params: { rsc: string; vlmnr: string } } & Wait>('/v1/resource-definitions/:rsc/volume-definitions/:vlmnr', async (req, reply) => {
    try {
      const rd = await requireRd(req.params.rsc);
      const vlmNr = parseInput(volumeNumberSchema, Number(req.params.vlmnr), 'volume_number');
      const body = (req.body ?? {}) as { size_kib?: unknown };
      if (body.size_kib === undefined) throw new ValidationError('size_kib', 'give the new size (size_kib)');
      const size = parseInput(sizeSchema, typeof body.size_kib === 'number' ? body.size_kib * 1024 : body.size_kib, 'size_kib');
      const vd = (await catalog.resources.listVolumeDefinitions(rd.name)).find((v) => v.volumeNumber === vlmNr);
      if (!vd) throw new NotFoundError('volume definition', `${rd.name}/${vlmNr}`, `volume definition ${vlmNr} of '${rd.name}' not found`);
      if (size < vd.sizeBytes) throw new ValidationError('size_kib', `volume ${vlmNr} of '${rd.name}' is ${vd.sizeBytes / 1024} KiB; it can only grow (shrinking would cut off the end of the file system or data on it)`);
      return await mutate(reply, wait(req.query), 'resizeVolumeDefinition', `vd-resize/${rd.name}/${vlmNr}`,
        [{ resource: rd.name, volumeNumber: vlmNr, sizeBytes: size }], `Volume definition ${vlmNr} of '${rd.name}' resized.`, { RscDfn: rd.name, VlmNr: String(vlmNr) });
    } catch (e) {
      return refuse(reply, e);
    }
  });
}
