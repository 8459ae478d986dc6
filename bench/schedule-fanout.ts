// Fan-out of one backup schedule over many resources (issue #8's benchmark): N resource
// definitions (default 1000, one diskful replica each, spread over 10 nodes) under one schedule
// enabled at controller level; the full cron is `* * * * *` and the bench waits for the real
// firing. Measured: from the scheduled minute (the firing time Temporal gives the run) to the
// start of the last `backupCreate` workflow (from visibility), and the controller process's CPU
// (user+sys from /proc/<pid>/stat) over that span; then that no node ever had more shipping slots
// taken than MaxConcurrentBackupsPerNode (2 here), sampled from the catalog while it runs.
//
// What is real: Temporal (dev server started here), the controller process (REST API + worker,
// the real scheduledBackupRun / backupCreate workflows and catalog activities on a SQLite catalog),
// the Temporal Schedule made by `ferry backup schedule enable`. What is not: the catalog rows of the
// nodes, pools and resources are written directly (creating 1000 resources through workflows on
// simulated hosts would take hours), and no agents run, so a backup that gets a shipping slot then
// waits for its node's task queue (snapshot step): the bench measures the fan-out up to "backup
// workflow started" (the goal's figure) and then up to "every backup holds a slot or is queued for
// one" (its lock, plan and slot request done), not the shipments.
//
// Usage: node dist/bench/schedule-fanout.js [--resources 1000] [--no-append]
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { Client, Connection } from '@temporalio/client';
import { startTemporal } from '../scripts/stack.js';
import { Catalog } from '../catalog/index.js';
import { FERRY_BIN, startController } from '../sim/launcher.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, '..', '..');
const args = process.argv.slice(2);
const opt = (name: string, dflt: string) => { const i = args.indexOf(`--${name}`); return i >= 0 ? args[i + 1]! : dflt; };
const N = Number(opt('resources', '1000'));
const NODES = 10;
const LIMIT = 2;
const log = (m: string) => console.log(`[fanout] ${m}`);

/** user+sys CPU seconds of a process (clock ticks of 10 ms). */
function cpuSeconds(pid: number): number {
  const f = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(f[11]) + Number(f[12])) / 100;
}

