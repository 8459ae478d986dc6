// REST routes of storage pools, resource definitions and resources, in
// LINSTOR's /v1 paths and shapes. Input is validated (core/validation.ts) and checked against the
// catalog before a workflow starts: a refused request changes nothing.
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { FerryConfig } from '../core/config.js';
import { ConflictError, NotFoundError, ValidationError } from '../core/errors.js';
import { connectionStatus } from '../core/node-state.js';
import { workflowIds } from '../core/operations.js';
import {
  nodeNameSchema, parseInput, resourceCreateSchema, resourceDefinitionCreateSchema, storagePoolCreateSchema, storagePoolNameSchema,
} from '../core/validation.js';
import { DISKLESS_POOL, type Catalog } from '../catalog/index.js';
import { disklessPool } from '../catalog/pools.js';
import { placementRequestOf, planPlacement, type PlaceResourceInput } from '../activities/controller/resources.js';
import { storagePoolInUseMessage } from '../activities/controller/storage-pools.js';
import { listParam } from './linstor-compat-routes.js';
import { refuse, resourceDefinitionJson, resourceJson, storagePoolJson } from './linstor-shapes.js';

export type Mutate = (reply: FastifyReply, wait: boolean, workflow: string, workflowId: string, args: unknown[], done: string, refs: Record<string, string>) => Promise<unknown>;

interface Ctx {
  cfg: FerryConfig;
  catalog: Catalog;
  now: () => number;
  mutate: Mutate;
}

type Wait = { Querystring: { wait?: string } };
const csv = listParam;


