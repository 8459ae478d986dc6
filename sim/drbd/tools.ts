// The simulated DRBD tools: drbdadm (reads the resource files), drbdsetup (status --json,
// events2, and the per-object commands) and drbdmeta (create-md, get-gi, set-gi, dstate). They
// accept the argument forms of drbd-utils 9 that ferry and LINSTOR use, print the same shapes and
// fail with the same wording and exit codes (see sim/README.md for what is simplified).
import path from 'node:path';
import { loadState } from '../lvm/store.js';
import { acquireNodeLock } from '../lock.js';
import { sleepSync } from '../sync-io.js';
import type { ToolContext } from '../tool.js';
import { ToolExit } from '../tool.js';
import { ConfParseError, dumpResource, readConfDir } from './conf.js';
import type { ConfResource } from './conf.js';
import { DrbdError, withWorld } from './engine.js';
import * as ops from './ops.js';
import { events2Of, resourceView, statusJsonOf, statusTextOf } from './status.js';
import type { ResourceView } from './status.js';
import { loadDrbdState, localConfDir, mdKey, saveDrbdState, UUID_JUST_CREATED } from './state.js';

interface ParsedArgs {
  flags: Set<string>;
  values: Map<string, string>;
  positional: string[];
}

const VALUE_OPTIONS = new Set([
  '-c',
  '--config-file',
  '-t',
  '--config-to-test',
  '--config-to-exclude',
  '--max-peers',
  '-h',
  '--host',
  '-s',
  '--drbdsetup',
  '-m',
  '--drbdmeta',
  '-P',
  '--peer',
  '--node-id',
  '--color',
  '--wfc-timeout',
  '--degr-wfc-timeout',
  '--outdated-wfc-timeout',
  '--size',
]);

function parseArgs(args: readonly string[]): ParsedArgs {
  const flags = new Set<string>();
  const values = new Map<string, string>();
  const positional: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--') continue;
    if (a.startsWith('-') && a.length > 1 && !/^-\d/.test(a)) {
      const eq = a.indexOf('=');
      if (eq > 0) {
        values.set(a.slice(0, eq), a.slice(eq + 1));
      } else if (VALUE_OPTIONS.has(a)) {
        const v = args[i + 1];
        if (v === undefined) throw new ToolExit(20, `Missing argument for option ${a}`);
        values.set(a, v);
        i++;
      } else {
        flags.add(a);
      }
    } else {
      positional.push(a);
    }
  }
  return { flags, values, positional };
}

function fail(e: unknown): never {
  if (e instanceof DrbdError) throw new ToolExit(e.exitCode, e.message);
  if (e instanceof ConfParseError) throw new ToolExit(10, e.message);
  throw e;
}

/** `RES`, `RES/VOL`, `RES:PEER`, `RES:PEER/VOL`. */
function parseTarget(t: string): { res: string; peer?: string; vol?: number } {
  const m = /^([^:/]+)(?::([^/]+))?(?:\/(\d+))?$/.exec(t);
  if (!m) throw new ToolExit(20, `invalid resource specification: ${t}`);
  return { res: m[1]!, peer: m[2], vol: m[3] === undefined ? undefined : Number(m[3]) };
}

// ---------------------------------------------------------------------------------------------
// status helpers

function upResources(nodeDir: string): string[] {
  return Object.keys(loadDrbdState(nodeDir).resources).sort();
}

function viewOf(nodeDir: string, res: string): ResourceView | null {
  return withWorld(nodeDir, res, (w) => resourceView(w));
}

function printStatus(ctx: ToolContext, names: string[] | null, p: ParsedArgs, json: boolean): number {
  const list = names ?? upResources(ctx.nodeDir);
  const views: ResourceView[] = [];
  let code = 0;
  for (const n of list) {
    const v = viewOf(ctx.nodeDir, n);
    if (!v) {
      ctx.err(`${n}: No such resource\n`);
      code = 10;
      continue;
    }
    views.push(v);
  }
  if (json) ctx.out(JSON.stringify(views.map(statusJsonOf), null, 2) + '\n');
  else for (const v of views) ctx.out(statusTextOf(v, { verbose: p.flags.has('--verbose') || p.flags.has('-v'), statistics: p.flags.has('--statistics') || p.flags.has('-s') }));
  return code;
}

