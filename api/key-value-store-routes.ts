// LINSTOR's key-value store, in its /v1 paths and shapes: GET /v1/key-value-store (every instance),
// GET /v1/key-value-store/{instance} (a list of exactly that one, as golinstor reads it),
// PUT with override_props / delete_props (creates the instance on its first key), DELETE.
// Keys are free text (no property whitelist: the map belongs to the client); every change is a workflow.
import type { FastifyInstance } from 'fastify';
import { NotFoundError, ValidationError } from '../core/errors.js';
import { PROPERTY_KEY_MAX_LENGTH, PROPERTY_VALUE_MAX_LENGTH } from '../core/validation.js';
import type { Catalog } from '../catalog/index.js';
import { refuse } from './linstor-shapes.js';
import type { Mutate } from './resource-routes.js';

interface Ctx {
  catalog: Catalog;
  now: () => number;
  mutate: Mutate;
}

type Wait = { Querystring: { wait?: string } };
type Instance = { Params: { instance: string } };

/** LINSTOR's name rule, as for the other objects: a letter or '_' first, then letters, digits, '_', '-'. */
const INSTANCE_NAME = /^[A-Za-z_][A-Za-z0-9_-]{0,47}$/;
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/;

function instanceName(v: string): string {
  if (!INSTANCE_NAME.test(v)) throw new ValidationError('instance', `key-value store name '${v}' must start with a letter or '_' and have at most 48 letters, digits, '_' or '-'`);
  return v;
}

/** override_props / delete_props of a KeyValueStoreModify, checked; an empty change is allowed (nothing to do). */
function kvChangesOf(body: unknown): Record<string, string | null> {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) throw new ValidationError('body', "must be an object (LINSTOR's KeyValueStoreModify)");
  const b = body as { override_props?: unknown; delete_props?: unknown; delete_namespaces?: unknown };
  const over = b.override_props ?? {};
  if (typeof over !== 'object' || over === null || Array.isArray(over)) throw new ValidationError('override_props', 'must be an object of key -> string value');
  const del = b.delete_props ?? [];
  if (!Array.isArray(del)) throw new ValidationError('delete_props', 'must be a list of keys');
  if (Array.isArray(b.delete_namespaces) && b.delete_namespaces.length) throw new ValidationError('delete_namespaces', 'not supported by ferry; list the keys in delete_props');
  // a leading '/' is not part of the key: LINSTOR answers '/ns/a' as 'ns/a' (python-linstor's linstor.KV relies on it)
  const key = (k: unknown, field: string): string => {
    const bare = typeof k === 'string' ? k.replace(/^\/+/, '') : k;
    if (typeof bare !== 'string' || bare.length === 0 || bare.length > PROPERTY_KEY_MAX_LENGTH || CONTROL.test(bare)) {
      throw new ValidationError(field, `keys are text of 1 to ${PROPERTY_KEY_MAX_LENGTH} characters without control characters, got ${JSON.stringify(k)}`);
    }
    return bare;
  };
  const changes: Record<string, string | null> = {};
  for (const [k, v] of Object.entries(over as Record<string, unknown>)) {
    if (typeof v !== 'string' || v.length > PROPERTY_VALUE_MAX_LENGTH) throw new ValidationError(`override_props.${k}`, `values are text of at most ${PROPERTY_VALUE_MAX_LENGTH} characters`);
    changes[key(k, 'override_props')] = v;
  }
  for (const k of del) changes[key(k, 'delete_props')] = null;
  return changes;
}

export function registerKeyValueStoreRoutes(app: FastifyInstance, ctx: Ctx): void {
  const { catalog, mutate } = ctx;
  const wait = (q: { wait?: string }) => q.wait === 'true';

  app.get('/v1/key-value-store', async () => catalog.keyValueStore.list());

  app.get<Instance>('/v1/key-value-store/:instance', async (req, reply) => {
    try {
      const kv = await catalog.keyValueStore.get(instanceName(req.params.instance));
      if (!kv) throw new NotFoundError('key-value store', req.params.instance, `Could not find key value store instance '${req.params.instance}'.`);
      return [kv];
    } catch (e) {
      return refuse(reply, e);
    }
  });

  app.put<Instance & Wait>('/v1/key-value-store/:instance', async (req, reply) => {
    try {
      const name = instanceName(req.params.instance);
      const changes = kvChangesOf(req.body ?? {});
      return await mutate(reply, wait(req.query), 'modifyKeyValueStore', `kvs-modify/${name}/${ctx.now()}`, [{ name, changes }],
        `Key-value store '${name}' modified.`, { KvsName: name });
    } catch (e) {
      return refuse(reply, e);
    }
  });

  app.delete<Instance & Wait>('/v1/key-value-store/:instance', async (req, reply) => {
    try {
      const name = instanceName(req.params.instance);
      const kv = await catalog.keyValueStore.get(name);
      if (!kv) throw new NotFoundError('key-value store', name, `Could not find key value store instance '${name}'.`);
      return await mutate(reply, wait(req.query), 'deleteKeyValueStore', `kvs-delete/${kv.name}`, [{ name: kv.name }],
        `Key-value store '${kv.name}' deleted.`, { KvsName: kv.name });
    } catch (e) {
      return refuse(reply, e);
    }
  });
}
