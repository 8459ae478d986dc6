// A simulated host tool as its own process: `node dist/sim/main.js <tool> args...` (what sim/bin/<tool>
// runs when no tool server is reachable, and always for the streaming thin_send / thin_recv).
import { runTool } from './dispatch.js';
import { writeAll } from './sync-io.js';

runTool(process.argv.slice(2), { stdout: (b) => writeAll(1, b), stderr: (b) => writeAll(2, b) }).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    writeAll(2, Buffer.from(`sim: ${(e as Error).stack ?? String(e)}\n`));
    process.exitCode = 70;
  },
);