function eventLines(nodeDir: string, names: string[] | null, statistics: boolean): string[] {
  const out: string[] = [];
  for (const n of names ?? upResources(nodeDir)) {
    const v = viewOf(nodeDir, n);
    if (v) out.push(...events2Of(v, { statistics }));
  }
  return out;
}

function eventKey(line: string): string {
  const w = line.split(' ');
  const ids = w.filter((x) => /^(name|peer-node-id|volume|conn-name):/.test(x));
  return `${w[1]} ${ids.join(' ')}`;
}

function events2(ctx: ToolContext, p: ParsedArgs): number {
  const target = p.positional[0];
  const names = target === undefined || target === 'all' ? null : [target];
  const statistics = p.flags.has('--statistics') || p.flags.has('-s');
  const stamp = p.flags.has('--timestamps') || p.flags.has('-T');
  const ts = (): string => (stamp ? new Date().toISOString().replace('Z', '+00:00') + ' ' : '');
  let lines = eventLines(ctx.nodeDir, names, statistics);
  ctx.writeStdout(Buffer.from(lines.map((l) => ts() + l + '\n').join('') + ts() + 'exists -\n'));
  if (p.flags.has('--now')) return 0;
  // follow: poll and print what changed, like the event stream of the kernel
  for (;;) {
    sleepSync(500);
    const next = eventLines(ctx.nodeDir, names, statistics);
    const before = new Map(lines.map((l) => [eventKey(l), l]));
    const after = new Map(next.map((l) => [eventKey(l), l]));
    let text = '';
    for (const [k, l] of after) {
      const prev = before.get(k);
      if (prev === undefined) text += ts() + l.replace(/^exists /, 'create ') + '\n';
      else if (prev !== l) text += ts() + l.replace(/^exists /, 'change ') + '\n';
    }
    for (const [k, l] of before) if (!after.has(k)) text += ts() + l.replace(/^exists /, 'destroy ').split(' ').filter((x, i) => i < 2 || /^(name|peer-node-id|conn-name|volume):/.test(x)).join(' ') + '\n';
    if (text) ctx.writeStdout(Buffer.from(text));
    lines = next;
  }
}

function waitSync(ctx: ToolContext, res: string, wantConnect: boolean): number {
  const deadline = Date.now() + 10 * 60 * 1000;
  for (;;) {
    const v = viewOf(ctx.nodeDir, res);
    if (!v) throw new ToolExit(10, `${res}: No such resource`);
    const connected = v.connections.every((c) => c.connection === 'Connected');
    const synced = v.connections.every((c) => c.devices.every((d) => d.replication === 'Established' || c.connection !== 'Connected'));
    if (connected && (wantConnect || synced)) return 0;
    if (Date.now() > deadline) return 5;
    sleepSync(100);
  }
}

// ---------------------------------------------------------------------------------------------
// drbdadm

function loadConfs(ctx: ToolContext, p: ParsedArgs): ConfResource[] {
  try {
    const file = p.values.get('-c') ?? p.values.get('--config-file');
    if (file) return readConfDir(path.dirname(file)).filter((r) => path.resolve(r.file) === path.resolve(file));
    return readConfDir(localConfDir(ctx.nodeDir), {
      extraFile: p.values.get('-t') ?? p.values.get('--config-to-test'),
      excludeFile: p.values.get('--config-to-exclude'),
    });
  } catch (e) {
    return fail(e);
  }
}

function confFor(confs: ConfResource[], res: string): ConfResource | null {
  return confs.find((r) => r.name === res) ?? null;
}

function targetsOf(ctx: ToolContext, confs: ConfResource[], p: ParsedArgs, cmd: string): { res: string; peer?: string; vol?: number }[] {
  const rest = p.positional.slice(1);
  if (rest.length === 0) throw new ToolExit(1, `drbdadm ${cmd}: missing resource name (or 'all')\nUSAGE: drbdadm ${cmd} [OPTION...] {all|RESOURCE...}`);
  const out: { res: string; peer?: string; vol?: number }[] = [];
  for (const t of rest) {
    if (t === 'all') {
      for (const r of confs) if (r.hosts.some((h) => h.name === path.basename(ctx.nodeDir))) out.push({ res: r.name });
    } else out.push(parseTarget(t));
  }
  return out;
}