async function main(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ferry-fanout-'));
  const temporal = await startTemporal({ dataDir: path.join(dir, 'temporal'), headless: true });
  const catalogUrl = `sqlite:${path.join(dir, 'catalog.sqlite')}`;
  try {
    // ---- the catalog, seeded directly
    const t0 = Date.now();
    const catalog = await Catalog.open(catalogUrl);
    const now = Date.now();
    for (let i = 1; i <= NODES; i++) {
      const node = `node${i}`;
      await catalog.nodes.create({ name: node, address: `127.0.1.${i}`, port: 3366, now });
      await catalog.storagePools.create({ node, name: 'pool1', provider: 'LVM_THIN', poolName: 'vg/thinpool', freeBytes: 1e12, totalBytes: 1e12, props: { 'StorDriver/LvmVg': 'vg', 'StorDriver/ThinPool': 'thinpool' }, now });
    }
    for (let i = 0; i < N; i++) {
      const rsc = `r${String(i).padStart(4, '0')}`;
      await catalog.resources.createDefinition({ name: rsc, resourceGroup: 'DfltRscGrp', secret: 'bench', now });
      await catalog.resources.createVolumeDefinition({ resource: rsc, sizeBytes: 64 << 20 });
      await catalog.resources.createMany(rsc, [{ node: `node${(i % NODES) + 1}`, storagePool: 'pool1', flags: [] }], now);
    }
    // no S3 is reached (no agent ships), so the remote's keys are placeholders
    await catalog.remotes.create({ name: 'bk', endpoint: 'http://127.0.0.1:1', bucket: 'none', region: 'us-east-1', usePathStyle: true, accessKeySealed: 'x', secretKeySealed: 'x', createdAt: now });
    await catalog.db.run(`INSERT INTO controller_props (key, value) VALUES (?, ?)`, ['BackupShipping/MaxConcurrentBackupsPerNode', String(LIMIT)]);
    await catalog.close();
    log(`catalog seeded: ${NODES} nodes, ${N} resources in ${Date.now() - t0} ms`);

    // ---- the controller and the schedule
    const env = { temporalAddress: temporal.address, namespace: 'default', simRoot: path.join(dir, 'sim'), logDir: path.join(dir, 'logs') };
    const controller = await startController({ ...env, catalog: catalogUrl });
    const ferry = (a: string[]) => execa(process.execPath, [FERRY_BIN, ...a], { env: { FERRY_CONTROLLERS: controller.url } });
    await ferry(['schedule', 'create', 'bench', '--full-cron', '* * * * *']);
    await ferry(['backup', 'schedule', 'enable', 'bk', 'bench']);
    const conn = await Connection.connect({ address: temporal.address });
    const client = new Client({ connection: conn, namespace: 'default' });
    const d = await client.schedule.getHandle('backup-schedule/bk/bench').describe();
    const minute = d.info.nextActionTimes[0]!.getTime();
    log(`Schedule created; next firing ${new Date(minute).toISOString()}`);
    while (Date.now() < minute - 1000) await new Promise((r) => setTimeout(r, 200));
    const cpu0 = cpuSeconds(controller.child.pid!);
    const load0 = os.loadavg();

    // ---- watch the fan-out
    let started = 0;
    let lastStart = 0;
    let maxSlots = 0;
    let cpuAtLast = cpu0;
    const deadline = minute + 300_000;
    const slotsDb = await Catalog.open(catalogUrl);
    while (Date.now() < deadline) {
      const rows = await slotsDb.db.all<{ node: string; n: number }>(`SELECT node, COUNT(*) AS n FROM backup_slots GROUP BY node`);
      for (const r of rows) maxSlots = Math.max(maxSlots, Number(r.n));
      const c = await client.workflow.count('FerryOperation = "backup-create"');
      if (c.count > started) {
        started = c.count;
        cpuAtLast = cpuSeconds(controller.child.pid!);
      }
      if (started >= N) break;
      await new Promise((r) => setTimeout(r, 500));
    }
    for await (const wf of client.workflow.list({ query: 'FerryOperation = "backup-create"' })) lastStart = Math.max(lastStart, wf.startTime.getTime());
    // then until every backup has settled: holding a slot or queued for one (its lock, plan and slot request done)
    let settledAt = 0;
    let settled = 0;
    while (Date.now() < deadline) {
      const q = await slotsDb.db.get<{ n: number }>(`SELECT (SELECT COUNT(*) FROM backup_slots) + (SELECT COUNT(*) FROM backup_slot_waiters) AS n`);
      settled = Number(q?.n ?? 0);
      for (const r of await slotsDb.db.all<{ node: string; n: number }>(`SELECT node, COUNT(*) AS n FROM backup_slots GROUP BY node`)) maxSlots = Math.max(maxSlots, Number(r.n));
      if (settled >= N) {
        settledAt = Date.now();
        break;
      }
      await new Promise((r) => setTimeout(r, 500));
    }
    const cpuSettled = cpuSeconds(controller.child.pid!) - cpu0;
    const rows = await slotsDb.db.all<{ node: string; n: number }>(`SELECT node, COUNT(*) AS n FROM backup_slots GROUP BY node`);
    for (const r of rows) maxSlots = Math.max(maxSlots, Number(r.n));
    await slotsDb.close();
    const spanS = (lastStart - minute) / 1000;
    const cpuS = cpuAtLast - cpu0;
    const load = os.loadavg();
    const lines = [
      '',
      `## Schedule fan-out (bench/schedule-fanout.ts)`,
      '',
      `Command: \`npm run build && node dist/bench/schedule-fanout.js --resources ${N}\``,
      `Date: ${new Date().toISOString()}; node ${process.version}; ${os.cpus().length} CPUs; load average at the firing ${load0.map((x) => x.toFixed(2)).join(' ')}, at the end ${load.map((x) => x.toFixed(2)).join(' ')}.`,
      `Setup: ${N} resource definitions (1 diskful replica each over ${NODES} nodes, catalog rows seeded directly), one schedule (full cron \`* * * * *\`) enabled at controller level, MaxConcurrentBackupsPerNode=${LIMIT}, no agents (the fan-out is measured up to "backupCreate started", see the file's header).`,
      '',
      '| figure | value |',
      '| --- | --- |',
      `| backupCreate workflows started | ${started} of ${N} |`,
      `| scheduled minute → last backupCreate started | ${spanS.toFixed(1)} s (goal ≤ 60 s: ${spanS <= 60 && started >= N ? 'met' : 'NOT met'}) |`,
      `| controller CPU (user+sys) over that span | ${cpuS.toFixed(1)} s |`,
      `| backups holding a slot or queued for one | ${settled} of ${N}${settledAt ? `, all ${((settledAt - minute) / 1000).toFixed(1)} s after the scheduled minute` : ' (bench window ended)'} |`,
      `| controller CPU (user+sys) until then | ${cpuSettled.toFixed(1)} s |`,
      `| most shipping slots taken at once on one node (sampled every 0.5 s) | ${maxSlots} (limit ${LIMIT}: ${maxSlots <= LIMIT ? 'respected' : 'EXCEEDED'}) |`,
      '',
    ];
    console.log(lines.join('\n'));
    if (!args.includes('--no-append')) fs.appendFileSync(path.join(repo, 'bench', 'RESULTS.md'), lines.join('\n'));
    await conn.close();
    await controller.stop();
  } finally {
    await temporal.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
