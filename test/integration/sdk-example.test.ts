// The SDK example (examples/sdk-example.ts), compiled as docs/sdk.md says, runs against a test
// cluster: it defines a resource, places two replicas, waits for each operation and lists the
// volumes UpToDate.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execa } from 'execa';
import { join } from 'node:path';
import { startTestCluster, type TestCluster } from '../harness/cluster.js';

const REPO = process.cwd();
const OUT = join(REPO, 'dist', 'sdk-example');

describe('the SDK example', () => {
  let cluster: TestCluster;

  beforeAll(async () => {
    const tsc = await execa(process.execPath, [join(REPO, 'node_modules', 'typescript', 'bin', 'tsc'),
      '--module', 'nodenext', '--moduleResolution', 'nodenext', '--target', 'es2022', '--lib', 'es2022', '--strict', '--skipLibCheck',
      '--esModuleInterop', '--resolveJsonModule', '--types', 'node', '--rootDir', '.', '--outDir', OUT, 'examples/sdk-example.ts'], { cwd: REPO, reject: false });
    expect({ code: tsc.exitCode, out: tsc.stdout }).toEqual({ code: 0, out: '' });
    cluster = await startTestCluster({ nodes: ['node1', 'node2'], offlineAfterMs: 5000 });
    await cluster.eventually('all nodes are ONLINE', async () => (await cluster.client.nodes.list()).every((n) => n.connection_status === 'ONLINE'), 60_000);
    for (const n of ['node1', 'node2']) expect((await cluster.ferry(['sp', 'c', 'lvmthin', n, 'pool1', 'vg/thinpool'])).exitCode).toBe(0);
  }, 300_000);

  afterAll(async () => {
    await cluster?.stop();
  });

  it('creates an rd, a vd and two replicas, waits for each operation and lists the volumes', async () => {
    const r = await execa(process.execPath, [join(OUT, 'examples', 'sdk-example.js'), 'sdkdemo', 'pool1'], {
      reject: false, env: { FERRY_CONTROLLERS: cluster.controllerUrl },
    });
    expect({ code: r.exitCode, err: r.stderr }).toEqual({ code: 0, err: '' });
    expect(r.stdout).toMatch(/^started rd-create\/sdkdemo$/m);
    expect(r.stdout).toMatch(/^resource definition sdkdemo: DRBD port 7000$/m);
    expect(r.stdout).toMatch(/^placed on node1, node2$/m);
    for (const n of ['node1', 'node2']) expect(r.stdout).toMatch(new RegExp(`^volume ${n} sdkdemo/0 /dev/drbd1000 UpToDate$`, 'm'));
    // what it made is really there
    expect((await cluster.client.resources.list({ resources: ['sdkdemo'] })).length).toBe(2);
  });

  it('reports a refused request with its HTTP status and exits non-zero', async () => {
    const r = await execa(process.execPath, [join(OUT, 'examples', 'sdk-example.js'), 'sdkdemo', 'pool1'], {
      reject: false, env: { FERRY_CONTROLLERS: cluster.controllerUrl },
    });
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toMatch(/ferry refused \(HTTP 409\): .*resource definition 'sdkdemo' already exists/);
  });
});
