// Bad input against the whole REST API and the CLI of a running cluster: seeded random paths,
// path parameters, query strings and bodies on every route the controller registers (discovered
// from fastify's own route table), and random argv for `ferry`. Never a 5xx, every 4xx a JSON
// error body, the catalog unchanged afterwards; the CLI never prints a stack trace and fails with
// an ERROR line. The counts are printed (bench/RESULTS.md, "fuzzing").
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Client, Connection } from '@temporalio/client';
import fc from 'fast-check';
import { join } from 'node:path';
import { buildApi } from '../../api/server.js';
import { Catalog } from '../../catalog/index.js';
import { resolveConfig } from '../../core/config.js';
import { createLogger } from '../../worker/logger.js';
import { startTestCluster, type TestCluster } from '../harness/cluster.js';

const SEED = 7031;
const REST_RUNS = Number(process.env.FERRY_FUZZ_REST_RUNS ?? 300);
const CLI_RUNS = Number(process.env.FERRY_FUZZ_CLI_RUNS ?? 50);
const EXISTING = new Set(['node1', 'fz0', 'pool1', 'vg', 'thinpool']);
let cluster: TestCluster;
let routes: { method: string; url: string }[] = [];

/** Every route of the controller, from fastify's route table of an API built in this process. */
async function discoverRoutes(dir: string): Promise<{ method: string; url: string }[]> {
  const catalog = await Catalog.open(`sqlite:${join(dir, 'routes.sqlite')}`);
  const conn = await Connection.connect({ address: cluster.env.temporalAddress });
  try {
    const out: { method: string; url: string }[] = [];
    const app = await buildApi({
      cfg: resolveConfig({}, {}), catalog, client: new Client({ connection: conn, namespace: cluster.env.namespace }), log: createLogger({ process: 'fuzz' }, 'silent'),
      onRoute: (r) => { if (r.method !== 'HEAD' && r.method !== 'OPTIONS') out.push(r); },
    });
    await app.ready();
    await app.close();
    return out;
  } finally {
    await conn.close();
    await catalog.close();
  }
}

/** What the catalog holds, as the listings show it (volatile fields left out). */
async function catalogView(): Promise<unknown> {
  const get = async (p: string) => {
    const r = await fetch(`${cluster.controllerUrl}${p}`);
    return r.ok ? ((await r.json()) as unknown) : `HTTP ${r.status}`;
  };
  const names = (v: unknown, ...keys: string[]) => (Array.isArray(v) ? v.map((x: Record<string, unknown>) => keys.map((k) => JSON.stringify(x[k])).join('/')).sort() : v);
  const lists: Record<string, unknown> = {
    nodes: names(await get('/v1/nodes'), 'name', 'flags', 'props'),
    pools: names(await get('/v1/view/storage-pools'), 'node_name', 'storage_pool_name', 'props'),
    rds: names(await get('/v1/resource-definitions'), 'name', 'props', 'volume_definitions', 'layer_data'),
    resources: names(await get('/v1/view/resources'), 'name', 'node_name', 'flags'),
  };
  // the other list routes without parameters (snapshots, remotes, ...): whole answers
  for (const r of routes) if (r.method === 'GET' && !r.url.includes(':') && !r.url.includes('*') && /^\/v1\/(view\/snapshots|remotes|resource-groups|controller\/properties)$/.test(r.url)) lists[r.url] = await get(r.url);
  return lists;
}

// ---- generators ------------------------------------------------------------------------------
const hostile = fc.oneof(
  fc.string({ maxLength: 30 }), fc.string({ unit: 'binary', maxLength: 30 }), fc.string({ unit: 'grapheme', maxLength: 10 }),
  fc.constantFrom('', '..', '../..', '%00', '%', '%zz', 'all', 'proxy', '$(reboot)', '; rm -rf /', '`id`', 'a'.repeat(300), '-1', '0', '1e400', 'null', 'true', '{}', '[]', '\\', 'é', '*', '?', '#'),
).filter((s) => !EXISTING.has(s));
const anyJsonValue: fc.Arbitrary<unknown> = fc.oneof(hostile, fc.integer(), fc.double(), fc.boolean(), fc.constant(null), fc.constantFrom(1e21, -1, 2 ** 64, Number.MAX_SAFE_INTEGER));
const KEYS = ['name', 'type', 'net_interfaces', 'address', 'satellite_port', 'props', 'storage_pool_name', 'provider_kind', 'resource_definition', 'resource_group_name',
  'drbd_port', 'volume_definition', 'size_kib', 'volume_number', 'drbd_minor_number', 'resource', 'node_name', 'flags', 'select_filter', 'place_count', 'storage_pool',
  'storage_pool_list', 'agentStartedAt', 'snapshot', 'remote_name', 'endpoint', 'bucket', 'access_key', 'secret_key', 'rsc_name', 'snap_name', 'nodes', 'StorPoolName',
  'StorDriver/LvmVg', 'StorDriver/ThinPool', 'override_props', 'delete_props'];
