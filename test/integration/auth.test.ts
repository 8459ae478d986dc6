// The operator locks the REST API: tokens made with `ferry token create`, their hashes in a token
// file (FERRY_API_TOKENS_FILE), agents and the CLI with FERRY_API_TOKEN; then HTTPS with a
// self-signed certificate that clients trust through FERRY_CA_FILE.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execa } from 'execa';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { FerryClient, FerryUnreachableError } from '../../client/ferry-client.js';
import { FERRY_BIN, startController, type ManagedProcess } from '../../sim/launcher.js';
import { startTestCluster, type TestCluster } from '../harness/cluster.js';

const nodes = ['node1', 'node2'];
let cluster: TestCluster;
let dir: string;
const tokens: Record<'admin' | 'reader' | 'agent', string> = { admin: '', reader: '', agent: '' };

async function makeToken(name: string, role: string): Promise<{ token: string; config: unknown }> {
  const r = await execa(process.execPath, [FERRY_BIN, 'token', 'create', '--role', role, name, '-m'], { reject: false });
  expect(r.exitCode).toBe(0);
  return JSON.parse(String(r.stdout)) as { token: string; config: unknown };
}

async function call(method: string, path: string, token?: string, body?: unknown) {
  const res = await fetch(`${cluster.controllerUrl}${path}`, {
    method,
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: JSON.parse(text) as unknown, text };
}

const rdNames = async () => (await cluster.client.resourceDefinitions.list()).map((r) => r.name).sort();

beforeAll(async () => {
  dir = mkdtempSync(join(process.env.FERRY_TEST_RUN_DIR!, 'auth-'));
  const admin = await makeToken('operator', 'admin');
  const reader = await makeToken('dashboard', 'read-only');
  const agent = await makeToken('agents', 'agent');
  tokens.admin = admin.token;
  tokens.reader = reader.token;
  tokens.agent = agent.token;
  writeFileSync(join(dir, 'tokens.json'), JSON.stringify({ tokens: [admin.config, reader.config, agent.config] }));
  cluster = await startTestCluster({ nodes, env: { FERRY_API_TOKENS_FILE: join(dir, 'tokens.json') }, token: tokens.admin });
});

afterAll(async () => {
  await cluster?.stop();
});

describe('a controller with API tokens', () => {
  it('`ferry token create` prints a random token once and only its SHA-256 for the configuration', async () => {
    const r = await execa(process.execPath, [FERRY_BIN, 'token', 'create', '--role', 'read-only', 'grafana'], { reject: false });
    expect(r.exitCode).toBe(0);
    const token = /^\s+(ferry_\S+)$/m.exec(String(r.stdout))?.[1];
    expect(token).toBeDefined();
    expect(r.stdout).toMatch(/- \{ name: grafana, role: read-only, sha256: [0-9a-f]{64} \}/);
    const bad = await execa(process.execPath, [FERRY_BIN, 'token', 'create', '--role', 'root', 'x'], { reject: false });
    expect(bad.exitCode).not.toBe(0);
    expect(bad.stderr).toMatch(/^ERROR: role/m);
  });

  it('refuses requests without a token (401, LINSTOR-shaped) and changes nothing', async () => {
    const before = await rdNames();
    const list = await call('GET', '/v1/nodes');
    expect(list.status).toBe(401);
    expect(list.body).toEqual([expect.objectContaining({ ret_code: expect.any(Number), message: expect.stringMatching(/authentication required/) })]);
    expect((list.body as { ret_code: number }[])[0]!.ret_code).toBeLessThan(0);

    const create = await call('POST', '/v1/resource-definitions', undefined, { resource_definition: { name: 'sneaky' } });
    expect(create.status).toBe(401);
    const wrong = await call('POST', '/v1/resource-definitions', 'ferry_not-a-real-token', { resource_definition: { name: 'sneaky' } });
    expect(wrong.status).toBe(401);
    expect(wrong.text).toMatch(/not known/);
    expect(wrong.text).not.toContain('ferry_not-a-real-token');

    const cli = await cluster.ferry(['node', 'list'], { env: { FERRY_API_TOKEN: '' } });
    expect(cli.exitCode).not.toBe(0);
    expect(cli.stderr).toMatch(/^ERROR: authentication required/m);
    expect(await rdNames()).toEqual(before);
    expect(before).not.toContain('sneaky');
  });

  it('leaves /health open', async () => {
    expect((await call('GET', '/health')).status).toBe(200);
  });

  it('lets a read-only token list but not create (403)', async () => {
    const list = await call('GET', '/v1/nodes', tokens.reader);
    expect(list.status).toBe(200);
    expect((list.body as { name: string }[]).map((n) => n.name).sort()).toEqual(nodes);

    const create = await call('POST', '/v1/resource-definitions', tokens.reader, { resource_definition: { name: 'readonly0' } });
    expect(create.status).toBe(403);
    expect(create.text).toMatch(/token 'dashboard' \(role read-only\) may not POST/);

    const cliList = await cluster.ferry(['rd', 'list'], { env: { FERRY_API_TOKEN: tokens.reader } });
    expect(cliList.exitCode).toBe(0);
    const cliCreate = await cluster.ferry(['rd', 'create', 'readonly1'], { env: { FERRY_API_TOKEN: tokens.reader } });
    expect(cliCreate.exitCode).not.toBe(0);
    expect(cliCreate.stderr).toMatch(/^ERROR: .*read-only/m);
    expect(await rdNames()).not.toEqual(expect.arrayContaining(['readonly0']));
    expect(await rdNames()).not.toEqual(expect.arrayContaining(['readonly1']));
  });

  it('lets an admin token create, through the SDK and the CLI', async () => {
    await (await cluster.client.resourceDefinitions.create({ name: 'secure0' })).result();
    const r = await cluster.ferry(['rd', 'create', 'secure1']);
    expect(r.exitCode).toBe(0);
    expect(await rdNames()).toEqual(expect.arrayContaining(['secure0', 'secure1']));
  });

  it('keeps the agents reporting with their token: every node comes Online', async () => {
    await cluster.eventually('all nodes are ONLINE', async () =>
      (await cluster.client.nodes.list()).every((n) => n.connection_status === 'ONLINE'));
  });

  it('gives an agent token the heartbeat route and nothing else', async () => {
    const beat = await call('POST', '/v1/internal/agents/node1/heartbeat', tokens.agent, { agentStartedAt: 1 });
    expect(beat.status).toBe(200);
    expect((await call('GET', '/v1/nodes', tokens.agent)).status).toBe(403);
    expect((await call('POST', '/v1/internal/agents/node1/heartbeat', tokens.reader, { agentStartedAt: 1 })).status).toBe(403);
    expect((await call('POST', '/v1/internal/agents/node1/heartbeat', undefined, { agentStartedAt: 1 })).status).toBe(401);
  });

  it('never writes a token into the controller log', async () => {
    const log = readFileSync(join(cluster.env.logDir, 'controller.log'), 'utf8');
    for (const t of Object.values(tokens)) expect(log).not.toContain(t);
  });
});

describe('a controller with HTTPS', () => {
  let tlsController: (ManagedProcess & { url: string }) | undefined;
  let url = '';
  let caFile = '';

  beforeAll(async () => {
    caFile = join(dir, 'controller.crt');
    const key = join(dir, 'controller.key');
    // a self-signed certificate for the controller's address, as an operator would make one
    await execa('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', caFile, '-days', '1',
      '-subj', '/CN=localhost', '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost']);
    tlsController = await startController({
      ...cluster.env,
      taskQueuePrefix: 'ferrytls',
      catalog: `sqlite:${join(dir, 'tls-catalog.sqlite')}`,
      extraEnv: {
        ...(cluster.env.extraEnv ?? {}),
        FERRY_API_TLS_CERT_FILE: caFile,
        FERRY_API_TLS_KEY_FILE: key,
      },
    });
    url = tlsController.url.replace(/^http:/, 'https:');
  });

  afterAll(async () => {
    await tlsController?.stop();
  });

  it('answers the SDK over https when it trusts the certificate, with the token', async () => {
    const client = new FerryClient({ controllers: [url], token: tokens.admin, ca: readFileSync(caFile) });
    expect(await client.nodes.list()).toEqual([]);
    await (await client.resourceDefinitions.create({ name: 'overtls' })).result();
    expect((await client.resourceDefinitions.list()).map((r) => r.name)).toEqual(['overtls']);
  });

  it('is refused by a client that does not trust the certificate', async () => {
    const client = new FerryClient({ controllers: [url], token: tokens.admin });
    await expect(client.nodes.list()).rejects.toBeInstanceOf(FerryUnreachableError);
  });

  it('works with the CLI through FERRY_CA_FILE, and still wants the token', async () => {
    const ok = await cluster.ferry(['rd', 'list', '-m'], { env: { FERRY_CONTROLLERS: url, FERRY_CA_FILE: caFile } });
    expect(ok.exitCode).toBe(0);
    expect((JSON.parse(String(ok.stdout)) as { name: string }[]).map((r) => r.name)).toEqual(['overtls']);
    const noToken = await cluster.ferry(['rd', 'list'], { env: { FERRY_CONTROLLERS: url, FERRY_CA_FILE: caFile, FERRY_API_TOKEN: '' } });
    expect(noToken.exitCode).not.toBe(0);
    expect(noToken.stderr).toMatch(/^ERROR: authentication required/m);
    const untrusted = await cluster.ferry(['rd', 'list'], { env: { FERRY_CONTROLLERS: url } });
    expect(untrusted.exitCode).not.toBe(0);
    expect(untrusted.stderr).toMatch(/^ERROR: no controller reachable/m);
  });
});