export function drbdadmMain(args: string[], ctx: ToolContext): number {
  const p = parseArgs(args);
  const cmd = p.positional[0];
  if (!cmd) throw new ToolExit(20, 'USAGE: drbdadm COMMAND [OPTION...] {all|RESOURCE...}\n');
  const confs = loadConfs(ctx, p);
  const force = p.flags.has('--force') || p.flags.has('-f');
  try {
    switch (cmd) {
      case 'status': {
        const rest = p.positional.slice(1);
        const names = rest.length === 0 || rest.includes('all') ? null : rest.map((t) => parseTarget(t).res);
        for (const n of names ?? []) if (!confFor(confs, n) && !upResources(ctx.nodeDir).includes(n)) throw new DrbdError(`'${n}' not defined in your config (for this host).`, 10);
        return printStatus(ctx, names, p, false);
      }
      case 'sh-nop':
        return 0;
      case 'dump': {
        const rest = p.positional.slice(1);
        const list = rest.length === 0 || rest.includes('all') ? confs : rest.map((t) => confFor(confs, parseTarget(t).res) ?? fail(new DrbdError(`'${t}' not defined in your config (for this host).`, 10)));
        for (const r of list) ctx.out(dumpResource(r));
        return 0;
      }
      case 'sh-resources':
        ctx.out(confs.map((r) => r.name).join(' ') + '\n');
        return 0;
      default:
        break;
    }
    for (const t of targetsOf(ctx, confs, p, cmd)) {
      const conf = confFor(confs, t.res);
      switch (cmd) {
        case 'create-md': {
          const maxPeers = Number(p.values.get('--max-peers') ?? 7);
          ctx.out(ops.createMd(ctx.nodeDir, t.res, conf, { force, maxPeers, volume: t.vol }));
          break;
        }
        case 'up':
          ops.up(ctx.nodeDir, t.res, conf);
          break;
        case 'down':
          if (!conf && !upResources(ctx.nodeDir).includes(t.res)) throw new DrbdError(`'${t.res}' not defined in your config (for this host).`, 10);
          ops.down(ctx.nodeDir, t.res);
          break;
        case 'adjust':
        case 'adjust-with-progress':
          ops.adjust(ctx.nodeDir, t.res, conf, { discardMyData: p.flags.has('--discard-my-data'), skipNet: p.flags.has('--skip-net'), skipDisk: p.flags.has('--skip-disk') });
          break;
        case 'attach':
          ops.adjust(ctx.nodeDir, t.res, conf, { skipNet: true });
          break;
        case 'primary':
          ops.primary(ctx.nodeDir, t.res, force || p.flags.has('--overwrite-data-of-peer'));
          break;
        case 'secondary':
          ops.secondary(ctx.nodeDir, t.res);
          break;
        case 'disconnect':
          ops.disconnect(ctx.nodeDir, t.res, t.peer);
          break;
        case 'connect':
          ops.connect(ctx.nodeDir, t.res, t.peer, p.flags.has('--discard-my-data'));
          break;
        case 'invalidate':
          ops.invalidate(ctx.nodeDir, t.res, t.vol);
          break;
        case 'new-current-uuid':
          ops.newCurrentUuid(ctx.nodeDir, t.res, t.vol, p.flags.has('--clear-bitmap'));
          break;
        case 'outdate':
          ops.outdate(ctx.nodeDir, t.res);
          break;
        case 'suspend-io':
          ops.suspendIo(ctx.nodeDir, t.res);
          break;
        case 'resume-io':
          ops.resumeIo(ctx.nodeDir, t.res);
          break;
        case 'resize':
          ops.resize(ctx.nodeDir, t.res, t.vol);
          break;
        case 'role':
        case 'cstate':
        case 'dstate': {
          const v = viewOf(ctx.nodeDir, t.res);
          if (!v) throw new DrbdError(`${t.res}: No such resource`, 10);
          if (cmd === 'role') ctx.out(`${v.role}\n`);
          else if (cmd === 'cstate') for (const c of v.connections) ctx.out(`${c.connection}\n`);
          else for (const d of v.devices) ctx.out(`${d.disk}/${v.connections[0]?.devices.find((x) => x.volume === d.volume)?.peerDisk ?? 'DUnknown'}\n`);
          break;
        }
        case 'wait-connect-resource':
        case 'wait-sync-resource':
          return waitSync(ctx, t.res, cmd === 'wait-connect-resource');
        default:
          throw new ToolExit(20, `drbdadm: Unknown command '${cmd}'`);
      }
    }
    return 0;
  } catch (e) {
    return fail(e);
  }
}

