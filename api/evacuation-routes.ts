// REST routes of node evacuation (LINSTOR's PUT /v1/nodes/{node}/evacuate, and
// POST /v1/ferry/evacuations for several nodes and dry runs), node restore / lost, toggle-disk and
// disk migration, and node / controller properties. Input is validated and checked against the
// catalog (and the evacuation plan) before any workflow starts: a refused request changes nothing.
import type { FastifyInstance, FastifyReply } from 'fastify';
import { WorkflowIdConflictPolicy, type Client } from '@temporalio/client';
import type { FerryConfig } from '../core/config.js';
import { ConflictError, NotFoundError, PlacementError, ValidationError } from '../core/errors.js';
import { evacuateSchema, evacuationIds, setPropertiesSchema, toggleDiskSchema } from '../core/evacuation.js';
import { connectionStatus } from '../core/node-state.js';
import { operationMetadata } from '../core/operations.js';
import { validateProperty, type PropLevel } from '../core/properties.js';
import { parseInput } from '../core/validation.js';
import type { Catalog } from '../catalog/index.js';
import { planEvacuation } from '../activities/controller/evacuation.js';
import { apiError, refuse, apiSuccess } from './linstor-shapes.js';
import { failureMessage } from './operations.js';
import type { Mutate } from './resource-routes.js';

interface Ctx {
  cfg: FerryConfig;
  catalog: Catalog;
  client: Client;
  taskQueue: string;
  now: () => number;
  mutate: Mutate;
}

type Wait = { Querystring: { wait?: string; dry_run?: string; migrate_from?: string } };


