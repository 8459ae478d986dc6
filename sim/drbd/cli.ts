// ferry-sim additions of the DRBD simulation: `ferry-sim io ... --resource RES [--volume N]` reads
// and writes through the node's DRBD device (replicating like the real one), and
// `ferry-sim net cut|heal NODE` cuts a node off the network (its DRBD links; the agent link too,
// for whoever watches the same file) and brings it back.
import fs from 'node:fs';
import type { Command } from 'commander';
import { simNodeDir } from '../paths.js';
import { registerIoOption, registerIoTarget } from '../cli/io-targets.js';
import type { GlobalOptions } from '../cli/program.js';
import { openDrbdDevice } from './device.js';
import { netCutPath } from './state.js';

registerIoOption({ flags: '--resource <res>', description: 'DRBD resource: I/O through its device on --node' });
registerIoOption({ flags: '--volume <n>', description: 'DRBD volume number (default 0)' });

registerIoTarget((o) => {
  const res = typeof o.resource === 'string' ? o.resource : undefined;
  if (!res) return null;
  const vol = o.volume === undefined ? 0 : Number(o.volume);
  if (!Number.isInteger(vol) || vol < 0) throw new Error(`--volume: not a volume number: ${String(o.volume)}`);
  const dev = openDrbdDevice(o.nodeDir, res, vol);
  return {
    description: `DRBD ${res}/${vol} (/dev/drbd${dev.minor}) on ${o.node}`,
    sizeBytes: dev.sizeBytes,
    read: (off, len) => dev.read(off, len),
    write: (off, data) => dev.write(off, data),
    close: () => dev.close(),
  };
});

export function register(program: Command, globals: () => GlobalOptions): void {
  const net = program.command('net').description('network of the simulated nodes');
  net
    .command('cut')
    .description('cut a node off: its DRBD connections drop (and its agent link, for the harness)')
    .argument('<node>', 'node name')
    .action((node: string) => {
      const dir = simNodeDir(node, globals().root);
      if (!fs.existsSync(dir)) throw new Error(`no simulated node ${node}`);
      fs.writeFileSync(netCutPath(dir), `${new Date().toISOString()}\n`);
      process.stdout.write(`node ${node} is cut off\n`);
    });
  net
    .command('heal')
    .description('reconnect a node that was cut off')
    .argument('<node>', 'node name')
    .action((node: string) => {
      const dir = simNodeDir(node, globals().root);
      fs.rmSync(netCutPath(dir), { force: true });
      process.stdout.write(`node ${node} is connected again\n`);
    });
}
