// Two `ferry doctor` runs (or repairs) started in the same millisecond are two workflows: their
// ids differ, so the second neither joins nor is refused as "already started".
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import Fastify, { type FastifyInstance } from 'fastify';
import type { Client } from '@temporalio/client';
import { registerDoctorRoutes } from '../../api/doctor-routes.js';

describe('doctor workflow ids', () => {
  let app: FastifyInstance;
  let base = '';
  const call = (method: 'GET' | 'POST', path: string, body?: object) =>
    fetch(`${base}${path}`, { method, ...(body ? { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } } : {}) });
  const started: string[] = [];
  beforeEach(async () => {
    started.length = 0;
    const client = { workflow: { execute: async (_wf: string, o: { workflowId: string }) => { started.push(o.workflowId); return { findings: [] }; } } } as unknown as Client;
    const mutate = async (reply: { send(v: unknown): unknown }, _w: boolean, _wf: string, workflowId: string) => {
      started.push(workflowId);
      return reply.send({ workflow_id: workflowId });
    };
    app = Fastify();
    registerDoctorRoutes(app, { client, taskQueue: 'ferry-controller', now: () => 1_700_000_000_000, mutate: mutate as never });
    base = await app.listen({ host: '127.0.0.1', port: 0 });
  });
  afterEach(async () => {
    await app.close();
  });

  it('differ for checks, dry runs and repairs started in the same millisecond, and keep their time', async () => {
    const calls = [
      () => call('GET', '/v1/ferry/doctor'),
      () => call('GET', '/v1/ferry/doctor'),
      () => call('POST', '/v1/ferry/doctor/repair', { dry_run: true }),
      () => call('POST', '/v1/ferry/doctor/repair', { dry_run: true }),
      () => call('POST', '/v1/ferry/doctor/repair', { dry_run: false }),
      () => call('POST', '/v1/ferry/doctor/repair', { dry_run: false }),
    ];
    for (const res of await Promise.all(calls.map((c) => c()))) expect(res.status).toBe(200);
    expect(new Set(started).size).toBe(6);
    expect(started.filter((id) => /^doctor\/1700000000000-[0-9a-f]{8}$/.test(id))).toHaveLength(2);
    expect(started.filter((id) => /^doctor-repair\/1700000000000-[0-9a-f]{8}\/dry-run$/.test(id))).toHaveLength(2);
    expect(started.filter((id) => /^doctor-repair\/1700000000000-[0-9a-f]{8}$/.test(id))).toHaveLength(2);
  });

  it('a bad request starts nothing', async () => {
    const res = await call('POST', '/v1/ferry/doctor/repair', { dry_run: 'yes' });
    expect(res.status).toBe(400);
    expect(started).toEqual([]);
  });
});
