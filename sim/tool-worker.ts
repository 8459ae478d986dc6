// A worker thread of the tool server (sim/tool-server.ts): runs one simulated tool call at a time
// with the caller's FERRY_* environment and sends back its exit code, stdout and stderr.
import { parentPort } from 'node:worker_threads';
import { runTool } from './dispatch.js';

export interface ToolRequest {
  argv: string[];
  /** The caller's FERRY_* variables: which node, the DRBD config dir, rates. */
  env: Record<string, string>;
}

export interface ToolReply {
  code: number;
  out: Uint8Array;
  err: Uint8Array;
}

const port = parentPort;
if (!port) throw new Error('sim/tool-worker.js runs as a worker thread of the tool server');

port.on('message', (req: ToolRequest) => {
  for (const k of Object.keys(process.env)) if (k.startsWith('FERRY_') && !(k in req.env)) delete process.env[k];
  Object.assign(process.env, req.env);
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  const sink = { stdout: (b: Uint8Array) => out.push(Buffer.from(b)), stderr: (b: Uint8Array) => err.push(Buffer.from(b)) };
  runTool(req.argv, sink).then(
    (code) => code,
    (e: unknown) => {
      err.push(Buffer.from(`sim: ${(e as Error).stack ?? String(e)}\n`));
      return 70;
    },
  ).then((code) => {
    const reply: ToolReply = { code, out: Buffer.concat(out), err: Buffer.concat(err) };
    port.postMessage(reply);
  }, () => undefined);
});
