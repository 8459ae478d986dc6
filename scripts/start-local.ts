// `npm start`: the local cluster in the foreground. Temporal dev server with its Web UI, an S3 server,
// the ferry controller and three simulated storage hosts with their agents. State lives in .data/,
// so a second `npm start` picks it up again. Ctrl-C stops everything.
import { CreateBucketCommand, HeadBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { createConnection } from 'node:net';
import { join } from 'node:path';
import { FerryClient } from '../client/ferry-client.js';
import { initSimHost, readAgentPid, startAgent, startController, stopAgentByPid, type ClusterEnv, type ManagedProcess } from '../sim/launcher.js';
import { REPO_ROOT, startS3, startTemporal, waitUntil, type Service } from './stack.js';

const DATA = join(REPO_ROOT, '.data');
const PORTS = { temporal: 7233, ui: 8233, s3: 8333, api: 3370 };
const NODES = ['node1', 'node2', 'node3'];
const BUCKET = 'ferry-backups';

function portInUse(port: number): Promise<boolean> {
  return new Promise((res) => {
    const s = createConnection(port, '127.0.0.1');
    s.on('connect', () => { s.destroy(); res(true); });
    s.on('error', () => res(false));
  });
}

const say = (m: string) => process.stdout.write(`[ferry] ${m}\n`);

/** The cluster's master passphrase (remote keys in the catalog, encrypted Temporal payloads): $FERRY_MASTER_PASSPHRASE, else .data/master-passphrase, made once. */
function masterPassphrase(): string {
  if (process.env.FERRY_MASTER_PASSPHRASE) return process.env.FERRY_MASTER_PASSPHRASE;
  const file = join(DATA, 'master-passphrase');
  if (!existsSync(file)) writeFileSync(file, randomBytes(24).toString('base64url'), { mode: 0o600 });
  return readFileSync(file, 'utf8').trim();
}

async function main(): Promise<void> {
  // the AWS SDK warns about Node 20 at every client; the local stack knows
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  for (const [what, port] of Object.entries(PORTS)) {
    if (await portInUse(port)) {
      throw new Error(`port ${port} (${what}) is in use: is another \`npm start\` running? Stop it first.`);
    }
  }
  mkdirSync(DATA, { recursive: true });
  const services: Service[] = [];
  const procs: ManagedProcess[] = [];
  let stopping = false;
  const stopAll = async (code: number) => {
    if (stopping) return;
    stopping = true;
    say('stopping: agents, controller, S3, Temporal');
    await Promise.all(procs.filter((p) => p.name.startsWith('agent')).map((p) => p.stop()));
    // and the agents started meanwhile by `ferry-sim node start|add` (found by their pid files)
    const simRoot = join(DATA, 'sim');
    if (existsSync(simRoot)) await Promise.all(readdirSync(simRoot).map((n) => stopAgentByPid(simRoot, n)));
    await Promise.all(procs.filter((p) => !p.name.startsWith('agent')).map((p) => p.stop()));
    await Promise.all(services.map((s) => s.stop()));
    say('stopped; state is kept in .data/ for the next `npm start`');
    process.exit(code);
  };
  process.on('SIGINT', () => void stopAll(0));
  process.on('SIGTERM', () => void stopAll(0));

  try {
    say('starting Temporal (Web UI) and the S3 server');
    const [temporal, s3] = await Promise.all([
      startTemporal({ dataDir: join(DATA, 'temporal'), port: PORTS.temporal, uiPort: PORTS.ui, uiCodecEndpoint: `http://127.0.0.1:${PORTS.api}/codec` }),
      startS3({ dataDir: join(DATA, 's3'), port: PORTS.s3 }),
    ]);
    services.push(s3, temporal);
    const s3c = new S3Client({ endpoint: s3.endpoint, region: 'us-east-1', forcePathStyle: true, credentials: { accessKeyId: s3.accessKey, secretAccessKey: s3.secretKey } });
    await s3c.send(new HeadBucketCommand({ Bucket: BUCKET })).catch(() => s3c.send(new CreateBucketCommand({ Bucket: BUCKET })));
    writeFileSync(join(DATA, 's3', 'credentials.env'), `S3_ENDPOINT=${s3.endpoint}\nS3_BUCKET=${BUCKET}\nS3_ACCESS_KEY=${s3.accessKey}\nS3_SECRET_KEY=${s3.secretKey}\n`, { mode: 0o600 });

    const env: ClusterEnv = {
      temporalAddress: temporal.address,
      namespace: 'default',
      simRoot: join(DATA, 'sim'),
      logDir: join(DATA, 'logs'),
      extraEnv: { FERRY_MASTER_PASSPHRASE: masterPassphrase() },
    };
    say('starting the controller');
    const controller = await startController({ ...env, catalog: `sqlite:${join(DATA, 'catalog.sqlite')}`, apiPort: PORTS.api });
    procs.push(controller);
    const client = new FerryClient({ controllers: [controller.url] });
    const known = new Set((await client.nodes.list()).map((n) => n.name));
    for (const [i, node] of NODES.entries()) {
      if (!existsSync(join(env.simRoot, node))) say(`preparing simulated host ${node}: volume group vg, thin pool vg/thinpool (20 GiB)`);
      await initSimHost(env.simRoot, node);
      if (!known.has(node)) await (await client.nodes.create({ name: node, address: `127.0.0.${11 + i}` })).result();
    }
    // node1..3 and the hosts added with `ferry-sim node add` that the catalog knows
    const hosts = readdirSync(env.simRoot).filter((n) => NODES.includes(n) || known.has(n));
    for (const node of hosts) {
      const running = readAgentPid(env.simRoot, node);
      if (running) say(`the agent of ${node} runs already (pid ${running.pid}), started by ferry-sim; leaving it`);
      else procs.push(startAgent(env, node, [controller.url]));
    }
    for (const p of procs) {
      void p.exited.then((code) => {
        if (stopping) return;
        const again = p.name.startsWith('agent-') ? `; \`FERRY_SIM_ROOT=.data/sim npx ferry-sim node start ${p.name.slice('agent-'.length)}\` starts it again` : '';
        say(`${p.name} exited (code ${code}); see .data/logs/${p.name}.log${again}`);
      });
    }
    // ready means ready: the walkthrough's first command lists the nodes, and they should be Online
    say(`waiting for the agents of ${hosts.join(', ')} to report`);
    let notOnline = hosts;
    await waitUntil(`the agents of ${hosts.join(', ')}`, async () => {
      notOnline = (await client.nodes.list()).filter((n) => hosts.includes(n.name) && n.connection_status !== 'ONLINE').map((n) => n.name);
      return notOnline.length === 0;
    }, 120_000, 500).catch(() => say(`not Online after 2 minutes: ${notOnline.join(', ')}; see .data/logs/agent-<node>.log (the cluster keeps running)`));
    say('');
    say(`Temporal Web UI:  ${temporal.uiUrl}`);
    say(`REST API:         ${controller.url}/v1/nodes`);
    say(`S3 server:        ${s3.endpoint} (bucket ${BUCKET}; credentials in .data/s3/credentials.env)`);
    say(`logs:             .data/logs/`);
    say('');
    say('In another shell try:  npx ferry node list');
    say('Ctrl-C stops the cluster.');
  } catch (e) {
    process.stderr.write(`[ferry] ERROR: ${(e as Error).message}\n`);
    await stopAll(1);
  }
}

await main();
