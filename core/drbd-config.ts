// DRBD 9 resource files (drbd.conf syntax) for ferry's resources: one `<name>.res` per resource,
// written by the node agent into the DRBD configuration directory (`/etc/drbd.d` on real hosts,
// `$FERRY_DRBD_CONF_DIR` when set) and read by `drbdadm`.
//
// The file lists every node of the resource in an `on <host>` section (node-id, volumes, address)
// and connects them all with `connection-mesh`. A diskless node has `disk none;`. Options are
// grouped as drbd.conf groups them: `options` (resource options such as quorum), `net`
// (protocol C by default), `disk` (e.g. c-max-rate, the resync rate limit).
//
// Pure: no I/O, no Node modules.

export interface DrbdVolumeConfig {
  /** Volume number inside the resource (0, 1, ...). */
  volume: number;
  /** Device minor: /dev/drbd<minor>. */
  minor: number;
  /** Backing device, e.g. /dev/vg/db0_00000; null for a diskless (client) volume. */
  disk: string | null;
}

export interface DrbdNodeConfig {
  /** Host name as DRBD knows it (the node's uname -n; for ferry, the node name). */
  name: string;
  nodeId: number;
  /** IPv4 or IPv6 address of the replication link (no port). */
  address: string;
  volumes: DrbdVolumeConfig[];
}

export type DrbdOptionValue = string | number | boolean;

export interface DrbdResourceOptions {
  /** `options { ... }`: resource options (quorum, on-no-quorum, auto-promote ...). */
  resource?: Record<string, DrbdOptionValue>;
  /** `net { ... }`: protocol (default C), verify-alg, allow-two-primaries ... */
  net?: Record<string, DrbdOptionValue>;
  /** `disk { ... }`: disk and peer-device options (c-max-rate, resync-rate, al-extents ...). */
  disk?: Record<string, DrbdOptionValue>;
}

export interface DrbdResourceConfig {
  name: string;
  /** TCP port of the resource (the same on every node, as LINSTOR allocates it). */
  port: number;
  nodes: DrbdNodeConfig[];
  options?: DrbdResourceOptions;
}

export class DrbdConfigError extends Error {
  override readonly name = 'DrbdConfigError';
}

/** LINSTOR's resource name rule. */
const RESOURCE_NAME = /^[A-Za-z_][A-Za-z0-9_-]{0,47}$/;
const HOST_NAME = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,252}$/;
const OPTION_KEY = /^[a-z][a-z0-9-]{0,62}$/;
/** Values written bare; anything else is quoted. */
const BARE_VALUE = /^[A-Za-z0-9_.:+/-]+$/;
const DEVICE_PATH = /^\/dev\/[A-Za-z0-9_.+/-]+$/;
const IPV4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;
const IPV6 = /^[0-9A-Fa-f:.]+$/;

export const DRBD_MAX_NODE_ID = 31;
export const DRBD_MAX_MINOR = (1 << 20) - 1;

const INDENT = '    ';

