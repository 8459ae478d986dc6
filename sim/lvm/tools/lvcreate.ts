// lvcreate for thin pools, thin volumes and thin snapshots.
import { parseLvmArgs, opt, optAll, has, splitLvName } from '../args.js';
import type { ParsedArgs } from '../args.js';
import {
  capacityChunks,
  createPoolFiles,
  createThinMap,
  DEFAULT_CHUNK_BYTES,
  displaySize,
  loadState,
  lvmUuid,
  parseLvmSize,
  poolFiles,
  readPoolHeader,
  roundUpTo,
  saveState,
  snapshotThin,
} from '../store.js';
import type { LvmState, LvRecord, VgRecord } from '../store.js';
import { vgUsedBytes } from '../report.js';
import { withNodeLock } from '../../lock.js';
import type { ToolContext } from '../../tool.js';
import { ToolExit } from '../../tool.js';
import { checkLvName, ECMD_FAILED, EINVALID_CMD_LINE, extents, failed, getVg, lvNotFound, vgNotFound } from './common.js';
import fs from 'node:fs';

const SPECS = [
  { long: 'size', short: 'L', value: true },
  { long: 'extents', short: 'l', value: true },
  { long: 'virtualsize', short: 'V', value: true },
  { long: 'name', short: 'n', value: true },
  { long: 'type', value: true },
  { long: 'thin', short: 'T', value: false },
  { long: 'thinpool', value: true },
  { long: 'snapshot', short: 's', value: false },
  { long: 'chunksize', short: 'c', value: true },
  { long: 'poolmetadatasize', value: true },
  { long: 'poolmetadataspare', value: true },
  { long: 'zero', short: 'Z', value: true },
  { long: 'wipesignatures', short: 'W', value: true },
  { long: 'addtag', value: true },
  { long: 'activate', short: 'a', value: true },
  { long: 'setactivationskip', short: 'k', value: true },
  { long: 'ignoreactivationskip', short: 'K', value: false },
  { long: 'monitor', value: true },
  { long: 'discards', value: true },
  { long: 'errorwhenfull', value: true },
  { long: 'readahead', short: 'r', value: true },
  { long: 'permission', short: 'p', value: true },
  { long: 'noudevsync', value: false },
];

function usage(msg: string): ToolExit {
  return new ToolExit(EINVALID_CMD_LINE, `  ${msg}\n  Run \`lvcreate --help' for more information.\n`);
}

function sizeArg(p: ParsedArgs, long: string, label: string): number | undefined {
  const v = opt(p, long);
  if (v === undefined) return undefined;
  const s = parseLvmSize(v);
  if (!s || s.sign === '-') throw new ToolExit(EINVALID_CMD_LINE, `  Invalid argument for ${label}: ${v}\n  Error during parsing of command line.\n`);
  return s.bytes;
}

function yn(v: string | undefined, label: string): boolean | undefined {
  if (v === undefined) return undefined;
  if (/^(y|ay|ly|yes)$/i.test(v)) return true;
  if (/^(n|an|ln|no)$/i.test(v)) return false;
  throw new ToolExit(EINVALID_CMD_LINE, `  Invalid argument for ${label}: ${v}\n  Error during parsing of command line.\n`);
}

function ensureFreeName(vg: VgRecord, name: string): void {
  if (vg.lvs[name]) throw new ToolExit(ECMD_FAILED, `  Logical Volume "${name}" already exists in volume group "${vg.name}"\n`);
}

function poolIsFull(nodeDir: string, vg: string, pool: string): boolean {
  const fd = fs.openSync(poolFiles(nodeDir, vg, pool).meta, 'r');
  try {
    const h = readPoolHeader(fd);
    return h.usedChunks >= capacityChunks(h);
  } finally {
    fs.closeSync(fd);
  }
}

