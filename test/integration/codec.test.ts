// The Web UI's codec server: with a master passphrase the history holds only ciphertext; the
// controller's /codec/decode turns it back into JSON for the UI (CORS for the UI's origin), and
// never hands out a secret-looking field, even one that travelled in a payload.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Client, Connection } from '@temporalio/client';
import { startTestCluster, type TestCluster } from '../harness/cluster.js';

let cluster: TestCluster;
const PASSPHRASE = 'codec-test-passphrase-1';

beforeAll(async () => {
  cluster = await startTestCluster({ nodes: ['node1'], env: { FERRY_MASTER_PASSPHRASE: PASSPHRASE } });
  await cluster.eventually('node1 is ONLINE', async () => (await cluster.client.nodes.list()).every((n) => n.connection_status === 'ONLINE'), 60_000);
});
afterAll(async () => {
  await cluster?.stop();
});

type JsonPayload = { metadata: Record<string, string>; data: string };
const post = async (op: string, body: unknown, headers: Record<string, string> = {}) =>
  fetch(`${cluster.controllerUrl}/codec/${op}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });

describe('the codec server for the Web UI', () => {
  it('decodes the encrypted payloads of a workflow history into readable JSON', async () => {
    const conn = await Connection.connect({ address: cluster.env.temporalAddress });
    try {
      const client = new Client({ connection: conn, namespace: cluster.env.namespace });
      let started: { data?: Uint8Array | null; metadata?: Record<string, Uint8Array | null> | null } | undefined;
      for await (const wf of client.workflow.list({ query: `WorkflowType = 'createNode'` })) {
        const h = await client.workflow.getHandle(wf.workflowId, wf.runId).fetchHistory();
        started = h.events?.[0]?.workflowExecutionStartedEventAttributes?.input?.payloads?.[0] ?? undefined;
        break;
      }
      expect(started).toBeDefined();
      const raw: JsonPayload = {
        metadata: Object.fromEntries(Object.entries(started!.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v ?? new Uint8Array()).toString('base64')])),
        data: Buffer.from(started!.data ?? new Uint8Array()).toString('base64'),
      };
      // what the history holds: ciphertext, no node name in it
      expect(Buffer.from(raw.metadata.encoding!, 'base64').toString()).toBe('binary/encrypted');
      expect(Buffer.from(raw.data, 'base64').toString('latin1')).not.toContain('node1');
      const r = await post('decode', { payloads: [raw] }, { origin: 'http://localhost:8233', 'x-namespace': cluster.env.namespace });
      expect(r.status).toBe(200);
      expect(r.headers.get('access-control-allow-origin')).toBe('http://localhost:8233');
      const [p] = ((await r.json()) as { payloads: JsonPayload[] }).payloads;
      expect(Buffer.from(p!.metadata.encoding!, 'base64').toString()).toBe('json/plain');
      expect(JSON.parse(Buffer.from(p!.data, 'base64').toString())).toMatchObject({ name: 'node1' });
    } finally {
      await conn.close();
    }
  });

  it('round-trips encode/decode and redacts secret-looking fields on the way out', async () => {
    const plain = (v: unknown): JsonPayload => ({ metadata: { encoding: Buffer.from('json/plain').toString('base64') }, data: Buffer.from(JSON.stringify(v)).toString('base64') });
    const enc = await post('encode', { payloads: [plain({ remote: 'bk', accessKey: 'AKIAEXAMPLE', nested: { secretKey: 'shh', keep: 'me' } })] });
    expect(enc.status).toBe(200);
    const encoded = ((await enc.json()) as { payloads: JsonPayload[] }).payloads;
    expect(Buffer.from(encoded[0]!.data, 'base64').toString('latin1')).not.toContain('AKIAEXAMPLE');
    const dec = await post('decode', { payloads: encoded });
    const [p] = ((await dec.json()) as { payloads: JsonPayload[] }).payloads;
    expect(JSON.parse(Buffer.from(p!.data, 'base64').toString())).toEqual({ remote: 'bk', accessKey: '<redacted by ferry>', nested: { secretKey: '<redacted by ferry>', keep: 'me' } });
  });

  it('answers the browser preflight for the UI origin only, and refuses bad bodies and foreign ciphertext clearly', async () => {
    const pre = await fetch(`${cluster.controllerUrl}/codec/decode`, { method: 'OPTIONS', headers: { origin: 'http://localhost:8233', 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type,x-namespace' } });
    expect(pre.status).toBe(204);
    expect(pre.headers.get('access-control-allow-headers')).toContain('x-namespace');
    const foreign = await fetch(`${cluster.controllerUrl}/codec/decode`, { method: 'OPTIONS', headers: { origin: 'http://evil.example' } });
    expect(foreign.headers.get('access-control-allow-origin')).toBeNull();
    const bad = await post('decode', { nope: 1 });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { message: string }[])[0]!.message).toMatch(/the body must be \{"payloads"/);
    const other = await post('decode', { payloads: [{ metadata: { encoding: Buffer.from('binary/encrypted').toString('base64') }, data: Buffer.alloc(64, 7).toString('base64') }] });
    expect(other.status).toBe(400);
    expect(((await other.json()) as { message: string }[])[0]!.message).toMatch(/could not be decoded \(encrypted with another master passphrase\?\)/);
  });
});
