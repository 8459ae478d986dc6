// `npm run screenshots`: pictures of the Temporal Web UI telling ferry's story, taken with headless
// Chromium so that docs/screenshots/ stays current. See USAGE.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { REPO_ROOT } from './stack.js';

const USAGE = `usage: npm run screenshots [-- --out DIR]

Takes screenshots of the Temporal Web UI of the local cluster into DIR (default docs/screenshots):
  evacuation-running.png  the page of a running evacuation (evacuate/node4): summary, plan, current details
  workflows-node2.png     the workflow list filtered by FerryNode="node2" (the evacuation moves shots0 there)
  schedule.png            the Temporal Schedule backup-schedule/local/nightly

It needs a running \`npm start\` (REST API on 127.0.0.1:3370, Web UI on http://localhost:8233) and does
not start one: run \`npm start\` in another shell first. It installs Debian's chromium (apt-get) when
/usr/bin/chromium is missing. On that cluster it makes what the pictures show, re-runnable:
  - node4 (ferry-sim node add node4) with storage pool pool1, when missing;
  - resource shots0 (64M on node1, node3 and node4, 32M of data, c-max-rate 256K so its resync takes two minutes),
    made again if it exists;
  - remote 'local' (from .data/s3/credentials.env) and schedule 'nightly' enabled on it, when missing;
  - \`ferry node evacuate node4\`: pictures while it syncs, then waits for its end and restores node4.
`;

const API = 'http://127.0.0.1:3370';
const UI = 'http://localhost:8233';
const NAMESPACE = 'default';
const CHROMIUM = '/usr/bin/chromium';
const env = { ...process.env, FERRY_SIM_ROOT: join(REPO_ROOT, '.data', 'sim'), FERRY_CONTROLLERS: API };
const say = (m: string) => process.stdout.write(`[screenshots] ${m}\n`);

async function ferry(args: string[], opts: { reject?: boolean } = {}) {
  const r = await execa('node', [join(REPO_ROOT, 'bin', 'ferry.js'), ...args], { env, reject: false });
  if (r.exitCode !== 0 && opts.reject !== false) throw new Error(`ferry ${args.join(' ')}: exit ${r.exitCode}: ${r.stderr}`);
  return r;
}

async function ferrySim(args: string[]) {
  const r = await execa('node', [join(REPO_ROOT, 'bin', 'ferry-sim.js'), ...args], { env, reject: false });
  if (r.exitCode !== 0) throw new Error(`ferry-sim ${args.join(' ')}: exit ${r.exitCode}: ${r.stderr}`);
  return r;
}

async function get<T>(path: string): Promise<T> {
  const res = await fetch(`${API}${path}`);
  if (!res.ok) throw new Error(`GET ${path}: HTTP ${res.status}`);
  return (await res.json()) as T;
}

