// Runs a simulated host tool as a process on a node, as an operator or agent would.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const MAIN = fileURLToPath(new URL('../main.js', import.meta.url));

export interface ToolResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

export function runSimTool(root: string, node: string, tool: string, args: string[]): ToolResult {
  const r = spawnSync(process.execPath, [MAIN, tool, ...args], {
    env: { ...process.env, FERRY_SIM_ROOT: root, FERRY_SIM_NODE: node },
    encoding: 'utf8',
  });
  return { exitCode: r.status ?? 1, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
}
