// Helpers of the simulated-LVM tests: run the simulated tools and ferry-sim as processes from dist/.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';

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

export class SimCluster {
  readonly root: string;

  constructor() {
    requireBuild();
    this.root = fs.mkdtempSync(path.join(os.tmpdir(), 'ferry-sim-lvm-'));
  }

  env(node: string): Record<string, string> {
    return { PATH: `${SIM_BIN}:${process.env.PATH ?? ''}`, FERRY_SIM_ROOT: this.root, FERRY_SIM_NODE: node };
  }

  /** Runs a host tool by name through PATH, as the agent does. */
  async tool(node: string, tool: string, args: string[], input?: Buffer | string): Promise<Run> {
    const r = await execa(tool, args, { env: this.env(node), reject: false, input, stripFinalNewline: false });
    return { exitCode: r.exitCode ?? -1, stdout: String(r.stdout), stderr: String(r.stderr) };
  }

  async sim(args: string[]): Promise<Run> {
    const r = await execa(process.execPath, [FERRY_SIM, '--root', this.root, ...args], { reject: false, stripFinalNewline: false });
    return { exitCode: r.exitCode ?? -1, stdout: String(r.stdout), stderr: String(r.stderr) };
  }

  async initHost(node: string, extra: string[] = []): Promise<void> {
    const r = await this.sim(['host', 'init', node, ...extra]);
    if (r.exitCode !== 0) throw new Error(`host init failed: ${r.stderr}`);
  }

  /** Makes the process's own host adapters (activities/node/host) use this cluster's node. */
  useForAdapters(node: string): void {
    Object.assign(process.env, this.env(node));
  }

  cleanup(): void {
    fs.rmSync(this.root, { recursive: true, force: true });
  }
}

export function expectOk(r: Run): Run {
  if (r.exitCode !== 0) throw new Error(`exit ${r.exitCode}: ${r.stderr}`);
  return r;
}
