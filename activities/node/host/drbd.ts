// DRBD 9 operations of the node agent, over drbdadm/drbdsetup (the real ones, or the simulated
// ones first on PATH): typed, argument arrays only, idempotent where an activity retry needs it.
//
// Resource files go to the DRBD configuration directory: `$FERRY_DRBD_CONF_DIR`, else
// `/etc/drbd.d` (drbd.conf includes `drbd.d/*.res` on every distribution). The sim launcher points
// the variable at `$NODE_DIR/drbd/etc/drbd.d`, where the simulated drbdadm reads too.
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { renderResourceFile, resourceFileName } from '../../../core/drbd-config.js';
import type { DrbdResourceConfig } from '../../../core/drbd-config.js';
import { ValidationError } from '../../../core/errors.js';
import { HostCommandError, runHostCommand } from './run.js';
import type { HostCommandOptions, HostCommandResult, HostCommandRunner } from './run.js';
import { parseDrbdStatusJson } from './parse-drbd.js';
import type { DrbdResourceStatus } from './parse-drbd.js';

export type { DrbdResourceStatus, DrbdDeviceStatus, DrbdConnectionStatus, DrbdPeerDeviceStatus } from './parse-drbd.js';

export interface DrbdOptions extends HostCommandOptions {
  /** Runs the commands (default: runHostCommand). */
  run?: HostCommandRunner;
}

/** LINSTOR's resource name rule; also keeps names from being read as options. */
const RESOURCE_NAME = /^[A-Za-z_][A-Za-z0-9_-]{0,47}$/;
const HOST_NAME = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,252}$/;

function checkResource(name: string): void {
  if (!RESOURCE_NAME.test(name)) throw new ValidationError('resource', `"${name}" is not a valid DRBD resource name`);
}

function checkVolume(volume: number | undefined): void {
  if (volume !== undefined && (!Number.isInteger(volume) || volume < 0 || volume > 65534)) {
    throw new ValidationError('volume', `${volume} is not a valid DRBD volume number`);
  }
}

/** `RES` or `RES/VOL`. */
function target(resource: string, volume?: number): string {
  checkResource(resource);
  checkVolume(volume);
  return volume === undefined ? resource : `${resource}/${volume}`;
}

function drbd(cmd: 'drbdadm' | 'drbdsetup', args: string[], opts: DrbdOptions = {}): Promise<HostCommandResult> {
  const { run = runHostCommand, ...rest } = opts;
  return run(cmd, args, { timeoutMs: 120_000, ...rest });
}

/** drbdsetup/drbdadm exit codes and wording of "this resource is not up here". */
export function isNotUpError(e: unknown): boolean {
  if (!(e instanceof HostCommandError) || e.exitCode === null || e.exitCode === 0) return false;
  return /No such resource|Unknown resource|not defined in your config|\(158\)/.test(`${e.stderrTail}\n${e.stdoutTail}`);
}

// ---------------------------------------------------------------------------------------------
// resource files

/** The DRBD configuration directory of this host. */
export function drbdConfDir(env: Readonly<Record<string, string | undefined>> = process.env): string {
  return env.FERRY_DRBD_CONF_DIR || '/etc/drbd.d';
}

/**
 * Writes `<name>.res` atomically (temp file + rename), only when its text changed. Returns whether
 * it changed (then `adjust` applies it).
 */
export async function writeResourceFile(cfg: DrbdResourceConfig, opts: { dir?: string } = {}): Promise<boolean> {
  const dir = opts.dir ?? drbdConfDir();
  const file = join(dir, resourceFileName(cfg.name));
  const text = renderResourceFile(cfg);
  const current = await readFile(file, 'utf8').catch(() => null);
  if (current === text) return false;
  await mkdir(dir, { recursive: true });
  const tmp = `${file}.tmp-${process.pid}`;
  await writeFile(tmp, text);
  await rename(tmp, file);
  return true;
}

/** The resources that have a `<name>.res` here (no directory: none). */
export async function listResourceFiles(opts: { dir?: string } = {}): Promise<string[]> {
  const files = await readdir(opts.dir ?? drbdConfDir()).catch(() => [] as string[]);
  return files.filter((f) => f.endsWith('.res')).map((f) => f.slice(0, -'.res'.length)).sort();
}

/** Removes `<name>.res` (absent = done). */
export async function removeResourceFile(name: string, opts: { dir?: string } = {}): Promise<void> {
  await rm(join(opts.dir ?? drbdConfDir(), resourceFileName(name)), { force: true });
}

// ---------------------------------------------------------------------------------------------
// commands

export interface CreateMetadataOptions extends DrbdOptions {
  volume?: number;
  /** Peer slots in the bitmap area (LINSTOR: 7 by default, up to 31). */
  maxPeers?: number;
  /**
   * Overwrite existing meta data. Without it, valid meta data already in place counts as success
   * (an activity retried after create-md succeeded converges).
   */
  force?: boolean;
}

/** `drbdadm --max-peers N -- [--force] create-md RES[/VOL]`. Returns false when meta data existed already. */
export async function createMetadata(resource: string, opts: CreateMetadataOptions = {}): Promise<boolean> {
  const maxPeers = opts.maxPeers ?? 7;
  if (!Number.isInteger(maxPeers) || maxPeers < 1 || maxPeers > 31) throw new ValidationError('maxPeers', `${maxPeers} is not between 1 and 31`);
  const args = ['--max-peers', String(maxPeers), '--', ...(opts.force ? ['--force'] : []), 'create-md', target(resource, opts.volume)];
  try {
    // without --force, drbdmeta asks before overwriting; answer no
    await drbd('drbdadm', args, { ...opts, input: opts.force ? undefined : 'no\n' });
    return true;
  } catch (e) {
    if (!opts.force && e instanceof HostCommandError && /Found v\d+ meta data|is configured!/i.test(`${e.stderrTail}\n${e.stdoutTail}`)) return false;
    throw e;
  }
}

