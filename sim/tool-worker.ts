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
  /** stdout, or with `plan` the client's copy plan (see renderPlan) */
  out: Uint8Array;
  err: Uint8Array;
  plan?: boolean;
}

type Segment = { bytes: Buffer } | { file: string; position: number; length: number };

/**
 * The copy plan for sim/bin/.tool-client, a line per segment: `H <\xHH...>` bytes for printf, or
 * `D <length> <position> <file>` for dd.
 */
export function renderPlan(segments: Segment[]): string {
  const lines: string[] = [];
  for (const seg of segments) {
    if ('bytes' in seg) {
      for (let i = 0; i < seg.bytes.length; i += 1024) {
        lines.push(`H ${[...seg.bytes.subarray(i, i + 1024)].map((b) => `\\x${b.toString(16).padStart(2, '0')}`).join('')}`);
      }
    } else {
      if (/[\n\r]/.test(seg.file)) throw new Error(`file name with a line break: ${JSON.stringify(seg.file)}`);
      lines.push(`D ${seg.length} ${seg.position} ${seg.file}`);
    }
  }
  return lines.join('\n') + '\n';
}

const port = parentPort;
if (!port) throw new Error('sim/tool-worker.js runs as a worker thread of the tool server');

port.on('message', (req: ToolRequest) => {
  for (const k of Object.keys(process.env)) if (k.startsWith('FERRY_') && !(k in req.env)) delete process.env[k];
  Object.assign(process.env, req.env);
  const out: Segment[] = [];
  const err: Buffer[] = [];
  const sink = {
    stdout: (b: Uint8Array) => void out.push({ bytes: Buffer.from(b) }),
    stderr: (b: Uint8Array) => void err.push(Buffer.from(b)),
    stdoutFile: (file: string, position: number, length: number) => void out.push({ file, position, length }),
  };
  runTool(req.argv, sink).then(
    (code) => code,
    (e: unknown) => {
      err.push(Buffer.from(`sim: ${(e as Error).stack ?? String(e)}\n`));
      return 70;
    },
  ).then((code) => {
    const plan = out.some((x) => !('bytes' in x));
    const reply: ToolReply = plan
      ? { code, out: Buffer.from(renderPlan(out)), err: Buffer.concat(err), plan: true }
      : { code, out: Buffer.concat(out.map((x) => ('bytes' in x ? x.bytes : Buffer.alloc(0)))), err: Buffer.concat(err) };
    port.postMessage(reply);
  }, () => undefined);
});
