// The simulated host's tool server. Starting a Node process for every `lvs` or `drbdadm` call costs
// ~80 ms of CPU before the tool does anything, which made the simulation, not ferry, the bottleneck
// of every benchmark. The agent launcher (sim/launcher.ts) runs one server per simulated node next to
// the agent; sim/bin/<tool> (a bash script) sends its call over TCP and prints the answer, and runs
// the tool as its own process when no server is set or reachable. The tools themselves are the same
// code either way (sim/dispatch.ts). thin_send and thin_recv stream bulk data through stdin/stdout
// and always run as their own process.
//
// Wire format, client to server: NUL-terminated fields: tool, argc, argc arguments, then KEY=VALUE
// for each FERRY_* variable of the caller, then an empty field. Server to client: a line
// "CODE ERR_BYTES OUT_BYTES PLAN\n", the stderr bytes, the stdout bytes, then the server closes.
// With PLAN=1 (a tool that copies file ranges to stdout: thin_send) the stdout bytes are a copy
// plan (tool-worker.ts renderPlan) that the client carries out with printf and dd, so the bulk
// data goes from the pool file to the caller's stdout without passing through Node.
//
// A call runs in a worker thread (a pool, grown on demand), so a slow or hanging call (a `hang`
// fault) holds up only itself. When the caller goes away before the answer (killed on a timeout,
// as a real hung command would be), its worker is terminated and the node locks it held are freed.
import net from 'node:net';
import { Worker } from 'node:worker_threads';
import { releaseLocksOfThread } from './lock.js';
import type { ToolReply, ToolRequest } from './tool-worker.js';

export interface ToolServer {
  /** host:port, the value of FERRY_SIM_TOOL_SERVER for the agent. */
  address: string;
  /** Calls served so far (for tests and the bench). */
  served(): number;
  close(): Promise<void>;
}

const MAX_WORKERS = 32;

/** Parses a request from the bytes received so far; null while incomplete. */
export function parseRequest(buf: Buffer): ToolRequest | null {
  const fields: string[] = [];
  let start = 0;
  const next = (): string | null => {
    const end = buf.indexOf(0, start);
    if (end < 0) return null;
    const f = buf.subarray(start, end).toString('utf8');
    start = end + 1;
    fields.push(f);
    return f;
  };
  const tool = next();
  const argcText = tool === null ? null : next();
  if (tool === null || argcText === null) return null;
  const argc = Number(argcText);
  if (!Number.isInteger(argc) || argc < 0) throw new Error(`bad argument count ${JSON.stringify(argcText)}`);
  const args: string[] = [];
  for (let i = 0; i < argc; i++) {
    const a = next();
    if (a === null) return null;
    args.push(a);
  }
  const env: Record<string, string> = {};
  for (;;) {
    const kv = next();
    if (kv === null) return null;
    if (kv === '') break;
    const eq = kv.indexOf('=');
    if (eq <= 0 || !kv.startsWith('FERRY_')) throw new Error(`bad environment entry ${JSON.stringify(kv.slice(0, 40))}`);
    env[kv.slice(0, eq)] = kv.slice(eq + 1);
  }
  return { argv: [tool, ...args], env };
}

export async function startToolServer(opts: { simRoot: string }): Promise<ToolServer> {
  const workerUrl = new URL('./tool-worker.js', import.meta.url);
  const idle: Worker[] = [];
  const all = new Set<Worker>();
  const waiting: ((w: Worker) => void)[] = [];
  let served = 0;
  let closed = false;

  const threadIds = new WeakMap<Worker, number>(); // worker.threadId reads -1 once it has exited
  const spawnWorker = (): Worker => {
    const w = new Worker(workerUrl);
    threadIds.set(w, w.threadId);
    all.add(w);
    w.once('exit', () => all.delete(w));
    return w;
  };
  const acquire = (): Promise<Worker> => {
    const w = idle.pop();
    if (w) return Promise.resolve(w);
    if (all.size < MAX_WORKERS) return Promise.resolve(spawnWorker());
    return new Promise((resolve) => waiting.push(resolve));
  };
  const release = (w: Worker): void => {
    const next = waiting.shift();
    if (next) next(w);
    else idle.push(w);
  };
  const discard = (w: Worker): void => {
    const tid = threadIds.get(w)!;
    all.delete(w);
    void w.terminate().then(() => releaseLocksOfThread(opts.simRoot, tid));
    const next = waiting.shift();
    if (next) next(spawnWorker());
  };
  for (let i = 0; i < 2; i++) idle.push(spawnWorker());

  const answer = (conn: net.Socket, r: ToolReply): void => {
    conn.end(Buffer.concat([Buffer.from(`${r.code} ${r.err.length} ${r.out.length} ${r.plan ? 1 : 0}\n`), Buffer.from(r.err), Buffer.from(r.out)]));
  };

  const conns = new Set<net.Socket>();
  const server = net.createServer((conn) => {
    conns.add(conn);
    conn.once('close', () => conns.delete(conn));
    let buf = Buffer.alloc(0);
    let started = false;
    conn.on('error', () => undefined);
    conn.on('data', (chunk: Buffer) => {
      if (started) return; // no stdin for tools reached through the server
      buf = Buffer.concat([buf, chunk]);
      let req: ToolRequest | null;
      try {
        req = parseRequest(buf);
      } catch (e) {
        started = true;
        answer(conn, { code: 70, out: new Uint8Array(), err: Buffer.from(`sim tool server: ${(e as Error).message}\n`) });
        return;
      }
      if (!req) return;
      started = true;
      const request = req;
      void acquire().then((w) => {
        if (conn.destroyed || closed) {
          release(w);
          return;
        }
        let done = false;
        const onGone = () => {
          if (!done) {
            done = true;
            cleanup();
            discard(w); // the caller was killed mid-call: stop the call, as a killed process stops
          }
        };
        const onReply = (r: ToolReply) => {
          if (done) return;
          done = true;
          served += 1;
          cleanup();
          release(w);
          answer(conn, r);
        };
        const onError = (e: Error) => {
          if (done) return;
          done = true;
          cleanup();
          all.delete(w);
          answer(conn, { code: 70, out: new Uint8Array(), err: Buffer.from(`sim tool server: worker failed: ${e.message}\n`) });
        };
        // the call died in its thread (a --crash-at-write fault): answer as a killed process (137)
        const onExit = () => {
          if (done) return;
          done = true;
          cleanup();
          releaseLocksOfThread(opts.simRoot, threadIds.get(w)!);
          discard(w);
          answer(conn, { code: 137, out: new Uint8Array(), err: new Uint8Array() });
        };
        const cleanup = () => {
          conn.off('close', onGone);
          w.off('message', onReply);
          w.off('error', onError);
          w.off('exit', onExit);
        };
        conn.once('close', onGone);
        w.on('message', onReply);
        w.once('error', onError);
        w.once('exit', onExit);
        w.postMessage(request);
      });
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as net.AddressInfo).port;
  return {
    address: `127.0.0.1:${port}`,
    served: () => served,
    async close() {
      closed = true;
      const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const c of conns) c.destroy();
      await stopped;
      await Promise.all([...all].map((w) => w.terminate()));
    },
  };
}