async function until(what: string, check: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check().catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

/** Debian's chromium, installed once (as scripts/setup.sh installs its tools). */
async function ensureChromium(): Promise<void> {
  if (existsSync(CHROMIUM)) return;
  say('installing chromium (Debian package)');
  const sudo = process.getuid?.() === 0 ? [] : ['sudo'];
  const run = (args: string[]) => execa(sudo[0] ?? args[0]!, sudo.length ? args : args.slice(1), { env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' }, stdio: 'inherit' });
  await run(['apt-get', 'update', '-qq']);
  await run(['apt-get', 'install', '-y', '-qq', 'chromium']);
}

/** The bits of the WebSocket API (Node's, behind --experimental-websocket on Node 20) used here. */
interface Socket {
  onopen: (() => void) | null;
  onmessage: ((e: { data: unknown }) => void) | null;
  onerror: ((e: unknown) => void) | null;
  send(data: string): void;
  close(): void;
}

/**
 * Headless Chromium driven over the DevTools protocol: open the page, let the Web UI load its data
 * for `settleMs` of real time, capture. (`chromium --screenshot --virtual-time-budget` never ends on
 * the page of a running workflow: the UI keeps polling, and virtual time waits for the network.)
 */
async function shoot(url: string, file: string, settleMs = 8000): Promise<void> {
  const WebSocketCtor = (globalThis as unknown as { WebSocket?: new (url: string) => Socket }).WebSocket;
  if (!WebSocketCtor) throw new Error('no WebSocket in this Node.js: run with --experimental-websocket (npm run screenshots does)');
  const userDir = mkdtempSync(join(tmpdir(), 'ferry-shots-'));
  const browser = execa(CHROMIUM, [
    '--headless', '--no-sandbox', '--disable-gpu', '--hide-scrollbars', '--force-device-scale-factor=1', '--window-size=1440,1000',
    '--remote-debugging-port=0', `--user-data-dir=${userDir}`, 'about:blank',
  ], { reject: false, stdout: 'ignore' });
  try {
    const port = await new Promise<string>((resolve, reject) => {
      let seen = '';
      browser.stderr!.on('data', (d: Buffer) => {
        seen += d.toString();
        const m = /DevTools listening on ws:\/\/127\.0\.0\.1:(\d+)\//.exec(seen);
        if (m) resolve(m[1]!);
      });
      void browser.then(() => reject(new Error(`chromium ended before listening: ${seen.slice(-500)}`)));
    });
    const targets = await (await fetch(`http://127.0.0.1:${port}/json/list`)).json() as { type: string; webSocketDebuggerUrl: string }[];
    const page = targets.find((t) => t.type === 'page');
    if (!page) throw new Error('chromium has no page');
    const ws = new WebSocketCtor(page.webSocketDebuggerUrl);
    const pending = new Map<number, (r: { result?: Record<string, unknown>; error?: { message: string } }) => void>();
    let next = 1;
    ws.onmessage = (e) => {
      const msg = JSON.parse(String(e.data)) as { id?: number; result?: Record<string, unknown>; error?: { message: string } };
      if (msg.id !== undefined) pending.get(msg.id)?.(msg);
    };
    await new Promise<void>((resolve, reject) => { ws.onopen = () => resolve(); ws.onerror = reject; });
    const call = (method: string, params: Record<string, unknown> = {}) => new Promise<Record<string, unknown>>((resolve, reject) => {
      const id = next++;
      pending.set(id, (r) => (r.error ? reject(new Error(`${method}: ${r.error.message}`)) : resolve(r.result ?? {})));
      ws.send(JSON.stringify({ id, method, params }));
    });
    await call('Page.enable');
    await call('Page.navigate', { url });
    await new Promise((r) => setTimeout(r, settleMs));
    const shot = await call('Page.captureScreenshot', { format: 'png' });
    writeFileSync(file, Buffer.from(String(shot.data), 'base64'));
    ws.close();
  } finally {
    browser.kill('SIGTERM');
    await browser;
    rmSync(userDir, { recursive: true, force: true });
  }
  if (!existsSync(file) || statSync(file).size < 10_000) throw new Error(`no picture in ${file}`);
  say(`${file}  <-  ${url}`);
}

interface Operation { workflow_id: string; run_id: string; status: string; progress: { phase?: string; message?: string } | null }

async function prepare(): Promise<void> {
  const nodes = await get<{ name: string }[]>('/v1/nodes');
  if (!nodes.some((n) => n.name === 'node4')) {
    say('adding node4 (ferry-sim node add node4)');
    await ferrySim(['node', 'add', 'node4']);
    await until('node4 is Online', async () => (await get<{ name: string; connection_status: string }[]>('/v1/nodes')).some((n) => n.name === 'node4' && n.connection_status === 'ONLINE'), 60_000);
  }
  for (const n of ['node1', 'node2', 'node3', 'node4']) {
    const pools = await get<{ storage_pool_name: string }[]>(`/v1/nodes/${n}/storage-pools`);
    if (!pools.some((p) => p.storage_pool_name === 'pool1')) await ferry(['sp', 'c', 'lvmthin', n, 'pool1', 'vg/thinpool']);
  }
  const rds = await get<{ name: string }[]>('/v1/resource-definitions');
  if (rds.some((r) => r.name === 'shots0')) await ferry(['rd', 'd', 'shots0']);
  await ferry(['rd', 'c', 'shots0']);
  await ferry(['vd', 'c', 'shots0', '64M']);
  await ferry(['rd', 'set-property', 'shots0', 'DrbdOptions/PeerDevice/c-max-rate', '256K']);
  // on every node but node2: the evacuation of node4 can only move it there, so the list filtered
  // by FerryNode="node2" shows it running
  await ferry(['r', 'c', 'node1', 'node3', 'node4', 'shots0', '-s', 'pool1']);
  await ferrySim(['io', 'write', '--node', 'node1', '--resource', 'shots0', '--pattern', '5', '--length', '32M']);

  const remotes = JSON.parse(String((await ferry(['remote', 'list', '-m'])).stdout)) as { remote_name: string }[];
  if (!remotes.some((r) => r.remote_name === 'local')) {
    const creds = Object.fromEntries(readFileSync(join(REPO_ROOT, '.data', 's3', 'credentials.env'), 'utf8').trim().split('\n').map((l) => l.split('=') as [string, string]));
    await ferry(['remote', 'create', 's3', 'local', creds.S3_ENDPOINT!, creds.S3_BUCKET!, 'us-east-1', creds.S3_ACCESS_KEY!, creds.S3_SECRET_KEY!, '--use-path-style']);
  }
  const schedules = await ferry(['schedule', 'list', '-m']);
  if (!String(schedules.stdout).includes('"nightly"')) {
    await ferry(['schedule', 'create', 'nightly', '--full-cron', '0 3 * * 0', '--incremental-cron', '0 3 * * *', '--keep-remote', '2']);
  }
  await ferry(['backup', 'schedule', 'enable', 'local', 'nightly']);
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  if (args.includes('-h') || args.includes('--help')) {
    process.stdout.write(USAGE);
    return;
  }
  const outIdx = args.indexOf('--out');
  const out = outIdx >= 0 && args[outIdx + 1] ? args[outIdx + 1]! : join(REPO_ROOT, 'docs', 'screenshots');
  const up = await fetch(`${API}/health`).then((r) => r.ok, () => false) && await fetch(UI).then((r) => r.ok, () => false);
  if (!up) {
    process.stderr.write(`[screenshots] no running local cluster at ${API} and ${UI}: start \`npm start\` in another shell first.\n\n${USAGE}`);
    process.exit(2);
  }
  await ensureChromium();
  mkdirSync(out, { recursive: true });
  await prepare();

  say('evacuating node4 (shots0 moves to node2, slowly)');
  await ferry(['node', 'evacuate', 'node4', '--no-wait']);
  let op: Operation | undefined;
  await until('the evacuation syncs', async () => {
    op = await get<Operation>('/v1/ferry/operations/evacuate/node4');
    return op.status === 'RUNNING' && /syncing to node\d [1-9]/.test(op.progress?.message ?? '');
  }, 120_000);
  // the workflow page's "User Metadata" tab: static summary and details, and the live current details
  const wf = (id: string, run: string) => `${UI}/namespaces/${NAMESPACE}/workflows/${encodeURIComponent(id)}/${run}/user-metadata`;
  await shoot(wf('evacuate/node4', op!.run_id), join(out, 'evacuation-running.png'));
  await shoot(`${UI}/namespaces/${NAMESPACE}/workflows?query=${encodeURIComponent('FerryNode="node2"')}`, join(out, 'workflows-node2.png'));
  await shoot(`${UI}/namespaces/${NAMESPACE}/schedules/${encodeURIComponent('backup-schedule/local/nightly')}`, join(out, 'schedule.png'));

  say('waiting for the evacuation to end, then restoring node4');
  await until('the evacuation ended', async () => (await get<Operation>('/v1/ferry/operations/evacuate/node4')).status !== 'RUNNING', 300_000);
  await ferry(['node', 'restore', 'node4']);
  say('done');
}

main().catch((e: Error) => {
  process.stderr.write(`[screenshots] ERROR: ${e.message}\n`);
  process.exit(1);
});