const shaped: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  obj: fc.dictionary(fc.constantFrom(...KEYS), fc.oneof({ depthSize: 'small' }, anyJsonValue, tie('obj'), fc.array(tie('obj'), { maxLength: 2 }), fc.array(anyJsonValue, { maxLength: 3 })), { maxKeys: 5 }),
})).obj;
const body = fc.oneof(
  fc.constant({ kind: 'none' as const }),
  shaped.map((v) => ({ kind: 'json' as const, text: JSON.stringify(v) })),
  fc.json({ maxDepth: 4 }).map((text) => ({ kind: 'json' as const, text })),
  fc.array(shaped, { maxLength: 3 }).map((v) => ({ kind: 'json' as const, text: JSON.stringify(v) })),
  fc.string({ unit: 'binary', maxLength: 200 }).map((text) => ({ kind: 'json' as const, text })), // not JSON, labelled JSON
  fc.string({ maxLength: 100 }).map((text) => ({ kind: 'text' as const, text })),
  fc.constant({ kind: 'json' as const, text: `{"resource_definition":{"name":"${'x'.repeat(2_000_000)}"}}` }), // over the body limit
);
const query = fc.array(fc.tuple(fc.constantFrom('wait', 'nodes', 'resources', 'storage_pools', 'limit', 'offset', 'rsc_name', 'id', 'cascading', 'dryrun', 'x'), fc.oneof(hostile, fc.constantFrom('true', 'false', '-1', '999999999999'))), { maxLength: 3 })
  .map((kv) => (kv.length ? `?${kv.map(([k, v]) => `${k}=${encodeURIComponent(v)}`).join('&')}` : ''));

function slowly(text: string): ReadableStream<Uint8Array> {
  const bytes = new TextEncoder().encode(text);
  let at = 0;
  return new ReadableStream({
    async pull(c) {
      if (at >= bytes.length) return c.close();
      await new Promise((r) => setTimeout(r, 2));
      c.enqueue(bytes.subarray(at, at += 256 * 1024));
    },
  });
}