export function registerEvacuationRoutes(app: FastifyInstance, ctx: Ctx): void {
  const { catalog, cfg, client, mutate } = ctx;

  async function requireNode(node: string) {
    const n = await catalog.nodes.get(node);
    if (!n) throw new NotFoundError('node', node);
    return n;
  }

  /** Checks, plans, and (unless a dry run) starts or joins one `evacuate/<node>` workflow per node. */
  async function evacuate(reply: FastifyReply, raw: unknown, wait: boolean) {
    const req = parseInput(evacuateSchema, raw);
    const nodes = [...new Set(req.nodes)];
    for (const n of nodes) {
      const rec = await requireNode(n);
      if (rec.flags.includes('EVICTED')) throw new ConflictError('node', n, 'state', `node '${n}' is EVICTED; its resources are re-placed by auto-evict (ferry node restore ${n} first)`);
    }
    const plan = await planEvacuation(catalog, nodes, ctx.now(), cfg.nodeOfflineAfterMs);
    const stuck = plan.filter((p) => p.action === 'blocked' && p.onlyCopy);
    if (stuck.length > 0) {
      const s = stuck[0]!;
      throw new PlacementError({ resource: s.resource, needed: 1, existing: 0, steps: [] },
        `cannot evacuate ${nodes.join(', ')}: resource '${s.resource}' has its only diskful replica on '${s.node}' and no other node can take it: ${s.reason}`
        + (stuck.length > 1 ? ` (and ${stuck.length - 1} more such resource${stuck.length > 2 ? 's' : ''})` : ''));
    }
    if (req.dryRun) return reply.code(200).send({ dry_run: true, nodes, plan });
    const ids: string[] = [];
    for (const n of nodes) {
      const h = await client.workflow.start('evacuateNode', {
        taskQueue: ctx.taskQueue,
        workflowId: evacuationIds.evacuate(n),
        args: [{ node: n, nodes, ...(req.maxConcurrent ? { maxConcurrent: req.maxConcurrent } : {}) }],
        workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING,
        staticSummary: `Evacuate node ${n}: move its resources to other nodes`,
        // the plan as it was at the start: the workflow's progress and current details tell what it does now
        staticDetails: [
          operationMetadata('evacuateNode', evacuationIds.evacuate(n), { Node: n }).staticDetails,
          '',
          'Plan at the start:',
          '',
          ...plan.filter((p) => p.node === n).map((p) => `- \`${p.resource}\`: ${p.action.toUpperCase()}${p.target ? ` to ${p.target}` : ''}${p.reason ? ` (${p.reason})` : ''}`),
        ].join('\n'),
      });
      ids.push(h.workflowId);
    }
    if (wait) {
      try {
        for (const id of ids) await client.workflow.getHandle(id).result();
      } catch (e) {
        const { status, message } = failureMessage(e);
        return reply.code(status).send(apiError(message));
      }
    }
    return reply.code(wait ? 200 : 202).send({
      dry_run: false, nodes, plan,
      operations: ids.map((id, i) => apiSuccess(`Evacuation of node '${nodes[i]}' ${wait ? 'finished' : 'started'}.`, { Node: nodes[i]! }, id)[0]),
    });
  }

  app.post<Wait>('/v1/ferry/evacuations', async (req, reply) => {
    try {
      const b = (req.body ?? {}) as { nodes?: unknown; dry_run?: unknown; max_concurrent?: unknown };
      return await evacuate(reply, { nodes: b.nodes, dryRun: b.dry_run ?? false, ...(b.max_concurrent !== undefined ? { maxConcurrent: b.max_concurrent } : {}) }, req.query.wait === 'true');
    } catch (e) {
      return refuse(reply, e);
    }
  });

  app.put<{ Params: { node: string } } & Wait>('/v1/nodes/:node/evacuate', async (req, reply) => {
    try {
      return await evacuate(reply, { nodes: [req.params.node], dryRun: req.query.dry_run === 'true' }, req.query.wait === 'true');
    } catch (e) {
      return refuse(reply, e);
    }
  });

  app.put<{ Params: { node: string } } & Wait>('/v1/nodes/:node/restore', async (req, reply) => {
    try {
      const n = await requireNode(parseInput(evacuateSchema, { nodes: [req.params.node] }).nodes[0]!);
      // an EVICTED node's leftovers are removed on its host as it is restored: it must be reachable
      if (n.flags.includes('EVICTED') && connectionStatus(n, ctx.now(), cfg.nodeOfflineAfterMs) !== 'ONLINE') {
        throw new ConflictError('node', n.name, 'state', `node '${n.name}' is EVICTED and not ONLINE: start its agent (or heal its network) first, so that the resources moved away can be removed from it; a node that is gone for good: ferry node lost ${n.name}`);
      }
      return await mutate(reply, req.query.wait === 'true', 'restoreNode', evacuationIds.restore(n.name), [{ node: n.name }], `Node '${n.name}' restored.`, { Node: n.name });
    } catch (e) {
      return refuse(reply, e);
    }
  });

  app.delete<{ Params: { node: string } } & Wait>('/v1/nodes/:node/lost', async (req, reply) => {
    try {
      const n = await requireNode(parseInput(evacuateSchema, { nodes: [req.params.node] }).nodes[0]!);
      // `node lost` is for a node that is gone: one whose agent still reports is evacuated and
      // deleted instead (an EVICTED node may be lost even when it runs again, as in the guide)
      if (!n.flags.includes('EVICTED') && connectionStatus(n, ctx.now(), cfg.nodeOfflineAfterMs) !== 'OFFLINE') {
        throw new ConflictError('node', n.name, 'state', `node '${n.name}' is still online; 'node lost' is for a node that is gone for good. Use ferry node evacuate ${n.name} and then ferry node delete ${n.name}`);
      }
      return await mutate(reply, req.query.wait === 'true', 'loseNode', evacuationIds.lost(n.name), [{ node: n.name }], `Node '${n.name}' lost: removed with its resources.`, { Node: n.name });
    } catch (e) {
      return refuse(reply, e);
    }
  });

  // ---- toggle-disk / migrate-disk ---------------------------------------------------------------

  async function toggle(reply: FastifyReply, raw: unknown, wait: boolean) {
    const t = parseInput(toggleDiskSchema, raw);
    if (!(await catalog.resources.getDefinition(t.resource))) throw new NotFoundError('resource definition', t.resource);
    const replicas = await catalog.resources.list({ resource: t.resource });
    const me = replicas.find((r) => r.node === t.node);
    if (!me) throw new NotFoundError('resource', t.resource, `resource '${t.resource}' not found on node '${t.node}'; create it first (ferry r c ${t.node} ${t.resource} --diskless)`);
    const diskless = me.flags.includes('DISKLESS');
    if (t.storagePool !== null) {
      if (!diskless) throw new ConflictError('resource', t.resource, 'state', `resource '${t.resource}' on node '${t.node}' has a disk already`);
      if (!(await catalog.storagePools.get(t.node, t.storagePool))) throw new NotFoundError('storage pool', t.storagePool, `storage pool '${t.storagePool}' not found on node '${t.node}'`);
    } else {
      if (diskless) throw new ConflictError('resource', t.resource, 'state', `resource '${t.resource}' on node '${t.node}' is diskless already`);
      if (!replicas.some((r) => r.node !== t.node && !r.flags.includes('DISKLESS'))) {
        throw new ConflictError('resource', t.resource, 'state', `resource '${t.resource}' on node '${t.node}' is its only diskful replica; its disk cannot be removed`);
      }
    }
    if (t.migrateFrom !== undefined) {
      if (t.storagePool === null) throw new ValidationError('migrate_from', 'a disk migrates to a node that gets a disk: give a storage pool, not --diskless');
      if (t.migrateFrom === t.node) throw new ValidationError('migrate_from', 'the source node must differ from the target node');
      const src = replicas.find((r) => r.node === t.migrateFrom);
      if (!src) throw new NotFoundError('resource', t.resource, `resource '${t.resource}' not found on node '${t.migrateFrom}' (--migrate-from)`);
    }
    const what = t.storagePool === null ? 'diskless' : `diskful (${t.storagePool})${t.migrateFrom ? `, migrated from '${t.migrateFrom}'` : ''}`;
    return mutate(reply, wait, 'toggleDisk', evacuationIds.toggleDisk(t.resource, t.node), [t], `Resource '${t.resource}' on node '${t.node}' is now ${what}.`, { RscDfn: t.resource, Node: t.node });
  }

  app.put<{ Params: { rsc: string; node: string; pool: string } } & Wait>('/v1/resource-definitions/:rsc/resources/:node/toggle-disk/diskful/:pool', async (req, reply) => {
    try {
      return await toggle(reply, { resource: req.params.rsc, node: req.params.node, storagePool: req.params.pool, ...(req.query.migrate_from ? { migrateFrom: req.query.migrate_from } : {}) }, req.query.wait === 'true');
    } catch (e) {
      return refuse(reply, e);
    }
  });

  app.put<{ Params: { rsc: string; node: string } } & Wait>('/v1/resource-definitions/:rsc/resources/:node/toggle-disk/diskless', async (req, reply) => {
    try {
      return await toggle(reply, { resource: req.params.rsc, node: req.params.node, storagePool: null }, req.query.wait === 'true');
    } catch (e) {
      return refuse(reply, e);
    }
  });

  app.put<{ Params: { rsc: string; node: string; from: string; pool: string } } & Wait>('/v1/resource-definitions/:rsc/resources/:node/migrate-disk/:from/:pool', async (req, reply) => {
    try {
      return await toggle(reply, { resource: req.params.rsc, node: req.params.node, storagePool: req.params.pool, migrateFrom: req.params.from }, req.query.wait === 'true');
    } catch (e) {
      return refuse(reply, e);
    }
  });

  // ---- properties -------------------------------------------------------------------------------

  async function setProps(reply: FastifyReply, wait: boolean, node: string | undefined, body: unknown) {
    const b = (body ?? {}) as { override_props?: unknown; delete_props?: unknown };
    const del = Array.isArray(b.delete_props) ? b.delete_props : [];
    const raw: Record<string, unknown> = { ...((b.override_props && typeof b.override_props === 'object') ? b.override_props : {}) };
    for (const k of del) raw[String(k)] = null;
    const p = parseInput(setPropertiesSchema, { ...(node !== undefined ? { node } : {}), changes: raw });
    const level: PropLevel = node ? 'node' : 'controller';
    const changes: Record<string, string | null> = {};
    for (const [k, v] of Object.entries(p.changes)) changes[k] = v === null ? null : validateProperty(k, v, level);
    if (Object.keys(changes).length === 0) throw new ValidationError('override_props', 'give at least one property to set or delete');
    if (node) await requireNode(node);
    const target = node ?? 'controller';
    return mutate(reply, wait, 'setProperties', `${evacuationIds.properties(target)}/${Object.keys(changes).join(',')}`.slice(0, 200),
      [{ ...(node ? { node } : {}), changes }], `Properties of ${node ? `node '${node}'` : 'the controller'} changed.`, node ? { Node: node } : {});
  }

  app.put<{ Params: { node: string } } & Wait>('/v1/nodes/:node', async (req, reply) => {
    try {
      return await setProps(reply, req.query.wait === 'true', req.params.node, req.body);
    } catch (e) {
      return refuse(reply, e);
    }
  });

  app.post<Wait>('/v1/controller/properties', async (req, reply) => {
    try {
      return await setProps(reply, req.query.wait === 'true', undefined, req.body);
    } catch (e) {
      return refuse(reply, e);
    }
  });

  app.get('/v1/controller/properties', async () => catalog.evacuations.controllerProps());
}
