// Entry point of `ferry-sim` (bin/ferry-sim.js imports the compiled file).
import { buildProgram } from './program.js';

buildProgram()
  .parseAsync(process.argv)
  .catch((e: unknown) => {
    process.stderr.write(`ferry-sim: ${(e as Error).message}\n`);
    process.exitCode = 1;
  });