export function main(args: string[], ctx: ToolContext): number {
  const p = parseLvmArgs('lvcreate', args, SPECS);
  const type = opt(p, 'type');
  const tags = optAll(p, 'addtag');
  for (const t of tags) {
    if (!/^[A-Za-z0-9_+.\-/=!:&#]+$/.test(t)) throw usage(`Tag "${t}" is invalid.`);
  }
  const activate = yn(opt(p, 'activate'), '--activate');
  const skipOpt = yn(opt(p, 'setactivationskip'), '--setactivationskip');
  const ignoreSkip = has(p, 'ignoreactivationskip');

  return withNodeLock(ctx.nodeDir, () => {
    const state = loadState(ctx.nodeDir);
    const isSnapshot = has(p, 'snapshot') || type === 'snapshot';
    if (isSnapshot) return createSnapshot(ctx, state, p, tags, activate, skipOpt, ignoreSkip);
    const virtual = sizeArg(p, 'virtualsize', '--virtualsize');
    if (virtual !== undefined || type === 'thin') return createThin(ctx, state, p, tags, activate, skipOpt, virtual);
    if (type === 'thin-pool' || has(p, 'thin') || opt(p, 'thinpool') !== undefined) return createPool(ctx, state, p, tags);
    if (type !== undefined && type !== 'linear') throw failed(`Segment type ${type} is not simulated.`);
    throw failed('Only thin pools, thin volumes and thin snapshots are simulated (use --type thin-pool, -V with --thinpool, or -s).');
  });
}

function createPool(ctx: ToolContext, state: LvmState, p: ParsedArgs, tags: string[]): number {
  // Forms: --type thin-pool -L S -n POOL VG | -T VG/POOL -L S | --thinpool POOL -L S VG | -L S -T VG/POOL
  let vgName: string | undefined;
  let poolName = opt(p, 'thinpool') ?? opt(p, 'name');
  const pos = p.positional[0];
  if (pos) {
    const split = splitLvName(pos);
    if (split) {
      vgName = split.vg;
      poolName = poolName ?? split.lv;
    } else vgName = pos;
  }
  if (poolName?.includes('/')) {
    const split = splitLvName(poolName);
    if (split) {
      vgName = vgName ?? split.vg;
      poolName = split.lv;
    }
  }
  if (!vgName) throw usage('Please specify either size or extents.');
  const vg = state.vgs[vgName];
  if (!vg) throw vgNotFound(vgName);
  if (!poolName) {
    let i = 0;
    while (vg.lvs[`lvol${i}`]) i++;
    poolName = `lvol${i}`;
  }
  checkLvName('lvcreate', poolName);
  ensureFreeName(vg, poolName);
  const chunk = sizeArg(p, 'chunksize', '--chunksize') ?? DEFAULT_CHUNK_BYTES;
  if (chunk < 64 * 1024 || chunk > 1024 ** 3 || chunk % (64 * 1024) !== 0) {
    throw failed(`Thin pool chunk size ${displaySize(chunk)} must be a multiple of 64.00 KiB between 64.00 KiB and 1.00 GiB.`, EINVALID_CMD_LINE);
  }
  const free = vg.sizeBytes - vgUsedBytes(vg);
  let size = sizeArg(p, 'size', '--size');
  const extArg = opt(p, 'extents');
  const hasSpare = Object.values(vg.lvs).some((l) => l.kind === 'thin-pool');
  const metaFor = (bytes: number): number => {
    const requested = sizeArg(p, 'poolmetadatasize', '--poolmetadatasize');
    return roundUpTo(requested ?? Math.max(2 * 1024 * 1024, Math.ceil(bytes / chunk) * 64), vg.extentBytes);
  };
  if (size === undefined && extArg !== undefined) {
    const m = /^(\d+)(?:%(FREE|VG))?$/i.exec(extArg);
    if (!m) throw new ToolExit(EINVALID_CMD_LINE, `  Invalid argument for --extents: ${extArg}\n  Error during parsing of command line.\n`);
    if (m[2]) {
      const base = m[2].toUpperCase() === 'FREE' ? free : vg.sizeBytes;
      const wanted = Math.floor((base * Number(m[1])) / 100 / vg.extentBytes) * vg.extentBytes;
      // leave room for the metadata LV (and the spare) as lvm does
      const meta = metaFor(wanted);
      size = Math.max(vg.extentBytes, wanted - meta - (hasSpare ? 0 : meta));
    } else size = Number(m[1]) * vg.extentBytes;
  }
  if (size === undefined) throw usage('Please specify either size or extents.');
  if (size === 0) throw usage('Size must be larger than 0.');
  const rounded = roundUpTo(size, vg.extentBytes);
  if (rounded !== size) ctx.out(`  Rounding up size to full physical extent ${displaySize(rounded)}\n`);
  size = roundUpTo(rounded, chunk);
  const meta = metaFor(size);
  const need = size + meta + (hasSpare ? 0 : meta);
  if (need > free) {
    throw failed(`Volume group "${vg.name}" has insufficient free space (${Math.floor(free / vg.extentBytes)} extents): ${extents(need, vg.extentBytes)} required.`);
  }
  const files = poolFiles(ctx.nodeDir, vg.name, poolName);
  createPoolFiles(files, size, chunk);
  vg.lvs[poolName] = {
    name: poolName,
    uuid: lvmUuid(),
    kind: 'thin-pool',
    sizeBytes: size,
    tags,
    active: true,
    skipActivation: false,
    createdAt: new Date().toISOString(),
    chunkBytes: chunk,
    metadataBytes: meta,
  };
  vg.seqno++;
  saveState(ctx.nodeDir, state);
  ctx.out(`  Logical volume "${poolName}" created.\n`);
  return 0;
}

function createThin(ctx: ToolContext, state: LvmState, p: ParsedArgs, tags: string[], activate: boolean | undefined, skipOpt: boolean | undefined, virtual: number | undefined): number {
  if (virtual === undefined) throw usage('--virtualsize is required for thin volumes.');
  let vgName: string | undefined;
  let poolName = opt(p, 'thinpool');
  if (poolName?.includes('/')) {
    const s = splitLvName(poolName);
    if (s) {
      vgName = s.vg;
      poolName = s.lv;
    }
  }
  const pos = p.positional[0];
  if (pos) {
    const s = splitLvName(pos);
    if (s) {
      vgName = s.vg;
      poolName = poolName ?? s.lv;
    } else vgName = vgName ?? pos;
  }
  if (!vgName || !poolName) throw usage('Please specify a thin pool (--thinpool or VG/POOL with -T).');
  const vg = getVg(state, vgName);
  const pool = vg.lvs[poolName];
  if (!pool) throw lvNotFound(vgName, poolName);
  if (pool.kind !== 'thin-pool') throw failed(`Logical volume ${vgName}/${poolName} is not a thin pool.`);
  let name = opt(p, 'name');
  if (name?.includes('/')) name = splitLvName(name)?.lv ?? name;
  if (!name) {
    let i = 0;
    while (vg.lvs[`lvol${i}`]) i++;
    name = `lvol${i}`;
  }
  checkLvName('lvcreate', name);
  ensureFreeName(vg, name);
  if (virtual === 0) throw usage('Size must be larger than 0.');
  const size = roundUpTo(virtual, vg.extentBytes);
  if (size !== virtual) ctx.out(`  Rounding up size to full physical extent ${displaySize(size)}\n`);
  if (poolIsFull(ctx.nodeDir, vg.name, poolName)) {
    throw failed(`Cannot create new thin volume, free space in thin pool ${vg.name}/${poolName} reached threshold.`);
  }
  const thinId = vg.nextThinId++;
  createThinMap(poolFiles(ctx.nodeDir, vg.name, poolName), thinId, size, pool.chunkBytes!);
  vg.lvs[name] = {
    name,
    uuid: lvmUuid(),
    kind: 'thin',
    sizeBytes: size,
    tags,
    active: activate ?? true,
    skipActivation: skipOpt ?? false,
    createdAt: new Date().toISOString(),
    pool: poolName,
    thinId,
  };
  vg.seqno++;
  saveState(ctx.nodeDir, state);
  warnOverProvisioned(ctx, vg, pool);
  ctx.out(`  Logical volume "${name}" created.\n`);
  return 0;
}

function warnOverProvisioned(ctx: ToolContext, vg: VgRecord, pool: LvRecord): void {
  const sum = Object.values(vg.lvs).filter((l) => l.kind === 'thin' && l.pool === pool.name).reduce((a, l) => a + l.sizeBytes, 0);
  if (sum > pool.sizeBytes) {
    ctx.err(`  WARNING: Sum of all thin volume sizes (${displaySize(sum)}) exceeds the size of thin pool ${vg.name}/${pool.name} (${displaySize(pool.sizeBytes)}).\n`);
  }
}

function createSnapshot(ctx: ToolContext, state: LvmState, p: ParsedArgs, tags: string[], activate: boolean | undefined, skipOpt: boolean | undefined, ignoreSkip: boolean): number {
  const pos = p.positional[0];
  if (!pos) throw usage('Please specify a logical volume to act as the snapshot origin.');
  const s = splitLvName(pos);
  if (!s) throw usage(`Please specify a logical volume to act as the snapshot origin.`);
  const vg = state.vgs[s.vg];
  if (!vg) throw vgNotFound(s.vg);
  const origin = vg.lvs[s.lv];
  if (!origin) throw lvNotFound(s.vg, s.lv);
  if (origin.kind !== 'thin') throw failed(`Snapshots of thin pool data volume are not supported.`);
  if (opt(p, 'size') !== undefined || opt(p, 'extents') !== undefined) {
    throw failed('Old-style (COW) snapshots of thin volumes are not simulated; omit --size for a thin snapshot.');
  }
  let name = opt(p, 'name');
  if (name?.includes('/')) name = splitLvName(name)?.lv ?? name;
  if (!name) {
    let i = 0;
    while (vg.lvs[`lvol${i}`]) i++;
    name = `lvol${i}`;
  }
  checkLvName('lvcreate', name);
  ensureFreeName(vg, name);
  const pool = vg.lvs[origin.pool!]!;
  if (poolIsFull(ctx.nodeDir, vg.name, pool.name)) {
    throw failed(`Cannot create new thin volume, free space in thin pool ${vg.name}/${pool.name} reached threshold.`);
  }
  const thinId = vg.nextThinId++;
  snapshotThin(poolFiles(ctx.nodeDir, vg.name, pool.name), origin.thinId!, thinId);
  // Thin snapshots get the activation skip flag unless -kn; a skipped LV is only activated with -K.
  const skip = skipOpt ?? true;
  const active = activate === false ? false : skip ? ignoreSkip : (activate ?? true);
  vg.lvs[name] = {
    name,
    uuid: lvmUuid(),
    kind: 'thin',
    sizeBytes: origin.sizeBytes,
    tags,
    active,
    skipActivation: skip,
    createdAt: new Date().toISOString(),
    pool: pool.name,
    origin: origin.name,
    thinId,
  };
  vg.seqno++;
  saveState(ctx.nodeDir, state);
  warnOverProvisioned(ctx, vg, pool);
  ctx.out(`  Logical volume "${name}" created.\n`);
  return 0;
}