// ---------------------------------------------------------------------------------------------
// drbdsetup

function peerNameById(ctx: ToolContext, res: string, id: string | undefined): string | undefined {
  if (id === undefined) return undefined;
  const r = loadDrbdState(ctx.nodeDir).resources[res];
  const hit = Object.entries(r?.peers ?? {}).find(([, pr]) => String(pr.nodeId) === id);
  if (!hit) throw new DrbdError(`${res}: Failure: (158) Unknown connection (peer node id ${id})`, 10);
  return hit[0];
}

function minorTarget(ctx: ToolContext, arg: string | undefined): { res: string; vol: number } {
  const minor = Number(arg);
  const hit = Number.isInteger(minor) ? ops.byMinor(ctx.nodeDir, minor) : null;
  if (!hit) throw new DrbdError(`${arg ?? ''}: Failure: (127) Device minor not allocated`, 10);
  return hit;
}

export function drbdsetupMain(args: string[], ctx: ToolContext): number {
  const p = parseArgs(args);
  const cmd = p.positional[0];
  if (!cmd) throw new ToolExit(20, 'USAGE: drbdsetup COMMAND {arguments} [options]\n');
  const rest = p.positional.slice(1);
  try {
    switch (cmd) {
      case 'status': {
        const names = rest.length === 0 || rest[0] === 'all' ? null : [rest[0]!];
        return printStatus(ctx, names, p, p.flags.has('--json') || p.flags.has('-j'));
      }
      case 'events2':
        return events2({ ...ctx }, { ...p, positional: rest });
      case 'primary':
        ops.primary(ctx.nodeDir, rest[0] ?? '', p.flags.has('--force'));
        return 0;
      case 'secondary':
        ops.secondary(ctx.nodeDir, rest[0] ?? '');
        return 0;
      case 'down': {
        const names = rest.length === 0 || rest[0] === 'all' ? upResources(ctx.nodeDir) : [rest[0]!];
        for (const n of names) ops.down(ctx.nodeDir, n);
        return 0;
      }
      case 'disconnect':
        ops.disconnect(ctx.nodeDir, rest[0] ?? '', peerNameById(ctx, rest[0] ?? '', rest[1]));
        return 0;
      case 'connect':
        ops.connect(ctx.nodeDir, rest[0] ?? '', peerNameById(ctx, rest[0] ?? '', rest[1]), p.flags.has('--discard-my-data'));
        return 0;
      case 'new-current-uuid': {
        const t = minorTarget(ctx, rest[0]);
        ops.newCurrentUuid(ctx.nodeDir, t.res, t.vol, p.flags.has('--clear-bitmap'));
        return 0;
      }
      case 'invalidate': {
        const t = minorTarget(ctx, rest[0]);
        ops.invalidate(ctx.nodeDir, t.res, t.vol);
        return 0;
      }
      case 'resize': {
        const t = minorTarget(ctx, rest[0]);
        ops.resize(ctx.nodeDir, t.res, t.vol);
        return 0;
      }
      case 'outdate': {
        const t = minorTarget(ctx, rest[0]);
        ops.outdate(ctx.nodeDir, t.res);
        return 0;
      }
      case 'wait-connect-resource':
      case 'wait-sync-resource':
        return waitSync(ctx, rest[0] ?? '', cmd === 'wait-connect-resource');
      default:
        throw new ToolExit(20, `drbdsetup: unknown command '${cmd}'`);
    }
  } catch (e) {
    return fail(e);
  }
}

// ---------------------------------------------------------------------------------------------
// drbdmeta MINOR v09 DEV internal COMMAND [args]

