// REST routes of resource groups (LINSTOR's /v1/resource-groups, spawn), of properties of resource
// groups, resource definitions, resources and storage pools (PUT with override_props /
// delete_props, as LINSTOR's modify calls), and ferry's property view with inheritance
// (/v1/ferry/properties?...&effective=true).
// Everything is validated and checked against the catalog before a workflow starts.
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { FerryConfig } from '../core/config.js';
import { ConflictError, NotFoundError, ValidationError } from '../core/errors.js';
import { workflowIds } from '../core/operations.js';
import { checkDrbdOptionProperty } from '../core/drbd-props.js';
import { canonicalPropertyKey, checkProperty, effectiveProperties, type PropLevel, type PropLevels } from '../core/properties.js';
import {
  autoPlaceOptionsSchema, parseInput, propertyKeySchema, propertyValueSchema, resourceDefinitionNameSchema, resourceGroupCreateSchema,
  nodeNameSchema, resourceGroupNameSchema, spawnResourcesSchema, storagePoolNameSchema,
} from '../core/validation.js';
import type { Catalog, PropertyTarget, ResourceGroupRecord, SelectFilter } from '../catalog/index.js';
import type { AuxMatchInput } from '../core/autoplacer.js';
import { placementRequestOf, planPlacement } from '../activities/controller/resources.js';
import { placeInputOf } from '../activities/controller/resource-groups.js';
import { refuse } from './linstor-shapes.js';
import { listParam } from './linstor-compat-routes.js';
import type { Mutate } from './resource-routes.js';

interface Ctx {
  cfg: FerryConfig;
  catalog: Catalog;
  now: () => number;
  mutate: Mutate;
}

type Wait = { Querystring: { wait?: string } };

/** An Aux match as LINSTOR writes it in a select filter: `Aux/rack` or `Aux/rack=a`. */
const auxMatchText = (m: AuxMatchInput): string => (typeof m === 'string' ? m : m.value !== undefined ? `${m.key}=${m.value}` : m.key);