export function registerResourceRoutes(app: FastifyInstance, ctx: Ctx): void {
  const { catalog, cfg, mutate } = ctx;

  async function requireNode(node: string) {
    const n = await catalog.nodes.get(node);
    if (!n) throw new NotFoundError('node', node);
    return n;
  }
  async function requireRd(rsc: string) {
    const rd = await catalog.resources.getDefinition(rsc);
    if (!rd) throw new NotFoundError('resource definition', rsc);
    return rd;
  }
  async function poolsView(nodes?: string[], pools?: string[]) {
    const t = ctx.now();
    const out = [];
    for (const n of await catalog.nodes.list()) {
      if (nodes && !nodes.includes(n.name)) continue;
      const status = connectionStatus(n, t, cfg.nodeOfflineAfterMs);
      for (const p of [disklessPool(n.name), ...(await catalog.storagePools.list(n.name))]) {
        if (pools && !pools.includes(p.name)) continue;
        out.push(storagePoolJson(p, status === 'ONLINE', status === 'OFFLINE'));
      }
    }
    return out.sort((a, b) => a.storage_pool_name.localeCompare(b.storage_pool_name) || a.node_name.localeCompare(b.node_name));
  }
  async function resourcesView(filter: { nodes?: string[]; resources?: string[] }) {
    const out = [];
    const t = ctx.now();
    const offline = new Set((await catalog.nodes.list()).filter((n) => connectionStatus(n, t, cfg.nodeOfflineAfterMs) === 'OFFLINE').map((n) => n.name));
    for (const r of await catalog.resources.list()) {
      if (filter.nodes && !filter.nodes.includes(r.node)) continue;
      if (filter.resources && !filter.resources.includes(r.resource)) continue;
      const vds = await catalog.resources.listVolumeDefinitions(r.resource);
      const sp = await catalog.storagePools.get(r.node, r.storagePool);
      out.push(resourceJson(r, vds, sp?.provider ?? 'LVM_THIN', offline.has(r.node)));
    }
    return out;
  }

  // ---- storage pools ----------------------------------------------------------------------------

  app.get<{ Params: { node: string } }>('/v1/nodes/:node/storage-pools', async (req, reply) => {
    try {
      await requireNode(req.params.node);
      return await poolsView([req.params.node]);
    } catch (e) {
      return refuse(reply, e);
    }
  });

  app.get<{ Querystring: { nodes?: string | string[]; storage_pools?: string | string[] } }>('/v1/view/storage-pools', async (req) =>
    poolsView(csv(req.query.nodes), csv(req.query.storage_pools)));

  app.post<{ Params: { node: string } } & Wait>('/v1/nodes/:node/storage-pools', async (req, reply) => {
    try {
      const body = (req.body ?? {}) as { storage_pool_name?: unknown; provider_kind?: unknown; props?: Record<string, unknown> };
      const props = body.props ?? {};
      const vg = props['StorDriver/LvmVg'];
      const thin = props['StorDriver/ThinPool'];
      const driverPool = props['StorDriver/StorPoolName'] ?? (typeof vg === 'string' && typeof thin === 'string' ? `${vg}/${thin}` : vg);
      const sp = parseInput(storagePoolCreateSchema, { node: req.params.node, name: body.storage_pool_name, provider: body.provider_kind, driverPool });
      if (sp.provider !== 'LVM_THIN') throw new ValidationError('provider_kind', `storage provider '${sp.provider}' is not supported by ferry; allowed: LVM_THIN`);
      const [vgName, thinPool] = (sp.driverPool ?? '').split('/');
      if (!vgName || !thinPool) throw new ValidationError('props.StorDriver/StorPoolName', `an LVM_THIN pool needs VG/THINPOOL, got '${sp.driverPool ?? ''}'`);
      if (sp.name === DISKLESS_POOL) throw new ConflictError('storage pool', sp.name, 'exists', `storage pool '${sp.name}' is the built-in diskless pool`);
      await requireNode(sp.node);
      if (await catalog.storagePools.get(sp.node, sp.name)) throw new ConflictError('storage pool', sp.name, 'exists', `storage pool '${sp.name}' already exists on node '${sp.node}'`);
      return await mutate(reply, req.query.wait === 'true', 'createStoragePool', workflowIds.createStoragePool(sp.node, sp.name),
        [{ node: sp.node, name: sp.name, provider: 'LVM_THIN', vg: vgName, thinPool }],
        `Storage pool '${sp.name}' on node '${sp.node}' created.`, { StorPool: sp.name, Node: sp.node });
    } catch (e) {
      return refuse(reply, e);
    }
  });

  // LINSTOR's `sp delete NODE POOL`: refused (409, FAIL_IN_USE) while a resource or snapshot uses
  // the pool; the workflow checks again in the same catalog transaction as the delete
  app.delete<{ Params: { node: string; sp: string } } & Wait>('/v1/nodes/:node/storage-pools/:sp', async (req, reply) => {
    try {
      const node = parseInput(nodeNameSchema, req.params.node, 'node');
      const pool = parseInput(storagePoolNameSchema, req.params.sp, 'storage_pool');
      await requireNode(node);
      if (pool === DISKLESS_POOL) throw new ConflictError('storage pool', pool, 'state', `storage pool '${pool}' is the built-in diskless pool of every node; it cannot be deleted`);
      if (!(await catalog.storagePools.get(node, pool))) throw new NotFoundError('storage pool', pool, `storage pool '${pool}' not found on node '${node}'`);
      const { resources, snapshots } = await catalog.storagePools.users(node, pool);
      if (resources.length || snapshots.length) throw new ConflictError('storage pool', pool, 'in-use', storagePoolInUseMessage(node, pool, resources, snapshots));
      return await mutate(reply, req.query.wait === 'true', 'deleteStoragePool', workflowIds.deleteStoragePool(node, pool),
        [{ node, name: pool }], `Storage pool '${pool}' on node '${node}' deleted.`, { StorPool: pool, Node: node });
    } catch (e) {
      return refuse(reply, e);
    }
  });

  // ---- resource definitions -------------------------------------------------------------------

  app.get<{ Querystring: { resource_definitions?: string | string[] } }>('/v1/resource-definitions', async (req) => {
    const only = csv(req.query.resource_definitions);
    const out = [];
    for (const rd of await catalog.resources.listDefinitions()) if (!only || only.includes(rd.name)) out.push(resourceDefinitionJson(rd, await catalog.resources.listVolumeDefinitions(rd.name)));
    return out;
  });

  app.get<{ Params: { rsc: string } }>('/v1/resource-definitions/:rsc', async (req, reply) => {
    try {
      const rd = await requireRd(req.params.rsc);
      return resourceDefinitionJson(rd, await catalog.resources.listVolumeDefinitions(rd.name));
    } catch (e) {
      return refuse(reply, e);
    }
  });

  app.post<Wait>('/v1/resource-definitions', async (req, reply) => {
    try {
      const body = (req.body ?? {}) as { resource_definition?: { name?: unknown; resource_group_name?: unknown; props?: unknown }; drbd_port?: unknown };
      const rdIn = body.resource_definition ?? {};
      const rd = parseInput(resourceDefinitionCreateSchema, {
        name: rdIn.name,
        ...(rdIn.resource_group_name !== undefined ? { resourceGroup: rdIn.resource_group_name } : {}),
        ...(body.drbd_port !== undefined ? { port: body.drbd_port } : {}),
      }, 'resource_definition');
      if (await catalog.resources.getDefinition(rd.name)) throw new ConflictError('resource definition', rd.name, 'exists');
      if (rd.resourceGroup && !(await catalog.resources.resourceGroupExists(rd.resourceGroup))) throw new NotFoundError('resource group', rd.resourceGroup);
      return await mutate(reply, req.query.wait === 'true', 'createResourceDefinition', workflowIds.createResourceDefinition(rd.name),
        [{ name: rd.name, resourceGroup: rd.resourceGroup, port: rd.port }], `New resource definition '${rd.name}' created.`, { RscDfn: rd.name });
    } catch (e) {
      return refuse(reply, e);
    }
  });

  app.delete<{ Params: { rsc: string } } & Wait>('/v1/resource-definitions/:rsc', async (req, reply) => {
    try {
      const rd = await requireRd(req.params.rsc);
      const snaps = await catalog.snapshots.list({ resource: rd.name });
      if (snaps.length) throw new ConflictError('resource definition', rd.name, 'in-use', `resource definition '${rd.name}' has snapshots (${snaps.map((x) => x.name).join(', ')}); delete them first: ferry snapshot delete ${rd.name} SNAPSHOT`);
      return await mutate(reply, req.query.wait === 'true', 'deleteResourceDefinition', workflowIds.deleteResourceDefinition(rd.name),
        [{ resource: rd.name }], `Resource definition '${rd.name}' deleted.`, { RscDfn: rd.name });
    } catch (e) {
      return refuse(reply, e);
    }
  });

  // ---- resources ------------------------------------------------------------------------------

  app.get<{ Querystring: { nodes?: string | string[]; resources?: string | string[] } }>('/v1/view/resources', async (req) =>
    resourcesView({ nodes: csv(req.query.nodes), resources: csv(req.query.resources) }));

  app.get<{ Params: { rsc: string } }>('/v1/resource-definitions/:rsc/resources', async (req, reply) => {
    try {
      await requireRd(req.params.rsc);
      return await resourcesView({ resources: [req.params.rsc] });
    } catch (e) {
      return refuse(reply, e);
    }
  });

  async function commonResourceChecks(rsc: string) {
    await requireRd(rsc);
    if ((await catalog.resources.listVolumeDefinitions(rsc)).length === 0) {
      throw new ValidationError('', `resource definition '${rsc}' has no volume definitions; add one first: ferry vd create ${rsc} SIZE`);
    }
  }

  app.post<{ Params: { rsc: string } } & Wait>('/v1/resource-definitions/:rsc/resources', async (req, reply) => {
    try {
      const items = (Array.isArray(req.body) ? req.body : [req.body]) as { resource?: { node_name?: unknown; props?: Record<string, unknown>; flags?: unknown } }[];
      const nodes = items.map((i) => i?.resource?.node_name);
      const pools = new Set(items.map((i) => i?.resource?.props?.StorPoolName));
      const diskless = items.some((i) => Array.isArray(i?.resource?.flags) && (i.resource!.flags as unknown[]).includes('DISKLESS'));
      const pool = [...pools][0];
      if (pools.size > 1) throw new ValidationError('resource.props.StorPoolName', 'give one storage pool for all nodes of one request');
      const r = parseInput(resourceCreateSchema, { resource: req.params.rsc, nodes, ...(pool !== undefined ? { storagePool: [pool] } : {}), diskless });
      await commonResourceChecks(r.resource);
      const storagePool = r.storagePool?.[0];
      if (!diskless && !storagePool) throw new ValidationError('resource.props.StorPoolName', 'give the storage pool (--storage-pool) of a diskful resource');
      for (const node of r.nodes ?? []) {
        await requireNode(node);
        if (await catalog.resources.get(r.resource, node)) throw new ConflictError('resource', r.resource, 'exists', `resource '${r.resource}' already exists on node '${node}'`);
        if (storagePool && !diskless && !(await catalog.storagePools.get(node, storagePool))) throw new NotFoundError('storage pool', storagePool, `storage pool '${storagePool}' not found on node '${node}'`);
      }
      return await mutate(reply, req.query.wait === 'true', 'createResource', workflowIds.createResource(r.resource),
        [{ resource: r.resource, nodes: r.nodes, storagePool, diskless }], `Resource '${r.resource}' created on ${(r.nodes ?? []).join(', ')}.`, { RscDfn: r.resource });
    } catch (e) {
      return refuse(reply, e);
    }
  });

  app.post<{ Params: { rsc: string } } & Wait>('/v1/resource-definitions/:rsc/autoplace', async (req, reply) => {
    try {
      // LINSTOR's AutoSelectFilter fields
      const body = (req.body ?? {}) as { select_filter?: Record<string, unknown> };
      const f = body.select_filter ?? {};
      const pools = f.storage_pool_list ?? (f.storage_pool !== undefined ? [f.storage_pool] : undefined);
      const autoPlace = f.additional_place_count !== undefined ? `+${String(f.additional_place_count)}` : (f.place_count ?? 1);
      const opt = <T>(key: string, v: T) => (v === undefined || v === null ? {} : { [key]: v });
      const r = parseInput(resourceCreateSchema, {
        resource: req.params.rsc,
        autoPlace,
        ...opt('storagePool', pools),
        ...opt('replicasOnSame', f.replicas_on_same),
        ...opt('replicasOnDifferent', f.replicas_on_different),
        ...opt('doNotPlaceWith', f.not_place_with_rsc),
        ...opt('doNotPlaceWithRegex', f.not_place_with_rsc_regex),
        ...opt('disklessOnRemaining', f.diskless_on_remaining),
      }, 'select_filter');
      await commonResourceChecks(r.resource);
      const vds = await catalog.resources.listVolumeDefinitions(r.resource);
      const input: PlaceResourceInput = {
        resource: r.resource,
        ...(r.storagePool ? { storagePools: r.storagePool, storagePool: r.storagePool[0] } : {}),
        ...(r.replicasOnSame ? { replicasOnSame: r.replicasOnSame } : {}),
        ...(r.replicasOnDifferent ? { replicasOnDifferent: r.replicasOnDifferent } : {}),
        ...(r.doNotPlaceWith ? { doNotPlaceWith: r.doNotPlaceWith } : {}),
        ...(r.doNotPlaceWithRegex !== undefined ? { doNotPlaceWithRegex: r.doNotPlaceWithRegex } : {}),
        ...(r.disklessOnRemaining ? { disklessOnRemaining: true } : {}),
      };
      const size = vds.reduce((a, v) => a + v.sizeBytes, 0);
      // the autoplacer decides now, so a refused placement explains itself (422) before any workflow;
      // `+N` becomes an absolute count here, so a retried workflow does not add N more
      const plan = await planPlacement(catalog, {
        ...placementRequestOf(input, size),
        ...(r.autoPlace!.relative ? { placeCount: undefined, additional: r.autoPlace!.count } : { placeCount: r.autoPlace!.count }),
      }, ctx.now(), cfg.nodeOfflineAfterMs);
      const want = plan.existing.length + plan.diskful.length;
      return await mutate(reply, req.query.wait === 'true', 'createResource', workflowIds.createResource(r.resource),
        [{ ...input, placeCount: want }], `Resource '${r.resource}' placed on ${want} nodes.`, { RscDfn: r.resource });
    } catch (e) {
      return refuse(reply, e);
    }
  });

  app.delete<{ Params: { rsc: string; node: string } } & Wait>('/v1/resource-definitions/:rsc/resources/:node', async (req, reply) => {
    try {
      await requireRd(req.params.rsc);
      if (!(await catalog.resources.get(req.params.rsc, req.params.node))) {
        throw new NotFoundError('resource', req.params.rsc, `resource '${req.params.rsc}' not found on node '${req.params.node}'`);
      }
      return await mutate(reply, req.query.wait === 'true', 'deleteResource', workflowIds.deleteResource(req.params.rsc, req.params.node),
        [{ resource: req.params.rsc, node: req.params.node }], `Resource '${req.params.rsc}' on node '${req.params.node}' deleted.`, { RscDfn: req.params.rsc, Node: req.params.node });
    } catch (e) {
      return refuse(reply, e);
    }
  });
}
