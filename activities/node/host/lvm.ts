// LVM-thin operations of the node agent, over the real lvm2 tools (or the simulated ones first on
// PATH). Typed results, idempotent where an activity retry needs it.
import { ConflictError, NotFoundError, ValidationError } from '../../../core/errors.js';
import { HostCommandError, runHostCommand } from './run.js';
import type { HostCommandOptions, HostCommandResult, HostCommandRunner } from './run.js';
import { classifyLvmError, LVS_FIELDS, parseLvsJson, parseVgsJson, VGS_FIELDS } from './parse-lvm.js';
import type { LogicalVolume, VolumeGroup } from './parse-lvm.js';

export type { LogicalVolume, VolumeGroup } from './parse-lvm.js';

export interface LvmOptions extends HostCommandOptions {
  /** Runs the commands (default: runHostCommand). */
  run?: HostCommandRunner;
}

/** lvm2's rule for VG/LV names; also keeps names from being read as options. */
const LVM_NAME = /^[A-Za-z0-9+_.][A-Za-z0-9+_.-]{0,126}$/;

function checkName(field: string, value: string): void {
  if (!LVM_NAME.test(value) || value === '.' || value === '..') {
    throw new ValidationError(field, `"${value}" is not a valid LVM name (letters, digits, + _ . -; not starting with -)`);
  }
}