/** LINSTOR's ResourceGroup shape: the select filter echoed in full, as golinstor's AutoSelectFilter reads it. */
export function resourceGroupJson(rg: ResourceGroupRecord) {
  const sf = rg.selectFilter;
  return {
    name: rg.name,
    description: rg.description,
    props: rg.props,
    select_filter: {
      ...(sf.placeCount !== undefined ? { place_count: sf.placeCount } : {}),
      ...(sf.storagePool?.length ? { storage_pool: sf.storagePool[0], storage_pool_list: sf.storagePool } : {}),
      ...(sf.replicasOnSame ? { replicas_on_same: sf.replicasOnSame.map(auxMatchText) } : {}),
      ...(sf.replicasOnDifferent ? { replicas_on_different: sf.replicasOnDifferent.map(auxMatchText) } : {}),
      ...(sf.doNotPlaceWith ? { not_place_with_rsc: sf.doNotPlaceWith } : {}),
      ...(sf.doNotPlaceWithRegex !== undefined ? { not_place_with_rsc_regex: sf.doNotPlaceWithRegex } : {}),
      ...(sf.layerStack?.length ? { layer_stack: sf.layerStack } : {}),
      ...(sf.providerList?.length ? { provider_list: sf.providerList } : {}),
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


/** The only layer stack ferry deploys. */
const LAYER_STACK = ['DRBD', 'STORAGE'];

/** layer_stack: [] clears, DRBD over STORAGE (any case) is kept upper-case as LINSTOR echoes it; anything else is refused. */
function layerStackOf(v: unknown, field: string): string[] | null | undefined {
  if (v === undefined) return undefined;
  if (v === null) return null;
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) throw new ValidationError(field, 'must be a list of layer names, e.g. ["DRBD", "STORAGE"]');
  if (v.length === 0) return null;
  const up = (v as string[]).map((x) => x.trim().toUpperCase());
  if (up.join(',') !== LAYER_STACK.join(',')) throw new ValidationError(field, `ferry deploys DRBD over STORAGE only; allowed: ["DRBD", "STORAGE"] (or [] for the default), got ${JSON.stringify(v)}`);
  return up;
}

/** provider_list: [] clears; each entry a provider ferry has (LVM_THIN, DISKLESS). */
function providerListOf(v: unknown, field: string): string[] | null | undefined {
  if (v === undefined) return undefined;
  if (v === null || (Array.isArray(v) && v.length === 0)) return null;
  if (!Array.isArray(v)) throw new ValidationError(field, 'must be a list of storage providers, e.g. ["LVM_THIN"]');
  const up = v.map((x) => String(x).trim().toUpperCase());
  const bad = up.filter((x) => x !== 'LVM_THIN' && x !== 'DISKLESS');
  if (bad.length) throw new ValidationError(field, `storage provider ${bad.join(', ')} is not one ferry has; allowed: LVM_THIN, DISKLESS`);
  return up;
}

/** Select filter fields ferry does not act on: refused when they ask for something, never silently stored. */
function refuseUnsupported(f: Record<string, unknown>, field: string): void {
  const empty = (v: unknown) => v === undefined || v === null || v === '' || v === 0 || (Array.isArray(v) && v.length === 0) || (typeof v === 'object' && !Array.isArray(v) && Object.keys(v as object).length === 0);
  const unsupported: Record<string, string> = {
    node_name_list: 'a resource group of ferry does not pin nodes; place on nodes with r create NODE... instead',
    x_replicas_on_different_map: 'ferry has no counted replicas-on-different; use replicas_on_different',
    storage_pool_diskless_list: 'ferry has one diskless pool per node (DfltDisklessStorPool)',
    additional_place_count: 'a resource group has an absolute place_count; additional_place_count is for autoplace',
    diskless_type: 'ferry places DRBD diskless resources only',
  };
  for (const [k, why] of Object.entries(unsupported)) if (!empty(f[k])) throw new ValidationError(`${field}.${k}`, why);
}

/** LINSTOR's AutoSelectFilter body -> the select filter ferry stores (validated). */
function selectFilterOf(f: Record<string, unknown>, field: string): Partial<Record<keyof SelectFilter, unknown>> {
  if (typeof f !== 'object' || f === null || Array.isArray(f)) throw new ValidationError(field, 'must be an object (LINSTOR\'s AutoSelectFilter)');
  refuseUnsupported(f, field);
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
  const layers = layerStackOf(f.layer_stack, `${field}.layer_stack`);
  if (layers !== undefined) out.layerStack = layers;
  const providers = providerListOf(f.provider_list, `${field}.provider_list`);
  if (providers !== undefined) out.providerList = providers;
  return out as Partial<Record<keyof SelectFilter, unknown>>;
}

/** override_props / delete_props, each key checked for the object's level (LINSTOR's whitelist). */
export function propertyChangesOf(body: unknown, level: PropLevel, opts: { allowEmpty?: boolean; field?: string } = {}): Record<string, string | null> {
  const b = (body ?? {}) as { override_props?: unknown; delete_props?: unknown };
  const over = (b.override_props ?? {}) as Record<string, unknown>;
  const field = opts.field ?? 'override_props';
  if (typeof over !== 'object' || over === null || Array.isArray(over)) throw new ValidationError(field, 'must be an object of key -> string value');
  const del = b.delete_props ?? [];
  if (!Array.isArray(del)) throw new ValidationError('delete_props', 'must be a list of keys');
  const changes: Record<string, string | null> = {};
  for (const [k, v] of Object.entries(over)) {
    const key = canonicalPropertyKey(parseInput(propertyKeySchema, k, field));
    const value = parseInput(propertyValueSchema, v, `${field}.${key}`);
    const c = checkProperty(key, value, level);
    if (!c.ok) throw new ValidationError(`${field}.${key}`, c.message);
    const drbd = checkDrbdOptionProperty(key, c.value);
    if (drbd) throw new ValidationError(`${field}.${key}`, drbd);
    changes[key] = c.value;
  }
  for (const k of del) changes[canonicalPropertyKey(parseInput(propertyKeySchema, k, 'delete_props'))] = null;
  if (Object.keys(changes).length === 0 && !opts.allowEmpty) throw new ValidationError('override_props', 'give at least one property to set (override_props) or delete (delete_props)');
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
      case 'volume-definition': {
        const rd = await requireRd(t.resource);
        const own = await catalog.resourceGroups.props(t);
        if (!own) throw new NotFoundError('volume definition', `${t.resource}/${t.volumeNumber}`, `volume definition ${t.volumeNumber} of '${t.resource}' not found`);
        const rg = await catalog.resourceGroups.get(rd.resourceGroup);
        return { own: 'volume-definition', levels: { 'volume-definition': own, 'resource-definition': visible(rd.props), 'resource-group': rg?.props, controller } };
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

  // LINSTOR's list filter: ?resource_groups=a&resource_groups=b (names matched without regard to case)
  app.get<{ Querystring: { resource_groups?: string | string[] } }>('/v1/resource-groups', async (req) => {
    const only = listParam(req.query.resource_groups)?.map((n) => n.toLowerCase());
    return (await catalog.resourceGroups.list()).filter((g) => !only || only.includes(g.name.toLowerCase())).map(resourceGroupJson);
  });

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

  // LINSTOR's modify: description, select filter and properties in one request, any of them; a
  // request that changes nothing is a success (linstor-csi sends its whole filter every time)
  app.put<{ Params: { rg: string } } & Wait>('/v1/resource-groups/:rg', async (req, reply) => {
    try {
      const rg = await requireRg(req.params.rg);
      const body = (req.body ?? {}) as { description?: unknown; select_filter?: Record<string, unknown>; override_props?: unknown; delete_props?: unknown; delete_namespaces?: unknown };
      if (typeof body !== 'object' || Array.isArray(body)) throw new ValidationError('body', 'must be an object (LINSTOR\'s ResourceGroupModify)');
      if (Array.isArray(body.delete_namespaces) && body.delete_namespaces.length) throw new ValidationError('delete_namespaces', 'not supported by ferry; list the keys in delete_props');
      const sf = selectFilterOf(body.select_filter ?? {}, 'select_filter');
      if (body.description !== undefined && (typeof body.description !== 'string' || body.description.length > 1024)) throw new ValidationError('description', 'must be text of at most 1024 characters');
      const hasProps = (body.override_props !== undefined && Object.keys(body.override_props ?? {}).length > 0) || (Array.isArray(body.delete_props) && body.delete_props.length > 0);
      const changes = hasProps ? propertyChangesOf(body, 'resource-group') : undefined;
      if (!hasProps && (body.override_props !== undefined || body.delete_props !== undefined)) propertyChangesOf({ override_props: body.override_props ?? {}, delete_props: body.delete_props ?? [] }, 'resource-group', { allowEmpty: true });
      return await mutate(reply, wait(req.query), 'modifyResourceGroup', `rg-modify/${rg.name}/${ctx.now()}`,
        [{ name: rg.name, ...(body.description !== undefined ? { description: body.description } : {}), selectFilter: sf, ...(changes ? { changes } : {}) }],
        `Resource group '${rg.name}' modified.`, { RscGrp: rg.name });
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
      const body = (req.body ?? {}) as { resource_group?: unknown };
      if (body.resource_group === undefined) {
        return await setProps(reply, wait(req.query), { kind: 'resource-definition', resource: rd.name }, 'resource-definition', req.body, `resource definition '${rd.name}'`, { RscDfn: rd.name });
      }
      // LINSTOR's ResourceDefinitionModify: a new resource group, with property changes if any
      const group = parseInput(resourceGroupNameSchema, body.resource_group, 'resource_group');
      await requireRg(group);
      const changes = propertyChangesOf(req.body, 'resource-definition', { allowEmpty: true });
      return await mutate(reply, wait(req.query), 'modifyResourceDefinition', workflowIds.modifyResourceDefinition(rd.name), [{ resource: rd.name, resourceGroup: group, changes }],
        `Resource definition '${rd.name}' modified.`, { RscDfn: rd.name, RscGrp: group });
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
}