/** `drbdadm up RES`. */
export async function up(resource: string, opts?: DrbdOptions): Promise<void> {
  await drbd('drbdadm', ['up', target(resource)], opts);
}

/** `drbdadm down RES`; a resource that is not up (or no longer configured) is success. */
export async function down(resource: string, opts?: DrbdOptions): Promise<void> {
  try {
    await drbd('drbdadm', ['down', target(resource)], opts);
  } catch (e) {
    if (isNotUpError(e)) return;
    throw e;
  }
}

export interface AdjustOptions extends DrbdOptions {
  /** After a split brain: this node's data is thrown away and resynced from a peer. */
  discardMyData?: boolean;
  skipNet?: boolean;
  skipDisk?: boolean;
}

/** `drbdadm adjust RES`: brings the running resource in line with its .res (up when down). */
export async function adjust(resource: string, opts: AdjustOptions = {}): Promise<void> {
  const args = ['adjust'];
  if (opts.discardMyData) args.push('--discard-my-data');
  if (opts.skipNet) args.push('--skip-net');
  if (opts.skipDisk) args.push('--skip-disk');
  args.push(target(resource));
  await drbd('drbdadm', args, opts);
}

/** `drbdadm primary [--force] RES`. */
export async function primary(resource: string, opts: DrbdOptions & { force?: boolean } = {}): Promise<void> {
  await drbd('drbdadm', ['primary', ...(opts.force ? ['--force'] : []), target(resource)], opts);
}

/** `drbdadm secondary RES`. */
export async function secondary(resource: string, opts?: DrbdOptions): Promise<void> {
  await drbd('drbdadm', ['secondary', target(resource)], opts);
}

function connectionTarget(resource: string, peer?: string): string {
  checkResource(resource);
  if (peer === undefined) return resource;
  if (!HOST_NAME.test(peer)) throw new ValidationError('peer', `"${peer}" is not a valid host name`);
  return `${resource}:${peer}`;
}

/** `drbdadm connect [--discard-my-data] RES[:PEER]`. */
export async function connect(resource: string, opts: DrbdOptions & { peer?: string; discardMyData?: boolean } = {}): Promise<void> {
  await drbd('drbdadm', ['connect', ...(opts.discardMyData ? ['--discard-my-data'] : []), connectionTarget(resource, opts.peer)], opts);
}

/** `drbdadm disconnect RES[:PEER]`. */
export async function disconnect(resource: string, opts: DrbdOptions & { peer?: string } = {}): Promise<void> {
  await drbd('drbdadm', ['disconnect', connectionTarget(resource, opts.peer)], opts);
}

/** `drbdadm invalidate RES[/VOL]`: discard the local data and fully resync it from a peer. */
export async function invalidate(resource: string, opts: DrbdOptions & { volume?: number } = {}): Promise<void> {
  await drbd('drbdadm', ['invalidate', target(resource, opts.volume)], opts);
}

/**
 * `drbdadm new-current-uuid --clear-bitmap RES[/VOL]`: declares the (all-zero) content of freshly
 * created thin volumes identical on every connected peer, skipping the initial full sync — as
 * LINSTOR does for new thin resources.
 */
export async function skipInitialSync(resource: string, opts: DrbdOptions & { volume?: number } = {}): Promise<void> {
  await drbd('drbdadm', ['new-current-uuid', '--clear-bitmap', target(resource, opts.volume)], opts);
}

/** `drbdadm resize RES[/VOL]` after the backing LVs grew on every diskful node. */
export async function resize(resource: string, opts: DrbdOptions & { volume?: number } = {}): Promise<void> {
  await drbd('drbdadm', ['resize', target(resource, opts.volume)], opts);
}

/** `drbdsetup status RES --json --verbose --statistics`; null when the resource is not up here. */
export async function status(resource: string, opts?: DrbdOptions): Promise<DrbdResourceStatus | null> {
  try {
    const r = await drbd('drbdsetup', ['status', target(resource), '--json', '--verbose', '--statistics'], opts);
    return parseDrbdStatusJson(r.stdout).find((s) => s.name === resource) ?? null;
  } catch (e) {
    if (isNotUpError(e)) return null;
    throw e;
  }
}

/** Every resource that is up on this host. */
export async function statusAll(opts?: DrbdOptions): Promise<DrbdResourceStatus[]> {
  const r = await drbd('drbdsetup', ['status', '--json', '--verbose', '--statistics'], opts);
  return parseDrbdStatusJson(r.stdout);
}

/**
 * `drbdadm suspend-io RES`: new I/O to the resource's devices blocks until `resume-io` (LINSTOR
 * does this around taking the snapshots of a resource so every replica's snapshot holds the same
 * writes).
 */
export async function suspendIo(resource: string, opts?: DrbdOptions): Promise<void> {
  await drbd('drbdadm', ['suspend-io', target(resource)], opts);
}

/** `drbdadm resume-io RES`: lets the I/O blocked by suspend-io go on. */
export async function resumeIo(resource: string, opts?: DrbdOptions): Promise<void> {
  await drbd('drbdadm', ['resume-io', target(resource)], opts);
}

/** drbdadm/drbdsetup did not know the command (an old drbd-utils, or a host tool without it). */
export function isUnknownCommandError(e: unknown): boolean {
  return e instanceof HostCommandError && e.exitCode === 20 && /Unknown command/i.test(`${e.stderrTail}\n${e.stdoutTail}`);
}
