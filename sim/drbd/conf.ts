// drbd.conf parser of the simulated drbdadm: reads the `*.res` files of a node's DRBD configuration
// directory. Accepts the syntax of the DRBD 9 user's guide and drbd.conf(5), including what
// LINSTOR writes: quoted names, `on` sections with `volume` blocks (`device minor N`, `disk none`,
// `disk { options }`), `connection-mesh { hosts ...; }`, explicit `connection { host A address ...;
// host B ...; }` blocks with or without `path { }`, option groups, comments and `skip` sections.
import fs from 'node:fs';
import path from 'node:path';
import { parseDrbdRate } from '../../core/drbd-config.js';

export class ConfParseError extends Error {
  constructor(
    readonly file: string,
    readonly line: number,
    message: string,
  ) {
    super(`${file}:${line}: Parse error: ${message}`);
  }
}

interface Token {
  text: string;
  kind: 'word' | '{' | '}' | ';';
  line: number;
}

export interface Stmt {
  words: string[];
  block: Stmt[] | null;
  line: number;
}

function tokenize(text: string, file: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  let line = 1;
  while (i < text.length) {
    const c = text[i]!;
    if (c === '\n') {
      line++;
      i++;
    } else if (/\s/.test(c)) {
      i++;
    } else if (c === '#') {
      while (i < text.length && text[i] !== '\n') i++;
    } else if (c === '{' || c === '}' || c === ';') {
      out.push({ text: c, kind: c, line });
      i++;
    } else if (c === '"') {
      let s = '';
      i++;
      for (;;) {
        if (i >= text.length) throw new ConfParseError(file, line, 'unterminated string');
        const d = text[i]!;
        if (d === '\\' && i + 1 < text.length) {
          s += text[i + 1];
          i += 2;
          continue;
        }
        if (d === '"') {
          i++;
          break;
        }
        if (d === '\n') line++;
        s += d;
        i++;
      }
      out.push({ text: s, kind: 'word', line });
    } else {
      let s = '';
      while (i < text.length && !/[\s{};#"]/.test(text[i]!)) s += text[i++];
      out.push({ text: s, kind: 'word', line });
    }
  }
  return out;
}

/** Parses drbd.conf text into statements: words followed by `;` or by a `{ ... }` block. */
export function parseStatements(text: string, file = '<config>'): Stmt[] {
  const toks = tokenize(text, file);
  let pos = 0;
  const parseBlock = (closing: boolean): Stmt[] => {
    const stmts: Stmt[] = [];
    for (;;) {
      const t = toks[pos];
      if (!t) {
        if (closing) throw new ConfParseError(file, toks[toks.length - 1]?.line ?? 1, "'}' expected, but got end of file");
        return stmts;
      }
      if (t.kind === '}') {
        if (!closing) throw new ConfParseError(file, t.line, "unexpected '}'");
        pos++;
        return stmts;
      }
      if (t.kind === ';') {
        pos++; // empty statement
        continue;
      }
      if (t.kind === '{') throw new ConfParseError(file, t.line, "unexpected '{'");
      const words: string[] = [];
      const line = t.line;
      while (toks[pos] && toks[pos]!.kind === 'word') words.push(toks[pos++]!.text);
      const end = toks[pos];
      if (!end) throw new ConfParseError(file, line, `';' or '{' expected after '${words.join(' ')}', but got end of file`);
      if (end.kind === ';') {
        pos++;
        stmts.push({ words, block: null, line });
      } else if (end.kind === '{') {
        pos++;
        const block = parseBlock(true);
        // a block may be followed by an optional ';'
        stmts.push({ words, block, line });
      } else {
        throw new ConfParseError(file, end.line, `';' expected after '${words.join(' ')}', but got '}'`);
      }
    }
  };
  return parseBlock(false);
}

export interface ConfVolume {
  volume: number;
  minor: number | null;
  /** Backing device path; null = diskless (`disk none`). */
  disk: string | null;
  metaDisk: string;
}

export interface ConfHost {
  name: string;
  nodeId: number | null;
  address: string | null;
  volumes: ConfVolume[];
}

export interface ConfResource {
  name: string;
  file: string;
  /** Option groups: options, net, disk, handlers, startup: key -> value text. */
  groups: Record<string, Record<string, string>>;
  hosts: ConfHost[];
  /** Pairs of hosts that are connected (each pair once, sorted). */
  connections: [string, string][];
  /** Per connection (key "a|b", sorted): its own option groups (net, disk). */
  connectionGroups: Record<string, Record<string, Record<string, string>>>;
}

const OPTION_GROUPS = new Set(['options', 'net', 'disk', 'handlers', 'startup', 'proxy']);

function addGroup(target: Record<string, Record<string, string>>, name: string, block: Stmt[]): void {
  const g = (target[name] ??= {});
  for (const s of block) {
    if (s.block) continue; // nested (e.g. plugin) sections are not options
    const [k, ...rest] = s.words;
    if (k) g[k] = rest.join(' ');
  }
}

function parseVolumeStmts(file: string, stmts: Stmt[], vol: Partial<ConfVolume>): void {
  for (const s of stmts) {
    const [k, ...rest] = s.words;
    if (k === 'device') {
      const mi = rest.indexOf('minor');
      if (mi >= 0) vol.minor = Number(rest[mi + 1]);
      else if (rest[0]) {
        const m = /^\/dev\/drbd(\d+)$/.exec(rest[0]);
        if (!m) throw new ConfParseError(file, s.line, `device: /dev/drbdN or minor N expected, got '${rest.join(' ')}'`);
        vol.minor = Number(m[1]);
      }
      if (vol.minor !== undefined && vol.minor !== null && !Number.isInteger(vol.minor)) {
        throw new ConfParseError(file, s.line, `device: bad minor in '${rest.join(' ')}'`);
      }
    } else if (k === 'disk' && !s.block) {
      vol.disk = rest[0] === 'none' ? null : (rest[0] ?? null);
    } else if (k === 'meta-disk') {
      vol.metaDisk = rest.join(' ');
    }
  }
}

function parseVolumesOf(file: string, stmts: Stmt[]): Map<number, Partial<ConfVolume>> {
  const vols = new Map<number, Partial<ConfVolume>>();
  const implicit: Partial<ConfVolume> = {};
  const plain = stmts.filter((s) => !s.block && ['device', 'disk', 'meta-disk'].includes(s.words[0]!));
  if (plain.length > 0) {
    parseVolumeStmts(file, plain, implicit);
    vols.set(0, { ...implicit, volume: 0 });
  }
  for (const s of stmts) {
    if (s.words[0] === 'volume' && s.block) {
      const n = Number(s.words[1]);
      if (!Number.isInteger(n) || n < 0) throw new ConfParseError(file, s.line, `volume: number expected, got '${s.words[1] ?? ''}'`);
      const v: Partial<ConfVolume> = { ...(vols.get(n) ?? {}), volume: n };
      parseVolumeStmts(file, s.block, v);
      vols.set(n, v);
    }
  }
  return vols;
}

function parseAddress(words: string[]): string | null {
  // address [ipv4|ipv6|ssocks|sdp|...] ADDR:PORT
  const w = words.filter((x) => !['ipv4', 'ipv6', 'ssocks', 'sdp', 'sci'].includes(x));
  return w[0] ?? null;
}

function pairKey(a: string, b: string): string {
  return a < b ? `${a}|${b}` : `${b}|${a}`;
}

function interpretResource(file: string, name: string, body: Stmt[]): ConfResource {
  const groups: Record<string, Record<string, string>> = {};
  const common = parseVolumesOf(file, body);
  const hosts: ConfHost[] = [];
  const pairs = new Set<string>();
  const connectionGroups: ConfResource['connectionGroups'] = {};
  let sawConnections = false;
  for (const s of body) {
    const [k, ...rest] = s.words;
    if (!k) continue;
    if (s.block && OPTION_GROUPS.has(k) && rest.length === 0) {
      addGroup(groups, k, s.block);
    } else if (k === 'on' && s.block) {
      const names = rest;
      if (names.length === 0) throw new ConfParseError(file, s.line, "host name expected after 'on'");
      const vols = parseVolumesOf(file, s.block);
      let nodeId: number | null = null;
      let address: string | null = null;
      for (const t of s.block) {
        if (t.words[0] === 'node-id') nodeId = Number(t.words[1]);
        if (t.words[0] === 'address') address = parseAddress(t.words.slice(1));
      }
      if (nodeId !== null && (!Number.isInteger(nodeId) || nodeId < 0 || nodeId > 31)) {
        throw new ConfParseError(file, s.line, `node-id: 0..31 expected for host ${names[0]}`);
      }
      const volNums = new Set([...common.keys(), ...vols.keys()]);
      const volumes: ConfVolume[] = [...volNums].sort((a, b) => a - b).map((n) => {
        const v = { ...(common.get(n) ?? {}), ...(vols.get(n) ?? {}) };
        return { volume: n, minor: v.minor ?? null, disk: v.disk === undefined ? null : v.disk, metaDisk: v.metaDisk ?? 'internal' };
      });
      for (const hn of names) hosts.push({ name: hn, nodeId, address, volumes });
    } else if (k === 'connection-mesh' && s.block) {
      sawConnections = true;
      const hs = s.block.find((t) => t.words[0] === 'hosts')?.words.slice(1) ?? [];
      for (let i = 0; i < hs.length; i++) for (let j = i + 1; j < hs.length; j++) pairs.add(pairKey(hs[i]!, hs[j]!));
      const g: Record<string, Record<string, string>> = {};
      for (const t of s.block) if (t.block && OPTION_GROUPS.has(t.words[0]!)) addGroup(g, t.words[0]!, t.block);
      if (Object.keys(g).length > 0) {
        for (let i = 0; i < hs.length; i++) for (let j = i + 1; j < hs.length; j++) connectionGroups[pairKey(hs[i]!, hs[j]!)] = g;
      }
    } else if (k === 'connection' && s.block) {
      sawConnections = true;
      const names = new Set<string>();
      const collectHosts = (stmts: Stmt[]): void => {
        for (const t of stmts) {
          if (t.words[0] === 'host' && t.words[1]) names.add(t.words[1]);
          if (t.words[0] === 'path' && t.block) collectHosts(t.block);
        }
      };
      collectHosts(s.block);
      const list = [...names];
      if (list.length !== 2) throw new ConfParseError(file, s.line, `a connection needs exactly two hosts, got ${list.length}`);
      const key = pairKey(list[0]!, list[1]!);
      pairs.add(key);
      const g: Record<string, Record<string, string>> = {};
      for (const t of s.block) if (t.block && OPTION_GROUPS.has(t.words[0]!)) addGroup(g, t.words[0]!, t.block);
      connectionGroups[key] = g;
    }
    // device/disk/meta-disk/volume at resource level handled by parseVolumesOf; floating, stacked,
    // template-file etc. are accepted and ignored.
  }
  if (!sawConnections) {
    for (let i = 0; i < hosts.length; i++) for (let j = i + 1; j < hosts.length; j++) pairs.add(pairKey(hosts[i]!.name, hosts[j]!.name));
  }
  const connections = [...pairs].sort().map((p) => p.split('|') as [string, string]);
  return { name, file, groups, hosts, connections, connectionGroups };
}

/** Parses one file's text into its resources (skip sections, global and common are ignored). */
export function parseConfText(text: string, file = '<config>'): ConfResource[] {
  const out: ConfResource[] = [];
  for (const s of parseStatements(text, file)) {
    if (s.words[0] === 'resource') {
      if (!s.block) throw new ConfParseError(file, s.line, "'{' expected after resource name");
      const name = s.words[1];
      if (!name) throw new ConfParseError(file, s.line, 'resource name expected');
      out.push(interpretResource(file, name, s.block));
    }
  }
  return out;
}

/** Reads every `*.res` file of a directory (sorted); missing directory = no resources. */
export function readConfDir(dir: string, opts: { extraFile?: string; excludeFile?: string } = {}): ConfResource[] {
  let files: string[] = [];
  try {
    files = fs
      .readdirSync(dir)
      .filter((f) => f.endsWith('.res'))
      .sort()
      .map((f) => path.join(dir, f));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
  if (opts.excludeFile) files = files.filter((f) => path.resolve(f) !== path.resolve(opts.excludeFile!));
  if (opts.extraFile) files.push(opts.extraFile);
  const out: ConfResource[] = [];
  const seen = new Map<string, string>();
  for (const f of files) {
    for (const r of parseConfText(fs.readFileSync(f, 'utf8'), f)) {
      const prev = seen.get(r.name);
      if (prev) throw new ConfParseError(f, 1, `resource '${r.name}' already defined in ${prev}`);
      seen.set(r.name, f);
      out.push(r);
    }
  }
  return out;
}

/** The peers of `host` in a resource. */
export function peersOf(res: ConfResource, host: string): string[] {
  const out: string[] = [];
  for (const [a, b] of res.connections) {
    if (a === host) out.push(b);
    else if (b === host) out.push(a);
  }
  return out.sort();
}

/** Resync rate in bytes/s for the connection host<->peer: c-max-rate, else resync-rate (connection, then resource). */
export function resyncRateOf(res: ConfResource, host: string, peer: string): number | null {
  const conn = res.connectionGroups[pairKey(host, peer)]?.disk ?? {};
  const rsc = res.groups.disk ?? {};
  for (const g of [conn, rsc]) {
    for (const key of ['c-max-rate', 'resync-rate']) {
      const v = g[key];
      if (v !== undefined) {
        const r = parseDrbdRate(v);
        if (r !== null && r > 0) return r;
      }
    }
  }
  return null;
}

/** Renders a parsed resource back (drbdadm dump). */
export function dumpResource(r: ConfResource): string {
  const lines: string[] = [`# resource ${r.name} from ${r.file}`, `resource ${r.name} {`];
  for (const [g, opts] of Object.entries(r.groups)) {
    lines.push(`    ${g} {`);
    for (const [k, v] of Object.entries(opts)) lines.push(`        ${k}${v ? ' ' + v : ''};`);
    lines.push('    }');
  }
  for (const h of r.hosts) {
    lines.push(`    on ${h.name} {`);
    if (h.nodeId !== null) lines.push(`        node-id ${h.nodeId};`);
    for (const v of h.volumes) {
      lines.push(`        volume ${v.volume} {`);
      lines.push(`            device minor ${v.minor ?? '?'};`);
      lines.push(`            disk ${v.disk ?? 'none'};`);
      if (v.disk !== null) lines.push(`            meta-disk ${v.metaDisk};`);
      lines.push('        }');
    }
    if (h.address) lines.push(`        address ${h.address.startsWith('[') ? 'ipv6' : 'ipv4'} ${h.address};`);
    lines.push('    }');
  }
  for (const [a, b] of r.connections) {
    lines.push('    connection {');
    lines.push(`        host ${a};`);
    lines.push(`        host ${b};`);
    lines.push('    }');
  }
  lines.push('}');
  return lines.join('\n') + '\n';
}
