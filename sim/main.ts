// Dispatcher of the simulated host tools: `node dist/sim/main.js <tool> args...` (via sim/bin/<tool>).
// Checks armed faults (sim/faults.ts) first, then runs the tool from the table in sim/tools.ts.
import { takeFault } from './faults.js';
import { simNodeDir } from './paths.js';
import { createContext, ToolExit } from './tool.js';
import { tools } from './tools.js';
import { sleepSync, writeAll } from './sync-io.js';

async function run(argv: string[]): Promise<number> {
  const [tool, ...args] = argv;
  if (!tool) {
    writeAll(2, Buffer.from(`usage: main.js <tool> [args...]; tools: ${Object.keys(tools).sort().join(' ')}\n`));
    return 2;
  }
  const load = tools[tool];
  if (!load) {
    writeAll(2, Buffer.from(`${tool}: command not found (not simulated)\n`));
    return 127;
  }
  let nodeDir: string;
  try {
    nodeDir = simNodeDir();
  } catch (e) {
    writeAll(2, Buffer.from(`${tool}: ${(e as Error).message}\n`));
    return 1;
  }
  const fault = takeFault(nodeDir, tool, args);
  if (fault) {
    if (fault.delayMs && fault.delayMs > 0) sleepSync(fault.delayMs);
    if (fault.hang) {
      // Hang like a stuck host command: until killed.
      for (;;) sleepSync(60000);
    }
    if (fault.exitCode !== undefined && fault.exitCode !== null) {
      if (fault.stdout) writeAll(1, Buffer.from(fault.stdout.endsWith('\n') ? fault.stdout : fault.stdout + '\n'));
      if (fault.stderr) writeAll(2, Buffer.from(fault.stderr.endsWith('\n') ? fault.stderr : fault.stderr + '\n'));
      return fault.exitCode;
    }
  }
  const mod = await load();
  const ctx = createContext(tool, nodeDir);
  try {
    const code = await mod.main(args, ctx);
    ctx.flush();
    return code;
  } catch (e) {
    if (e instanceof ToolExit) {
      if (e.stdout) ctx.out(e.stdout);
      ctx.err(e.stderr.endsWith('\n') || e.stderr === '' ? e.stderr : e.stderr + '\n');
      ctx.flush();
      return e.exitCode;
    }
    ctx.flush();
    writeAll(2, Buffer.from(`${tool}: internal error of the simulation: ${(e as Error).stack ?? String(e)}\n`));
    return 70;
  }
}

run(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    writeAll(2, Buffer.from(`sim: ${(e as Error).stack ?? String(e)}\n`));
    process.exitCode = 70;
  },
);
