// REST routes of snapshots, on LINSTOR's paths and shapes:
//   GET    /v1/view/snapshots[?resources=a,b]
//   GET    /v1/resource-definitions/{rsc}/snapshots[/{snap}]
//   POST   /v1/resource-definitions/{rsc}/snapshots                      {name}
//   DELETE /v1/resource-definitions/{rsc}/snapshots/{snap}
//   POST   /v1/resource-definitions/{rsc}/snapshot-rollback/{snap}
//   POST   /v1/resource-definitions/{rsc}/snapshot-restore-resource/{snap} {to_resource}
// Input is validated and checked against the catalog before a workflow starts: a refused request
// changes nothing.
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { FerryConfig } from '../core/config.js';
import { ConflictError, NotFoundError } from '../core/errors.js';
import { parseInput, resourceDefinitionNameSchema, snapshotCreateSchema, snapshotNameSchema } from '../core/validation.js';
import type { Catalog, SnapshotRecord } from '../catalog/index.js';
import { refuse } from './linstor-shapes.js';
import type { Mutate } from './resource-routes.js';

interface Ctx {
  cfg: FerryConfig;
  catalog: Catalog;
  now: () => number;
  mutate: Mutate;
}

type Wait = { Querystring: { wait?: string } };

export const snapshotWorkflowIds = {
  create: (rsc: string, snap: string) => `snapshot-create/${rsc}/${snap}`,
  delete: (rsc: string, snap: string) => `snapshot-delete/${rsc}/${snap}`,
  rollback: (rsc: string, snap: string) => `snapshot-rollback/${rsc}/${snap}`,
  restore: (target: string) => `snapshot-restore/${target}`,
};

/** LINSTOR's SnapshotDefinition JSON (with ferry's state word). */
export function snapshotJson(s: SnapshotRecord) {
  return {
    name: s.name,
    resource_name: s.resource,
    nodes: s.nodes.map((n) => n.node),
    flags: s.state === 'Successful' ? ['SUCCESSFUL'] : s.state === 'Deleting' ? ['DELETE'] : [],
    state: s.state,
    props: {},
    volume_definitions: s.volumes.map((v) => ({ volume_number: v.volumeNumber, size_kib: Math.ceil(v.sizeBytes / 1024) })),
    snapshots: s.nodes.map((n) => ({ snapshot_name: s.name, node_name: n.node, create_timestamp: s.createdAt, flags: [], storage_pool_name: n.storagePool })),
    create_timestamp: s.createdAt,
  };
}
export type SnapshotJson = ReturnType<typeof snapshotJson>;


// repeated query parameters (`?resources=a&resources=b`) arrive as an array (fuzz-rest found the 500)
const names = (v: string | string[] | undefined) => (v ? [v].flat().flatMap((x) => String(x).split(',')).map((s) => s.trim()).filter(Boolean) : undefined);

