// REST routes of volume definitions, in LINSTOR's /v1 paths and shapes: list, get one, create (with
// its properties, e.g. linstor-csi's FileSystem/Type), modify (size_kib and/or override_props /
// delete_props: `vd set-size`, `vd set-property`) and delete. Validated and checked against the
// catalog before a workflow starts: a refused request changes nothing.
import type { FastifyInstance } from 'fastify';
import { ConflictError, NotFoundError, ValidationError } from '../core/errors.js';
import { workflowIds } from '../core/operations.js';
import { parseInput, resourceDefinitionNameSchema, sizeSchema, volumeDefinitionCreateSchema, volumeNumberSchema } from '../core/validation.js';
import type { Catalog } from '../catalog/index.js';
import { refuse, volumeDefinitionJson } from './linstor-shapes.js';
import { propertyChangesOf } from './resource-group-routes.js';
import type { Mutate } from './resource-routes.js';

interface Ctx {
  catalog: Catalog;
  mutate: Mutate;
}

type Wait = { Querystring: { wait?: string } };
type VdParams = { Params: { rsc: string; vlmnr: string } };

export function registerVolumeDefinitionRoutes(app: FastifyInstance, ctx: Ctx): void {
  const { catalog, mutate } = ctx;
  const wait = (q: { wait?: string }) => q.wait === 'true';

  async function requireRd(rsc: string) {
    const rd = await catalog.resources.getDefinition(parseInput(resourceDefinitionNameSchema, rsc, 'resource_definition'));
    if (!rd) throw new NotFoundError('resource definition', rsc);
    return rd;
  }
  async function requireVd(rsc: string, vlmnr: string) {
    const rd = await requireRd(rsc);
    const volumeNumber = parseInput(volumeNumberSchema, /^\d+$/.test(vlmnr) ? Number(vlmnr) : vlmnr, 'volume_number');
    const vd = (await catalog.resources.listVolumeDefinitions(rd.name)).find((v) => v.volumeNumber === volumeNumber);
    if (!vd) throw new NotFoundError('volume definition', `${rd.name}/${volumeNumber}`, `volume definition ${volumeNumber} of '${rd.name}' not found`);
    return vd;
  }

  app.get<{ Params: { rsc: string } }>('/v1/resource-definitions/:rsc/volume-definitions', async (req, reply) => {
    try {
      const rd = await requireRd(req.params.rsc);
      return (await catalog.resources.listVolumeDefinitions(rd.name)).map(volumeDefinitionJson);
    } catch (e) {
      return refuse(reply, e);
    }
  });

  app.get<VdParams>('/v1/resource-definitions/:rsc/volume-definitions/:vlmnr', async (req, reply) => {
    try {
      return volumeDefinitionJson(await requireVd(req.params.rsc, req.params.vlmnr));
    } catch (e) {
      return refuse(reply, e);
    }
  });

  app.post<{ Params: { rsc: string } } & Wait>('/v1/resource-definitions/:rsc/volume-definitions', async (req, reply) => {
    try {
      const body = (req.body ?? {}) as { volume_definition?: { volume_number?: unknown; size_kib?: unknown; props?: unknown }; drbd_minor_number?: unknown };
      const vdIn = body.volume_definition ?? {};
      const sizeKib = vdIn.size_kib;
      const vd = parseInput(volumeDefinitionCreateSchema, {
        resource: req.params.rsc,
        size: typeof sizeKib === 'number' ? sizeKib * 1024 : sizeKib,
        ...(vdIn.volume_number !== undefined ? { volumeNumber: vdIn.volume_number } : {}),
        ...(body.drbd_minor_number !== undefined ? { minor: body.drbd_minor_number } : {}),
      });
      const props = vdIn.props === undefined || vdIn.props === null
        ? {}
        : propertyChangesOf({ override_props: vdIn.props }, 'volume-definition', { allowEmpty: true, field: 'volume_definition.props' }) as Record<string, string>;
      await requireRd(vd.resource);
      const existing = await catalog.resources.listVolumeDefinitions(vd.resource);
      const volumeNumber = vd.volumeNumber ?? (existing.length ? Math.max(...existing.map((v) => v.volumeNumber)) + 1 : 0);
      if (existing.some((v) => v.volumeNumber === volumeNumber)) throw new ConflictError('volume definition', `${vd.resource}/${volumeNumber}`, 'exists');
      if ((await catalog.resources.list({ resource: vd.resource })).length > 0) {
        throw new ConflictError('resource definition', vd.resource, 'in-use', `resource definition '${vd.resource}' is deployed already; ferry adds volume definitions before resources only`);
      }
      return await mutate(reply, wait(req.query), 'createVolumeDefinition', workflowIds.createVolumeDefinition(vd.resource),
        [{ resource: vd.resource, volumeNumber, sizeBytes: vd.size, minor: vd.minor, ...(Object.keys(props).length ? { props } : {}) }],
        `New volume definition ${volumeNumber} of '${vd.resource}' created.`, { RscDfn: vd.resource, VlmNr: String(volumeNumber) });
    } catch (e) {
      return refuse(reply, e);
    }
  });

  // LINSTOR's VolumeDefinitionModify: size_kib (grow only) and/or override_props / delete_props
  app.put<VdParams & Wait>('/v1/resource-definitions/:rsc/volume-definitions/:vlmnr', async (req, reply) => {
    try {
      const vd = await requireVd(req.params.rsc, req.params.vlmnr);
      const body = (req.body ?? {}) as { size_kib?: unknown; override_props?: unknown; delete_props?: unknown; flags?: unknown };
      if (Array.isArray(body.flags) && body.flags.length) throw new ValidationError('flags', 'ferry sizes volume definitions as net sizes only; GROSS_SIZE is not supported');
      const hasProps = body.override_props !== undefined || body.delete_props !== undefined;
      const changes = hasProps ? propertyChangesOf(body, 'volume-definition', { allowEmpty: true }) : {};
      let size = vd.sizeBytes;
      if (body.size_kib !== undefined) {
        size = parseInput(sizeSchema, typeof body.size_kib === 'number' ? body.size_kib * 1024 : body.size_kib, 'size_kib');
        if (size < vd.sizeBytes) throw new ValidationError('size_kib', `volume ${vd.volumeNumber} of '${vd.resource}' is ${vd.sizeBytes / 1024} KiB; it can only grow (shrinking would cut off the end of the file system or data on it)`);
      }
      const grows = size > vd.sizeBytes;
      const target = { kind: 'volume-definition' as const, resource: vd.resource, volumeNumber: vd.volumeNumber };
      const refs = { RscDfn: vd.resource, VlmNr: String(vd.volumeNumber) };
      const what = `Volume definition ${vd.volumeNumber} of '${vd.resource}'`;
      if (body.size_kib === undefined && !hasProps) throw new ValidationError('size_kib', 'give the new size (size_kib) or properties to set (override_props) or delete (delete_props)');
      const props = Object.keys(changes).length > 0;
      if (grows && props) {
        return await mutate(reply, wait(req.query), 'modifyVolumeDefinition', `vd-modify/${vd.resource}/${vd.volumeNumber}/${Object.keys(changes).join(',')}`.slice(0, 200),
          [{ resource: vd.resource, volumeNumber: vd.volumeNumber, sizeBytes: size, changes }], `${what} modified.`, refs);
      }
      if (grows || (body.size_kib !== undefined && !props)) {
        // the same size again is a success too, as it was (every replica is checked, nothing grows)
        return await mutate(reply, wait(req.query), 'resizeVolumeDefinition', `vd-resize/${vd.resource}/${vd.volumeNumber}`,
          [{ resource: vd.resource, volumeNumber: vd.volumeNumber, sizeBytes: size }], `${what} resized.`, refs);
      }
      // properties only (none at all, e.g. override_props {}, is a success that changes nothing)
      return await mutate(reply, wait(req.query), 'setObjectProperties', `properties/volume-definition/${vd.resource}/${vd.volumeNumber}/${Object.keys(changes).join(',')}`.slice(0, 200),
        [{ target, changes }], `Properties of ${what.toLowerCase()} changed.`, refs);
    } catch (e) {
      return refuse(reply, e);
    }
  });

  app.delete<VdParams & Wait>('/v1/resource-definitions/:rsc/volume-definitions/:vlmnr', async (req, reply) => {
    try {
      const vd = await requireVd(req.params.rsc, req.params.vlmnr);
      const deployed = await catalog.resources.list({ resource: vd.resource });
      if (deployed.length) {
        throw new ConflictError('volume definition', `${vd.resource}/${vd.volumeNumber}`, 'in-use',
          `volume definition ${vd.volumeNumber} of '${vd.resource}' is in use by resource '${vd.resource}' on ${deployed.map((r) => r.node).join(', ')}; delete the resources first (ferry r delete NODE ${vd.resource})`);
      }
      return await mutate(reply, wait(req.query), 'deleteVolumeDefinition', workflowIds.deleteVolumeDefinition(vd.resource, vd.volumeNumber),
        [{ resource: vd.resource, volumeNumber: vd.volumeNumber }], `Volume definition ${vd.volumeNumber} of '${vd.resource}' deleted.`, { RscDfn: vd.resource, VlmNr: String(vd.volumeNumber) });
    } catch (e) {
      return refuse(reply, e);
    }
  });
}
