// Runs one simulated tool call: armed faults first (sim/faults.ts), then the tool from the table in
// sim/tools.ts. Shared by the per-call process (sim/main.ts) and the tool server (sim/tool-server.ts),
// so a tool behaves the same whichever way it was reached.
import { takeFault } from './faults.js';
import { simNodeDir } from './paths.js';
import { createContext, ToolExit, type OutputSink } from './tool.js';
import { tools } from './tools.js';
import { armCrash, crashAtWriteFromEnv, sleepSync } from './sync-io.js';

/** Runs `tool args...`; writes its stdout/stderr to `sink`; resolves with its exit code. */
export async function runTool(argv: string[], sink: OutputSink): Promise<number> {
  const [tool, ...args] = argv;
  const say = (text: string) => sink.stderr(Buffer.from(text));
  if (!tool) {
    say(`usage: main.js <tool> [args...]; tools: ${Object.keys(tools).sort().join(' ')}\n`);
    return 2;
  }
  const load = tools[tool];
  if (!load) {
    say(`${tool}: command not found (not simulated)\n`);
    return 127;
  }
  let nodeDir: string;
  try {
    nodeDir = simNodeDir();
  } catch (e) {
    say(`${tool}: ${(e as Error).message}\n`);
    return 1;
  }
  armCrash(null); // taking the fault is not the tool's own write
  const fault = takeFault(nodeDir, tool, args);
  if (fault) {
    if (fault.delayMs && fault.delayMs > 0) sleepSync(fault.delayMs);
    if (fault.hang) {
      // Hang like a stuck host command: until killed.
      for (;;) sleepSync(60000);
    }
    if (fault.exitCode !== undefined && fault.exitCode !== null) {
      if (fault.stdout) sink.stdout(Buffer.from(fault.stdout.endsWith('\n') ? fault.stdout : fault.stdout + '\n'));
      if (fault.stderr) say(fault.stderr.endsWith('\n') ? fault.stderr : fault.stderr + '\n');
      return fault.exitCode;
    }
  }
  const mod = await load();
  const ctx = createContext(tool, nodeDir, sink);
  armCrash(fault?.crashAtWrite ?? crashAtWriteFromEnv());
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
    say(`${tool}: internal error of the simulation: ${(e as Error).stack ?? String(e)}\n`);
    return 70;
  } finally {
    armCrash(null); // a tool server's worker runs the next call unarmed
  }
}