export function registerSnapshotRoutes(app: FastifyInstance, ctx: Ctx): void {
  const { catalog, mutate } = ctx;

  async function requireRd(rsc: string) {
    const name = parseInput(resourceDefinitionNameSchema, rsc, 'resource');
    if (!(await catalog.resources.getDefinition(name))) throw new NotFoundError('resource definition', name);
    return name;
  }
  async function requireSnapshot(rsc: string, snap: string) {
    const r = await requireRd(rsc);
    const s = await catalog.snapshots.get(r, parseInput(snapshotNameSchema, snap, 'snapshot'));
    if (!s) throw new NotFoundError('snapshot', snap, `snapshot '${snap}' of resource '${r}' not found`);
    return s;
  }

  app.get<{ Querystring: { resources?: string } }>('/v1/view/snapshots', async (req) => {
    const only = names(req.query.resources);
    return (await catalog.snapshots.list()).filter((s) => !only || only.includes(s.resource)).map(snapshotJson);
  });

  app.get<{ Params: { rsc: string } }>('/v1/resource-definitions/:rsc/snapshots', async (req, reply) => {
    try {
      return (await catalog.snapshots.list({ resource: await requireRd(req.params.rsc) })).map(snapshotJson);
    } catch (e) {
      return refuse(reply, e);
    }
  });

  app.get<{ Params: { rsc: string; snap: string } }>('/v1/resource-definitions/:rsc/snapshots/:snap', async (req, reply) => {
    try {
      return snapshotJson(await requireSnapshot(req.params.rsc, req.params.snap));
    } catch (e) {
      return refuse(reply, e);
    }
  });

  app.post<{ Params: { rsc: string } } & Wait>('/v1/resource-definitions/:rsc/snapshots', async (req, reply) => {
    try {
      const body = (req.body ?? {}) as { name?: unknown; node_names?: unknown };
      const s = parseInput(snapshotCreateSchema, { resource: req.params.rsc, snapshot: body.name, ...(body.node_names !== undefined ? { nodes: body.node_names } : {}) });
      if (s.nodes && s.nodes.length) throw new ConflictError('snapshot', s.snapshot, 'state', 'ferry takes snapshots on every diskful node of the resource (consistent across replicas); omit node_names');
      await requireRd(s.resource);
      if (await catalog.snapshots.get(s.resource, s.snapshot)) throw new ConflictError('snapshot', s.snapshot, 'exists', `snapshot '${s.snapshot}' of resource '${s.resource}' already exists`);
      const rs = await catalog.resources.list({ resource: s.resource });
      if (!rs.some((r) => !r.flags.includes('DISKLESS'))) throw new ConflictError('resource definition', s.resource, 'state', `resource '${s.resource}' is not deployed on any node with a disk; nothing to snapshot`);
      return await mutate(reply, req.query.wait === 'true', 'createResourceSnapshot', snapshotWorkflowIds.create(s.resource, s.snapshot),
        [{ resource: s.resource, snapshot: s.snapshot }], `New snapshot '${s.snapshot}' of resource '${s.resource}' successfully created.`, { RscDfn: s.resource, SnapshotName: s.snapshot });
    } catch (e) {
      return refuse(reply, e);
    }
  });

  app.delete<{ Params: { rsc: string; snap: string } } & Wait>('/v1/resource-definitions/:rsc/snapshots/:snap', async (req, reply) => {
    try {
      const s = await requireSnapshot(req.params.rsc, req.params.snap);
      return await mutate(reply, req.query.wait === 'true', 'deleteResourceSnapshot', snapshotWorkflowIds.delete(s.resource, s.name),
        [{ resource: s.resource, snapshot: s.name }], `Snapshot '${s.name}' of resource '${s.resource}' deleted.`, { RscDfn: s.resource, SnapshotName: s.name });
    } catch (e) {
      return refuse(reply, e);
    }
  });

  app.post<{ Params: { rsc: string; snap: string } } & Wait>('/v1/resource-definitions/:rsc/snapshot-rollback/:snap', async (req, reply) => {
    try {
      const s = await requireSnapshot(req.params.rsc, req.params.snap);
      if (s.state !== 'Successful') throw new ConflictError('snapshot', s.name, 'state', `snapshot '${s.name}' of '${s.resource}' is ${s.state}, not Successful`);
      const newer = (await catalog.snapshots.list({ resource: s.resource })).filter((o) => o.name !== s.name && (o.createdAt > s.createdAt || (o.createdAt === s.createdAt && o.name > s.name)));
      if (newer.length) {
        throw new ConflictError('snapshot', s.name, 'state', `resource '${s.resource}' can only be rolled back to its most recent snapshot; delete the newer snapshot${newer.length > 1 ? 's' : ''} first: ${newer.map((o) => o.name).join(', ')}`);
      }
      return await mutate(reply, req.query.wait === 'true', 'rollbackResourceSnapshot', snapshotWorkflowIds.rollback(s.resource, s.name),
        [{ resource: s.resource, snapshot: s.name }], `Resource '${s.resource}' rolled back to snapshot '${s.name}'.`, { RscDfn: s.resource, SnapshotName: s.name });
    } catch (e) {
      return refuse(reply, e);
    }
  });

  const restoreBody = z.object({ to_resource: z.unknown() }).passthrough();
  app.post<{ Params: { rsc: string; snap: string } } & Wait>('/v1/resource-definitions/:rsc/snapshot-restore-resource/:snap', async (req, reply) => {
    try {
      const body = restoreBody.safeParse(req.body ?? {});
      const target = parseInput(resourceDefinitionNameSchema, body.success ? body.data.to_resource : undefined, 'to_resource');
      const s = await requireSnapshot(req.params.rsc, req.params.snap);
      if (s.state !== 'Successful') throw new ConflictError('snapshot', s.name, 'state', `snapshot '${s.name}' of '${s.resource}' is ${s.state}, not Successful`);
      if (await catalog.resources.getDefinition(target)) throw new ConflictError('resource definition', target, 'exists', `resource definition '${target}' already exists; restore into a new one`);
      for (const n of s.nodes) if (!(await catalog.nodes.get(n.node))) throw new NotFoundError('node', n.node, `node '${n.node}' holding the snapshot no longer exists`);
      return await mutate(reply, req.query.wait === 'true', 'restoreResourceSnapshot', snapshotWorkflowIds.restore(target),
        [{ resource: s.resource, snapshot: s.name, target }], `Resource '${target}' restored from snapshot '${s.name}' of '${s.resource}'.`, { RscDfn: target, SnapshotName: s.name });
    } catch (e) {
      return refuse(reply, e);
    }
  });
}