function quoteIfNeeded(word: string): string {
  if (BARE_VALUE.test(word)) return word;
  return `"${word.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

function renderValue(key: string, v: DrbdOptionValue): string {
  if (typeof v === 'boolean') return v ? 'yes' : 'no';
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) throw new DrbdConfigError(`option ${key}: not a finite number`);
    return String(v);
  }
  if (/[\n\r\0]/.test(v)) throw new DrbdConfigError(`option ${key}: value must be on one line`);
  return quoteIfNeeded(v);
}

/** `ipv4 10.0.0.1:7000` / `ipv6 [fd00::1]:7000`. */
export function renderAddress(address: string, port: number): string {
  const m = IPV4.exec(address);
  if (m) {
    if (m.slice(1).some((o) => Number(o) > 255)) throw new DrbdConfigError(`invalid IPv4 address: ${address}`);
    return `ipv4 ${address}:${port}`;
  }
  const bare = address.replace(/^\[|\]$/g, '');
  if (bare.includes(':') && IPV6.test(bare)) return `ipv6 [${bare}]:${port}`;
  throw new DrbdConfigError(`invalid address (IPv4 or IPv6 expected): ${address}`);
}

/** Checks a resource description; throws DrbdConfigError naming the first problem. */
export function validateResourceConfig(cfg: DrbdResourceConfig): void {
  if (!RESOURCE_NAME.test(cfg.name)) throw new DrbdConfigError(`invalid resource name: ${JSON.stringify(cfg.name)}`);
  if (!Number.isInteger(cfg.port) || cfg.port < 1 || cfg.port > 65535) throw new DrbdConfigError(`invalid port: ${cfg.port}`);
  if (cfg.nodes.length === 0) throw new DrbdConfigError(`resource ${cfg.name}: no nodes`);
  const names = new Set<string>();
  const ids = new Set<number>();
  let volumeSet: string | null = null;
  for (const n of cfg.nodes) {
    if (!HOST_NAME.test(n.name)) throw new DrbdConfigError(`invalid host name: ${JSON.stringify(n.name)}`);
    if (names.has(n.name)) throw new DrbdConfigError(`host ${n.name} listed twice`);
    names.add(n.name);
    if (!Number.isInteger(n.nodeId) || n.nodeId < 0 || n.nodeId > DRBD_MAX_NODE_ID) throw new DrbdConfigError(`host ${n.name}: invalid node-id ${n.nodeId}`);
    if (ids.has(n.nodeId)) throw new DrbdConfigError(`node-id ${n.nodeId} used twice`);
    ids.add(n.nodeId);
    renderAddress(n.address, cfg.port);
    if (n.volumes.length === 0) throw new DrbdConfigError(`host ${n.name}: no volumes`);
    const vols = new Set<number>();
    for (const v of n.volumes) {
      if (!Number.isInteger(v.volume) || v.volume < 0 || v.volume > 65534) throw new DrbdConfigError(`host ${n.name}: invalid volume number ${v.volume}`);
      if (vols.has(v.volume)) throw new DrbdConfigError(`host ${n.name}: volume ${v.volume} listed twice`);
      vols.add(v.volume);
      if (!Number.isInteger(v.minor) || v.minor < 0 || v.minor > DRBD_MAX_MINOR) throw new DrbdConfigError(`host ${n.name}: invalid minor ${v.minor}`);
      if (v.disk !== null && !DEVICE_PATH.test(v.disk)) throw new DrbdConfigError(`host ${n.name}: invalid disk ${JSON.stringify(v.disk)}`);
    }
    const key = [...vols].sort((a, b) => a - b).join(',');
    if (volumeSet !== null && key !== volumeSet) throw new DrbdConfigError(`resource ${cfg.name}: every host must have the same volumes`);
    volumeSet = key;
  }
  for (const [group, opts] of Object.entries(cfg.options ?? {})) {
    for (const [k, v] of Object.entries(opts ?? {})) {
      if (!OPTION_KEY.test(k)) throw new DrbdConfigError(`invalid ${group} option name: ${JSON.stringify(k)}`);
      renderValue(k, v as DrbdOptionValue);
    }
  }
}

function renderGroup(lines: string[], name: string, opts: Record<string, DrbdOptionValue>, depth: number): void {
  const pad = INDENT.repeat(depth);
  lines.push(`${pad}${name} {`);
  for (const k of Object.keys(opts).sort()) lines.push(`${pad}${INDENT}${k} ${renderValue(k, opts[k]!)};`);
  lines.push(`${pad}}`);
}

/** The text of `<name>.res`. Deterministic: the same input always gives the same bytes. */
export function renderResourceFile(cfg: DrbdResourceConfig): string {
  validateResourceConfig(cfg);
  const lines: string[] = [];
  lines.push(`# DRBD resource ${cfg.name}: written by ferry, do not edit (ferry rewrites it).`);
  lines.push(`resource ${cfg.name} {`);
  const opts = cfg.options ?? {};
  if (opts.resource && Object.keys(opts.resource).length > 0) renderGroup(lines, 'options', opts.resource, 1);
  renderGroup(lines, 'net', { protocol: 'C', ...(opts.net ?? {}) }, 1);
  if (opts.disk && Object.keys(opts.disk).length > 0) renderGroup(lines, 'disk', opts.disk, 1);
  const nodes = [...cfg.nodes].sort((a, b) => a.nodeId - b.nodeId);
  for (const n of nodes) {
    lines.push('');
    lines.push(`${INDENT}on ${n.name} {`);
    lines.push(`${INDENT}${INDENT}node-id ${n.nodeId};`);
    for (const v of [...n.volumes].sort((a, b) => a.volume - b.volume)) {
      const p = INDENT.repeat(3);
      lines.push(`${INDENT}${INDENT}volume ${v.volume} {`);
      lines.push(`${p}device minor ${v.minor};`);
      lines.push(`${p}disk ${v.disk ?? 'none'};`);
      if (v.disk !== null) lines.push(`${p}meta-disk internal;`);
      lines.push(`${INDENT}${INDENT}}`);
    }
    lines.push(`${INDENT}${INDENT}address ${renderAddress(n.address, cfg.port)};`);
    lines.push(`${INDENT}}`);
  }
  if (nodes.length > 1) {
    lines.push('');
    lines.push(`${INDENT}connection-mesh {`);
    lines.push(`${INDENT}${INDENT}hosts ${nodes.map((n) => n.name).join(' ')};`);
    lines.push(`${INDENT}}`);
  }
  lines.push('}');
  return lines.join('\n') + '\n';
}

/** File name of a resource inside the DRBD configuration directory. */
export function resourceFileName(name: string): string {
  if (!RESOURCE_NAME.test(name)) throw new DrbdConfigError(`invalid resource name: ${JSON.stringify(name)}`);
  return `${name}.res`;
}

/** The backing device path of a thin LV as DRBD's `disk` wants it. */
export function lvDevicePath(vg: string, lv: string): string {
  return `/dev/${vg}/${lv}`;
}

/**
 * Bytes per second of a drbd.conf rate value (`c-max-rate`, `resync-rate`): a number in KiB/s, or
 * with a suffix k/K, M, G (binary units), as drbdsetup reads it.
 */
export function parseDrbdRate(value: string): number | null {
  const m = /^(\d+(?:\.\d+)?)([kKmMgG]?)$/.exec(value.trim());
  if (!m) return null;
  const n = Number(m[1]);
  const unit = (m[2] ?? '').toLowerCase();
  const kib = unit === 'm' ? n * 1024 : unit === 'g' ? n * 1024 * 1024 : n;
  return Math.round(kib * 1024);
}
