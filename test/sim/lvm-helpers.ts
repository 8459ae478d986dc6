// Helpers of the simulated-LVM tests: run the simulated tools (through a tool server, as agents do,
// or as their own processes) and ferry-sim from dist/.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { loadState, mapPath, PoolMeta, poolFiles, readMap } from '../../sim/lvm/store.js';

export const REPO = process.cwd();
export const SIM_BIN = path.join(REPO, 'sim', 'bin');
const MAIN = path.join(REPO, 'dist', 'sim', 'main.js');
const FERRY_SIM = path.join(REPO, 'bin', 'ferry-sim.js');

export function requireBuild(): void {
  if (!fs.existsSync(MAIN)) throw new Error('dist/sim/main.js missing: run `npx tsc -p tsconfig.json` before the sim tests');
}

export interface Run {
  exitCode: number;
  stdout: string;
  stderr: string;
}

/**
 * How the tools are reached: 'server' = sim/bin/<tool> talks to a `ferry-sim tool-server` of this
 * cluster (what every simulated agent does), 'process' = each call its own Node process (the
 * fallback, and thin_send/thin_recv always).
 */
export type ToolMode = 'server' | 'process';

export class SimCluster {
  readonly root: string;
  readonly mode: ToolMode;
  private server: ChildProcess | null = null;
  private serverAddress: string | null = null;
  private serverReady: Promise<void> | null = null;

  constructor(opts: { tools?: ToolMode } = {}) {
    requireBuild();
    this.root = fs.mkdtempSync(path.join(os.tmpdir(), 'ferry-sim-lvm-'));
    this.mode = opts.tools ?? 'server';
  }

  /** Starts the cluster's tool server (once); resolves when it listens. */
  ready(): Promise<void> {
    if (this.mode === 'process') return Promise.resolve();
    this.serverReady ??= new Promise<void>((resolve, reject) => {
      const child = spawn(process.execPath, [FERRY_SIM, '--root', this.root, 'tool-server'], { stdio: ['ignore', 'pipe', 'inherit'] });
      this.server = child;
      child.unref();
      let text = '';
      child.stdout!.on('data', (b: Buffer) => {
        text += b.toString();
        const line = text.split('\n')[0];
        if (text.includes('\n') && line) {
          this.serverAddress = line.trim();
          (child.stdout as unknown as { unref?: () => void }).unref?.();
          resolve();
        }
      });
      child.once('exit', (code) => reject(new Error(`ferry-sim tool-server exited with ${code}`)));
    });
    return this.serverReady;
  }

  /** The address of the tool server (null in process mode or before ready()). */
  get toolServer(): string | null {
    return this.serverAddress;
  }

  env(node: string): Record<string, string> {
    return {
      PATH: `${SIM_BIN}:${process.env.PATH ?? ''}`,
      FERRY_SIM_ROOT: this.root,
      FERRY_SIM_NODE: node,
      ...(this.serverAddress ? { FERRY_SIM_TOOL_SERVER: this.serverAddress } : {}),
    };
  }

  /** Runs a host tool by name through PATH, as the agent does. */
  async tool(node: string, tool: string, args: string[], input?: Buffer | string): Promise<Run> {
    await this.ready();
    const r = await execa(tool, args, { env: this.env(node), reject: false, input, stripFinalNewline: false });
    return { exitCode: r.exitCode ?? -1, stdout: String(r.stdout), stderr: String(r.stderr) };
  }

  /**
   * Runs a host tool as its own process killed (SIGKILL) just before its crashAt-th write of host
   * state (sim/sync-io.ts); `killed` says whether it got that far.
   */
  async toolCrashing(node: string, tool: string, args: string[], crashAt: number): Promise<Run & { killed: boolean }> {
    const r = await execa(tool, args, { env: { ...this.env(node), FERRY_SIM_TOOLS: 'process', FERRY_SIM_CRASH_AT_WRITE: String(crashAt) }, reject: false });
    return { exitCode: r.exitCode ?? -1, stdout: String(r.stdout), stderr: String(r.stderr), killed: r.signal === 'SIGKILL' };
  }

  /** `ferry-sim ARGS` killed the same way. */
  async simCrashing(args: string[], crashAt: number): Promise<Run & { killed: boolean }> {
    const r = await execa(process.execPath, [FERRY_SIM, '--root', this.root, ...args], { env: { FERRY_SIM_CRASH_AT_WRITE: String(crashAt) }, reject: false });
    return { exitCode: r.exitCode ?? -1, stdout: String(r.stdout), stderr: String(r.stderr), killed: r.signal === 'SIGKILL' };
  }

  /**
   * Pool chunks of a node's thin pool that its LVs map more often than the chunk's refcount says
   * (mapped while free, or shared without a reference): a pool in good order has none.
   */
  overMappedChunks(node: string, vgName = 'vg', pool = 'thinpool'): { id: number; refs: number; refcount: number }[] {
    const nodeDir = path.join(this.root, node);
    const vg = loadState(nodeDir).vgs[vgName]!;
    const files = poolFiles(nodeDir, vgName, pool);
    const meta = PoolMeta.read(files.meta);
    const refs = new Map<number, number>();
    for (const lv of Object.values(vg.lvs)) {
      if (lv.kind !== 'thin' || lv.pool !== pool || lv.thinId === undefined) continue;
      if (!fs.existsSync(mapPath(files, lv.thinId))) continue; // half removed: it maps nothing
      for (const id of readMap(mapPath(files, lv.thinId))) if (id !== 0) refs.set(id, (refs.get(id) ?? 0) + 1);
    }
    return [...refs].filter(([id, n]) => n > meta.refcounts[id]!).map(([id, n]) => ({ id, refs: n, refcount: meta.refcounts[id]! }));
  }

  async sim(args: string[]): Promise<Run> {
    const r = await execa(process.execPath, [FERRY_SIM, '--root', this.root, ...args], { reject: false, stripFinalNewline: false });
    return { exitCode: r.exitCode ?? -1, stdout: String(r.stdout), stderr: String(r.stderr) };
  }

  async initHost(node: string, extra: string[] = []): Promise<void> {
    await this.ready();
    const r = await this.sim(['host', 'init', node, ...extra]);
    if (r.exitCode !== 0) throw new Error(`host init failed: ${r.stderr}`);
  }

  /** Makes the process's own host adapters (activities/node/host) use this cluster's node. */
  useForAdapters(node: string): void {
    Object.assign(process.env, this.env(node));
  }

  cleanup(): void {
    this.server?.kill('SIGKILL');
    fs.rmSync(this.root, { recursive: true, force: true });
  }
}

export function expectOk(r: Run): Run {
  if (r.exitCode !== 0) throw new Error(`exit ${r.exitCode}: ${r.stderr}`);
  return r;
}
