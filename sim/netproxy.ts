// The network of a simulated node's agent: a TCP proxy per upstream (Temporal frontend, each
// controller) that the agent connects to instead of the real address. While the node's net-cut
// file ($FERRY_SIM_ROOT/<node>/net-cut, the same file that cuts its DRBD links) exists, the proxy
// refuses new connections and destroys the open ones, so the agent can neither poll its task queue
// nor report to the controller; once the file is gone, new connections go through again.
import fs from 'node:fs';
import net from 'node:net';
import { netCutPath } from './drbd/state.js';

export interface ProxyUpstream {
  host: string;
  port: number;
}

export interface NetProxy {
  /** The local address the agent connects to. */
  readonly host: string;
  readonly port: number;
  readonly upstream: ProxyUpstream;
  /** Connections passed through so far, and those refused or cut. */
  readonly stats: { accepted: number; refused: number; cut: number };
  close(): Promise<void>;
}

/** How often the net-cut file is looked at (open connections are cut within this time). */
export const NET_CUT_POLL_MS = 100;

/** `host:port` (Temporal style) or a URL (`http://h:p`), as an upstream. */
export function parseUpstream(addr: string): ProxyUpstream {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(addr)) {
    const u = new URL(addr);
    const port = u.port ? Number(u.port) : u.protocol === 'https:' ? 443 : 80;
    return { host: u.hostname.replace(/^\[|\]$/g, ''), port };
  }
  const m = /^(.*):(\d+)$/.exec(addr);
  if (!m) throw new Error(`not a host:port address: ${addr}`);
  return { host: m[1]!.replace(/^\[|\]$/g, ''), port: Number(m[2]) };
}

/** Starts a proxy on 127.0.0.1 (a free port) to `upstream`, cut while `nodeDir`'s net-cut file exists. */
export async function startNetProxy(nodeDir: string, upstream: ProxyUpstream): Promise<NetProxy> {
  const cutFile = netCutPath(nodeDir);
  const isCut = () => fs.existsSync(cutFile);
  const open = new Set<net.Socket>();
  const stats = { accepted: 0, refused: 0, cut: 0 };
  const server = net.createServer({ pauseOnConnect: true }, (client) => {
    if (isCut()) {
      stats.refused++;
      client.resetAndDestroy();
      return;
    }
    stats.accepted++;
    const up = net.connect({ host: upstream.host, port: upstream.port });
    const pair = [client, up];
    for (const s of pair) {
      open.add(s);
      s.setNoDelay(true);
      s.on('error', () => {
        for (const x of pair) x.destroy();
      });
      s.on('close', () => {
        open.delete(s);
        for (const x of pair) x.destroy();
      });
    }
    client.pipe(up);
    up.pipe(client);
    client.resume();
  });
  const watcher = setInterval(() => {
    if (open.size === 0 || !isCut()) return;
    for (const s of open) {
      stats.cut++;
      s.resetAndDestroy();
    }
    open.clear();
  }, NET_CUT_POLL_MS);
  watcher.unref();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as net.AddressInfo).port;
  return {
    host: '127.0.0.1',
    port,
    upstream,
    stats,
    async close() {
      clearInterval(watcher);
      for (const s of open) s.destroy();
      open.clear();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