export function drbdmetaMain(args: string[], ctx: ToolContext): number {
  const p = parseArgs(args);
  const [minor, format, dev, meta, cmd, ...cmdArgs] = p.positional;
  if (!minor || !format || !dev || !meta || !cmd) {
    throw new ToolExit(20, 'USAGE: drbdmeta [--force] [--node-id N] MINOR v09 DEVICE internal COMMAND [ARGS]');
  }
  if (format !== 'v09' && format !== 'v08') throw new ToolExit(20, `drbdmeta: unknown format '${format}'`);
  const key = mdKey(dev);
  const s = /^\/dev\/([^/]+)\/([^/]+)$/.exec(dev);
  const lv = s ? loadState(ctx.nodeDir).vgs[s[1]!]?.lvs[s[2]!] : undefined;
  if (!lv) throw new ToolExit(20, `open(${dev}) failed: No such file or directory`);
  const release = acquireNodeLock(ctx.nodeDir);
  try {
    const st = loadDrbdState(ctx.nodeDir);
    const existing = st.md[key];
    const md = existing && existing.lvUuid === lv.uuid ? existing : undefined;
    const nodeId = Number(p.values.get('--node-id') ?? md?.nodeId ?? 0);
    switch (cmd) {
      case 'create-md': {
        if (md && !p.flags.has('--force')) throw new ToolExit(1, `Found v09 meta data on ${dev}\nDo you really want to overwrite the existing meta-data?\nOperation canceled.`);
        st.md[key] = {
          resource: md?.resource ?? '',
          volume: md?.volume ?? 0,
          nodeId,
          maxPeers: Number(cmdArgs[0] ?? 7),
          flags: 'inconsistent',
          current: UUID_JUST_CREATED,
          history: [],
          bitmaps: {},
          rotatedFor: [],
          lvUuid: lv.uuid,
        };
        saveDrbdState(ctx.nodeDir, st);
        ctx.out('initializing activity log\ninitializing bitmap to all zero\nWriting meta data...\nNew drbd meta data block successfully created.\n');
        return 0;
      }
      case 'get-gi':
      case 'show-gi': {
        if (!md) throw new ToolExit(255, 'No valid meta data found');
        const c = md.flags === 'uptodate' || md.flags === 'consistent' ? 1 : 0;
        const u = md.flags === 'uptodate' ? 1 : 0;
        ctx.out(`${md.current}:0000000000000000:${md.history[0] ?? '0000000000000000'}:${md.history[1] ?? '0000000000000000'}:${c}:${u}:0:0:0:0:0:0:0:0\n`);
        return 0;
      }
      case 'set-gi': {
        if (!md) throw new ToolExit(255, 'No valid meta data found');
        const parts = (cmdArgs[0] ?? '').split(':');
        if (!/^[0-9A-Fa-f]{1,16}$/.test(parts[0] ?? '')) throw new ToolExit(20, `set-gi: invalid generation identifier '${cmdArgs[0] ?? ''}'`);
        md.current = parts[0]!.toUpperCase().padStart(16, '0');
        const hist = parts[2];
        md.history = hist && !/^0+$/.test(hist) ? [hist.toUpperCase().padStart(16, '0')] : [];
        if (parts[4] === '1' && parts[5] === '1') md.flags = 'uptodate';
        else if (parts[4] === '1') md.flags = 'consistent';
        md.bitmaps = {};
        md.rotatedFor = [];
        saveDrbdState(ctx.nodeDir, st);
        return 0;
      }
      case 'dstate': {
        if (!md) throw new ToolExit(255, 'No valid meta data found');
        ctx.out(`${{ uptodate: 'UpToDate', consistent: 'Consistent', outdated: 'Outdated', inconsistent: 'Inconsistent' }[md.flags]}\n`);
        return 0;
      }
      case 'dump-md': {
        if (!md) throw new ToolExit(255, 'No valid meta data found');
        ctx.out(`# DRBD meta data dump (simulated)\nversion "v09";\nmax-peers ${md.maxPeers};\nnode-id ${md.nodeId};\ncurrent-uuid 0x${md.current};\nflags ${md.flags};\n`);
        return 0;
      }
      case 'wipe-md':
        if (md) {
          delete st.md[key];
          saveDrbdState(ctx.nodeDir, st);
        }
        ctx.out('Wiping meta data...\nDRBD meta data block successfully wiped out.\n');
        return 0;
      case 'apply-al':
      case 'check-resize':
        if (!md) throw new ToolExit(255, 'No valid meta data found');
        return 0;
      default:
        throw new ToolExit(20, `drbdmeta: unknown command '${cmd}'`);
    }
  } finally {
    release();
  }
}
