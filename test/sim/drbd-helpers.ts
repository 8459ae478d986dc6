// Helpers of the simulated-DRBD tests: a cluster of simulated nodes (sim/bin tools run as processes
// from dist/), resource files rendered by ferry's own renderer, and status read with ferry's parser.
import fs from 'node:fs';
import path from 'node:path';
import { renderResourceFile } from '../../core/drbd-config.js';
import type { DrbdResourceConfig, DrbdResourceOptions } from '../../core/drbd-config.js';
import { parseDrbdStatusJson } from '../../activities/node/host/parse-drbd.js';
import type { DrbdResourceStatus } from '../../activities/node/host/parse-drbd.js';
import { SimCluster, expectOk } from './lvm-helpers.js';
import type { Run } from './lvm-helpers.js';

export { SimCluster, expectOk };
export type { Run };

export const MiB = 1024 * 1024;

export interface ResourceLayout {
  name: string;
  port: number;
  sizeMiB: number;
  /** node -> diskful? */
  nodes: [string, boolean][];
  options?: DrbdResourceOptions;
  minor?: number;
}

export function lvName(res: string): string {
  return `${res}_00000`;
}

export function configOf(l: ResourceLayout): DrbdResourceConfig {
  return {
    name: l.name,
    port: l.port,
    nodes: l.nodes.map(([n, diskful], i) => ({
      name: n,
      nodeId: i,
      address: `10.0.0.${i + 1}`,
      volumes: [{ volume: 0, minor: l.minor ?? 1000, disk: diskful ? `/dev/vg/${lvName(l.name)}` : null }],
    })),
    options: l.options,
  };
}

/** Writes the resource file (rendered by core/drbd-config.ts) into every node's drbd.d. */
export function writeResFile(c: SimCluster, l: ResourceLayout, nodes = l.nodes.map(([n]) => n)): void {
  const text = renderResourceFile(configOf(l));
  for (const n of nodes) {
    const dir = path.join(c.root, n, 'drbd', 'etc', 'drbd.d');
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, `${l.name}.res`), text);
  }
}

export async function drbdadm(c: SimCluster, node: string, ...args: string[]): Promise<Run> {
  return c.tool(node, 'drbdadm', args);
}

export async function status(c: SimCluster, node: string, res: string): Promise<DrbdResourceStatus> {
  const r = expectOk(await c.tool(node, 'drbdsetup', ['status', res, '--json', '--verbose', '--statistics']));
  const [s] = parseDrbdStatusJson(r.stdout);
  if (!s) throw new Error(`no status for ${res} on ${node}`);
  return s;
}

/** Creates backing LVs, writes the .res, create-md + up everywhere, skips the initial sync. */
export async function createResource(c: SimCluster, l: ResourceLayout, opts: { skipInitialSync?: boolean } = {}): Promise<void> {
  writeResFile(c, l);
  for (const [n, diskful] of l.nodes) {
    if (!diskful) continue;
    expectOk(await c.tool(n, 'lvcreate', ['-V', `${l.sizeMiB}M`, '-T', 'vg/thinpool', '-n', lvName(l.name)]));
    expectOk(await drbdadm(c, n, '--max-peers', '7', '--', '--force', 'create-md', `${l.name}/0`));
  }
  for (const [n] of l.nodes) expectOk(await drbdadm(c, n, 'up', l.name));
  if (opts.skipInitialSync ?? true) {
    const first = l.nodes.find(([, d]) => d)![0];
    expectOk(await drbdadm(c, first, 'new-current-uuid', '--clear-bitmap', `${l.name}/0`));
  }
}

export async function io(c: SimCluster, verb: 'write' | 'verify' | 'read', node: string, target: string[], offset: number, length: number, pattern?: string): Promise<Run> {
  const args = ['io', verb, '--node', node, ...target, '--offset', String(offset), '--length', String(length)];
  if (pattern) args.push('--pattern', pattern);
  return c.sim(args);
}

export const viaDrbd = (res: string): string[] => ['--resource', res];
export const viaLv = (res: string): string[] => ['--vg', 'vg', '--lv', lvName(res)];

/** sha256 of a whole backing LV on a node. */
export async function lvSha(c: SimCluster, node: string, res: string): Promise<string> {
  return expectOk(await c.sim(['io', 'read', '--node', node, ...viaLv(res), '--sha256'])).stdout.trim();
}

/** Polls node's status until every diskful peer device is Established and UpToDate. */
export async function waitSynced(c: SimCluster, node: string, res: string, timeoutMs = 60000): Promise<DrbdResourceStatus> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const s = await status(c, node, res);
    const ok =
      s.devices.every((d) => d.diskState === 'UpToDate' || d.diskState === 'Diskless') &&
      s.connections.every((cn) => cn.connectionState === 'Connected' && cn.peerDevices.every((p) => p.replicationState === 'Established' && (p.peerDiskState === 'UpToDate' || p.peerDiskState === 'Diskless')));
    if (ok) return s;
    if (Date.now() > deadline) throw new Error(`${res} on ${node} not in sync after ${timeoutMs} ms: ${JSON.stringify(s)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