function checkTag(tag: string): void {
  if (!/^[A-Za-z0-9_+.\-/=!:&#]{1,1024}$/.test(tag)) throw new ValidationError('tag', `"${tag}" is not a valid LVM tag`);
}

function lvm(cmd: string, args: string[], opts: LvmOptions = {}): Promise<HostCommandResult> {
  const { run = runHostCommand, ...rest } = opts;
  // lvm warns on stderr about inherited descriptors; that is noise for us
  return run(cmd, args, { ...rest, env: { LVM_SUPPRESS_FD_WARNINGS: '1', ...(rest.env ?? {}) } });
}

const REPORT_ARGS = ['--reportformat', 'json', '--units', 'b', '--nosuffix'];

export async function listVolumeGroups(opts?: LvmOptions): Promise<VolumeGroup[]> {
  const r = await lvm('vgs', [...REPORT_ARGS, '-o', VGS_FIELDS.join(',')], opts);
  return parseVgsJson(r.stdout);
}

/** Logical volumes (of one VG, or all); internal LVs are not listed. */
export async function listLogicalVolumes(vg?: string, opts?: LvmOptions): Promise<LogicalVolume[]> {
  if (vg !== undefined) checkName('vg', vg);
  const r = await lvm('lvs', [...REPORT_ARGS, '-o', LVS_FIELDS.join(','), ...(vg !== undefined ? [vg] : [])], opts);
  return parseLvsJson(r.stdout).filter((lv) => !lv.hidden);
}

/** One LV, or null if it does not exist. Throws NotFoundError if the VG does not exist. */
export async function getLogicalVolume(vg: string, lv: string, opts?: LvmOptions): Promise<LogicalVolume | null> {
  checkName('vg', vg);
  checkName('lv', lv);
  try {
    const r = await lvm('lvs', [...REPORT_ARGS, '-o', LVS_FIELDS.join(','), `${vg}/${lv}`], opts);
    return parseLvsJson(r.stdout).find((x) => x.name === lv && x.vg === vg) ?? null;
  } catch (e) {
    const f = e instanceof HostCommandError ? classifyLvmError(e.stderrTail) : null;
    if (f?.kind === 'lv-not-found') return null;
    if (f?.kind === 'vg-not-found') throw new NotFoundError('volume group', vg, `volume group '${vg}' not found on this host`);
    throw e;
  }
}

export interface CreateThinPoolRequest {
  vg: string;
  pool: string;
  /** Pool size in bytes; omit to use all free space of the VG. */
  sizeBytes?: number;
  chunkBytes?: number;
}

export async function createThinPool(req: CreateThinPoolRequest, opts?: LvmOptions): Promise<void> {
  checkName('vg', req.vg);
  checkName('pool', req.pool);
  const size = req.sizeBytes !== undefined ? ['-L', `${req.sizeBytes}b`] : ['-l', '100%FREE'];
  const chunk = req.chunkBytes !== undefined ? ['--chunksize', `${req.chunkBytes}b`] : [];
  await lvm('lvcreate', ['--type', 'thin-pool', ...size, ...chunk, '-n', req.pool, req.vg], opts);
}

export interface CreateThinVolumeRequest {
  vg: string;
  pool: string;
  name: string;
  sizeBytes: number;
  tags?: readonly string[];
}

export async function createThinVolume(req: CreateThinVolumeRequest, opts?: LvmOptions): Promise<void> {
  checkName('vg', req.vg);
  checkName('pool', req.pool);
  checkName('lv', req.name);
  if (!Number.isSafeInteger(req.sizeBytes) || req.sizeBytes <= 0) throw new ValidationError('sizeBytes', 'must be a positive integer');
  const tags = (req.tags ?? []).flatMap((t) => (checkTag(t), ['--addtag', t]));
  await lvm('lvcreate', ['--type', 'thin', '--virtualsize', `${req.sizeBytes}b`, '--thinpool', req.pool, '--name', req.name, ...tags, req.vg], opts);
}

/**
 * Creates a thin volume unless one with that name already exists in the same pool with at least
 * that size (an activity retried after the create succeeded). Returns whether it created one.
 */
export async function ensureThinVolume(req: CreateThinVolumeRequest, opts?: LvmOptions): Promise<{ created: boolean; volume: LogicalVolume }> {
  const existing = await getLogicalVolume(req.vg, req.name, opts);
  if (existing) {
    if (existing.kind !== 'thin' || existing.pool !== req.pool || existing.sizeBytes < req.sizeBytes) {
      throw new ConflictError('volume', `${req.vg}/${req.name}`, 'exists', `logical volume ${req.vg}/${req.name} exists but is not a thin volume of ${req.pool} with at least ${req.sizeBytes} bytes (${existing.attr}, ${existing.sizeBytes} bytes, pool ${existing.pool ?? '-'})`);
    }
    return { created: false, volume: existing };
  }
  try {
    await createThinVolume(req, opts);
  } catch (e) {
    // lost a race with ourselves (a retried activity): accept it if the result is what we wanted
    if (!(e instanceof HostCommandError) || classifyLvmError(e.stderrTail)?.kind !== 'lv-exists') throw e;
  }
  const volume = await getLogicalVolume(req.vg, req.name, opts);
  if (!volume) throw new NotFoundError('volume', `${req.vg}/${req.name}`, `logical volume ${req.vg}/${req.name} missing right after lvcreate`);
  return { created: true, volume };
}

export interface CreateThinSnapshotRequest {
  vg: string;
  /** The thin volume to snapshot. */
  origin: string;
  name: string;
  tags?: readonly string[];
  /** Activate the snapshot right away (it keeps the activation skip flag). Default true, as thin_send needs it. */
  activate?: boolean;
}

export async function createThinSnapshot(req: CreateThinSnapshotRequest, opts?: LvmOptions): Promise<void> {
  checkName('vg', req.vg);
  checkName('origin', req.origin);
  checkName('lv', req.name);
  const tags = (req.tags ?? []).flatMap((t) => (checkTag(t), ['--addtag', t]));
  const activate = req.activate ?? true;
  await lvm(
    'lvcreate',
    ['--snapshot', '--setactivationskip', 'y', ...(activate ? ['--ignoreactivationskip', '--activate', 'y'] : ['--activate', 'n']), '--name', req.name, ...tags, `${req.vg}/${req.origin}`],
    opts,
  );
}

/** Creates the snapshot unless a thin snapshot of that name and origin exists. */
export async function ensureThinSnapshot(req: CreateThinSnapshotRequest, opts?: LvmOptions): Promise<{ created: boolean; volume: LogicalVolume }> {
  const existing = await getLogicalVolume(req.vg, req.name, opts);
  if (existing) {
    if (existing.kind !== 'thin' || existing.origin !== req.origin) {
      throw new ConflictError('snapshot', `${req.vg}/${req.name}`, 'exists', `logical volume ${req.vg}/${req.name} exists but is not a thin snapshot of ${req.origin} (origin ${existing.origin ?? '-'})`);
    }
    return { created: false, volume: existing };
  }
  try {
    await createThinSnapshot(req, opts);
  } catch (e) {
    if (!(e instanceof HostCommandError) || classifyLvmError(e.stderrTail)?.kind !== 'lv-exists') throw e;
  }
  const volume = await getLogicalVolume(req.vg, req.name, opts);
  if (!volume) throw new NotFoundError('snapshot', `${req.vg}/${req.name}`, `snapshot ${req.vg}/${req.name} missing right after lvcreate`);
  return { created: true, volume };
}

/** Removes an LV; returns false if it did not exist (idempotent). */
export async function removeLogicalVolume(vg: string, lv: string, opts?: LvmOptions): Promise<boolean> {
  checkName('vg', vg);
  checkName('lv', lv);
  try {
    await lvm('lvremove', ['-f', `${vg}/${lv}`], opts);
    return true;
  } catch (e) {
    const f = e instanceof HostCommandError ? classifyLvmError(e.stderrTail) : null;
    if (f?.kind === 'lv-not-found') return false;
    if (f?.kind === 'in-use') throw new ConflictError('volume', `${vg}/${lv}`, 'in-use', `logical volume ${vg}/${lv} is in use`);
    throw e;
  }
}

/** Grows an LV to `sizeBytes`; a no-op if it is already at least that big. Returns the new size. */
export async function extendLogicalVolume(vg: string, lv: string, sizeBytes: number, opts?: LvmOptions): Promise<number> {
  checkName('vg', vg);
  checkName('lv', lv);
  if (!Number.isSafeInteger(sizeBytes) || sizeBytes <= 0) throw new ValidationError('sizeBytes', 'must be a positive integer');
  const cur = await getLogicalVolume(vg, lv, opts);
  if (!cur) throw new NotFoundError('volume', `${vg}/${lv}`, `logical volume ${vg}/${lv} not found`);
  if (cur.sizeBytes >= sizeBytes) return cur.sizeBytes;
  try {
    await lvm('lvextend', ['-L', `${sizeBytes}b`, `${vg}/${lv}`], opts);
  } catch (e) {
    if (!(e instanceof HostCommandError) || classifyLvmError(e.stderrTail)?.kind !== 'size-unchanged') throw e;
  }
  return (await getLogicalVolume(vg, lv, opts))?.sizeBytes ?? sizeBytes;
}

export interface ActivateOptions extends LvmOptions {
  /** Activate even if the LV has the activation skip flag (thin snapshots): lvchange -K. */
  ignoreActivationSkip?: boolean;
}

export async function activateLogicalVolume(vg: string, lv: string, opts: ActivateOptions = {}): Promise<void> {
  checkName('vg', vg);
  checkName('lv', lv);
  const { ignoreActivationSkip, ...rest } = opts;
  await lvm('lvchange', ['-ay', ...(ignoreActivationSkip ? ['-K'] : []), `${vg}/${lv}`], rest);
}

export async function deactivateLogicalVolume(vg: string, lv: string, opts?: LvmOptions): Promise<void> {
  checkName('vg', vg);
  checkName('lv', lv);
  try {
    await lvm('lvchange', ['-an', `${vg}/${lv}`], opts);
  } catch (e) {
    const f = e instanceof HostCommandError ? classifyLvmError(e.stderrTail) : null;
    if (f?.kind === 'in-use') throw new ConflictError('volume', `${vg}/${lv}`, 'in-use', `logical volume ${vg}/${lv} is in use`);
    throw e;
  }
}

/** Sets or clears the activation skip flag (lvchange -ky / -kn). */
export async function setActivationSkip(vg: string, lv: string, skip: boolean, opts?: LvmOptions): Promise<void> {
  checkName('vg', vg);
  checkName('lv', lv);
  await lvm('lvchange', [skip ? '-ky' : '-kn', `${vg}/${lv}`], opts);
}

export async function addTags(vg: string, lv: string, tags: readonly string[], opts?: LvmOptions): Promise<void> {
  checkName('vg', vg);
  checkName('lv', lv);
  if (tags.length === 0) return;
  await lvm('lvchange', [...tags.flatMap((t) => (checkTag(t), ['--addtag', t])), `${vg}/${lv}`], opts);
}

/** Renames an LV; a no-op if `from` is gone and `to` exists (a retried rename). */
export async function renameLogicalVolume(vg: string, from: string, to: string, opts?: LvmOptions): Promise<void> {
  checkName('vg', vg);
  checkName('lv', from);
  checkName('lv', to);
  try {
    await lvm('lvrename', [vg, from, to], opts);
  } catch (e) {
    const f = e instanceof HostCommandError ? classifyLvmError(e.stderrTail) : null;
    if (f?.kind === 'lv-not-found' && (await getLogicalVolume(vg, to, opts))) return;
    throw e;
  }
}