function fill(url: string, params: string[], raw: boolean): string {
  let i = 0;
  return url.replace(/:[A-Za-z_]+|\*/g, () => {
    const v = params[i++ % Math.max(1, params.length)] ?? 'x';
    return raw ? v.replace(/[#?\s]/g, '_') || 'x' : encodeURIComponent(v) || 'x';
  });
}

beforeAll(async () => {
  cluster = await startTestCluster({ nodes: ['node1'] });
  await cluster.eventually('node1 is ONLINE', async () => (await cluster.client.nodes.list()).every((n) => n.connection_status === 'ONLINE'));
  await (await cluster.client.storagePools.createLvmThin({ node: 'node1', name: 'pool1', vg: 'vg', thinPool: 'thinpool' })).result();
  await (await cluster.client.resourceDefinitions.create({ name: 'fz0' })).result();
  routes = await discoverRoutes(cluster.dir);
});

afterAll(async () => {
  await cluster?.stop();
});

describe('the REST API under random bad input', () => {
  it(`answers ${REST_RUNS} random requests on every route with 4xx JSON errors, never 5xx, and changes nothing`, async () => {
    expect(routes.length).toBeGreaterThan(10);
    const before = await catalogView();
    const statuses: Record<string, number> = {};
    const hit = new Set<string>();
    const failures: string[] = [];
    let n = 0;
    await fc.assert(fc.asyncProperty(
      fc.constantFrom(...routes), fc.array(hostile, { minLength: 1, maxLength: 3 }), fc.boolean(), query, body,
      async (route, params, raw, q, b) => {
        n++;
        const path = fill(route.url, params, raw) + q;
        const headers: Record<string, string> = b.kind === 'json' ? { 'content-type': 'application/json' } : b.kind === 'text' ? { 'content-type': 'text/plain' } : {};
        let res: Response;
        try {
          res = await fetch(`${cluster.controllerUrl}${path}`, { method: route.method, headers, body: b.kind === 'none' || route.method === 'GET' ? undefined : b.text, signal: AbortSignal.timeout(30_000) });
        } catch (e) {
          failures.push(`${route.method} ${JSON.stringify(path)}: no answer (${(e as Error).message})`);
          return;
        }
        hit.add(`${route.method} ${route.url}`);
        statuses[String(res.status)] = (statuses[String(res.status)] ?? 0) + 1;
        const text = await res.text();
        const what = `${route.method} ${path.slice(0, 200)} body ${b.kind === 'none' ? '-' : b.text.slice(0, 200)}`;
        if (res.status >= 500) failures.push(`${res.status} on ${what}: ${text.slice(0, 300)}`);
        if (res.status >= 400) {
          let data: unknown;
          try {
            data = JSON.parse(text);
          } catch {
            failures.push(`${res.status} without a JSON body on ${what}: ${text.slice(0, 200)}`);
            return;
          }
          const rc = Array.isArray(data) ? (data[0] as { message?: unknown } | undefined) : (data as { message?: unknown } | null);
          if (typeof rc?.message !== 'string' || !rc.message) failures.push(`${res.status} without a message on ${what}: ${text.slice(0, 200)}`);
        }
      }), { seed: SEED, numRuns: REST_RUNS, endOnFailure: true });
    process.stdout.write(`fuzz-rest: ${n} requests (seed ${SEED}) over ${hit.size}/${routes.length} routes; statuses ${JSON.stringify(statuses)}\n`);
    expect(failures).toEqual([]);
    // mutations that were accepted would show up here (a workflow may still be on its way: wait a little)
    await new Promise((r) => setTimeout(r, 2000));
    expect(await catalogView()).toEqual(before);
  });

  it('refuses a body over the limit with a 413 (a 404 where no route is) the client can read, not a reset connection', async () => {
    const big = `{"resource_definition":{"name":"${'x'.repeat(2_000_000)}"}}`;
    const posts = routes.filter((r) => r.method !== 'GET' && !r.url.includes('*'));
    const answers: string[] = [];
    for (let i = 0; i < 80; i++) {
      const r = i % 4 < 2 ? posts[i % posts.length]! : { method: 'POST', url: '/v1/no-such-route' };
      const path = fill(r.url, ['fz0'], false);
      try {
        // every other one sent slowly, in pieces: the answer comes while the client still sends
        const body = i % 2 === 0 ? big : slowly(big);
        const res = await fetch(`${cluster.controllerUrl}${path}`, { method: r.method, headers: { 'content-type': 'application/json' }, body, duplex: 'half', signal: AbortSignal.timeout(30_000) } as RequestInit);
        const data = await res.json() as { message?: string } | { message?: string }[];
        answers.push(`${res.status} ${(Array.isArray(data) ? data[0]?.message : data.message) ?? 'no message'}`);
      } catch (e) {
        answers.push(`${r.method} ${path}: no answer (${(e as Error).message})`);
      }
    }
    expect(answers.filter((a) => !/^(413|404) /.test(a))).toEqual([]);
    expect(answers[0]).toMatch(/body is too large/i);
  });
});

describe('the CLI under random bad argv', () => {
  const words = fc.constantFrom('node', 'n', 'list', 'l', 'create', 'c', 'delete', 'd', 'info', 'rd', 'vd', 'r', 'sp', 'storage-pool', 'resource', 'volume-definition',
    'resource-definition', 'snapshot', 'backup', 'remote', 'token', 'operation', 'evacuate', 'lvmthin', '--auto-place', '--storage-pool', '--port', '--role', '-m', '--nodes',
    '--controllers', '--help', '-h', '--version', '--no-wait', 'node1', 'fz0');
  const arg = fc.oneof(words, hostile, fc.constantFrom('--', '-', '---x', '--port=-1', '--size=1e21', '1e21', '-1', '+0', 'NaN'));
  it(`never prints a stack trace on ${CLI_RUNS} random command lines; failures end with an ERROR line`, async () => {
    const samples = fc.sample(fc.array(arg, { minLength: 1, maxLength: 6 }).filter((a) => !['controller', 'agent'].includes(a[0]!)), { seed: SEED, numRuns: CLI_RUNS });
    const problems: string[] = [];
    const exits: Record<string, number> = {};
    for (const argv of samples) {
      const r = await cluster.ferry(argv);
      exits[String(r.exitCode)] = (exits[String(r.exitCode)] ?? 0) + 1;
      const out = `${String(r.stdout)}\n${String(r.stderr)}`;
      if (/^\s+at .+:\d+:\d+\)?$/m.test(out) || /\b(TypeError|ReferenceError|SyntaxError|RangeError)\b/.test(out)) problems.push(`stack trace for ${JSON.stringify(argv)}: ${out.slice(0, 400)}`);
      if (r.exitCode !== 0 && !/^(ERROR|error): /m.test(String(r.stderr))) problems.push(`exit ${r.exitCode} without an ERROR line for ${JSON.stringify(argv)}: ${String(r.stderr).slice(0, 300)}`);
      if (r.timedOut || r.exitCode === undefined) problems.push(`no exit for ${JSON.stringify(argv)}`);
    }
    process.stdout.write(`fuzz-cli: ${samples.length} command lines (seed ${SEED}); exit codes ${JSON.stringify(exits)}\n`);
    expect(problems).toEqual([]);
  });
});
