// Where a simulated node keeps its state. Shared by every simulated tool (LVM, DRBD, ferry-sim).
import path from 'node:path';

/** $FERRY_SIM_ROOT: the directory holding every simulated node of one cluster. */
export function simRoot(root?: string): string {
  const r = root ?? process.env.FERRY_SIM_ROOT;
  if (!r) throw new Error('FERRY_SIM_ROOT is not set (the directory of the simulated cluster)');
  return path.resolve(r);
}

/** $FERRY_SIM_NODE: which simulated node this process is. */
export function simNodeName(node?: string): string {
  const n = node ?? process.env.FERRY_SIM_NODE;
  if (!n) throw new Error('FERRY_SIM_NODE is not set (the name of the simulated node)');
  if (!/^[A-Za-z0-9_.-]+$/.test(n)) throw new Error(`invalid simulated node name: ${n}`);
  return n;
}

/**
 * The state directory of a node: `$FERRY_SIM_ROOT/<node>`. With no argument, the node of this process.
 * An argument containing a slash is taken as a node directory already.
 */
export function simNodeDir(node?: string, root?: string): string {
  if (node !== undefined && node.includes('/')) return path.resolve(node);
  return path.join(simRoot(root), simNodeName(node));
}

export function lvmDir(nodeDir: string): string {
  return path.join(nodeDir, 'lvm');
}

export function lvmStatePath(nodeDir: string): string {
  return path.join(nodeDir, 'lvm', 'state.json');
}

export function poolDir(nodeDir: string, vg: string, pool: string): string {
  return path.join(nodeDir, 'lvm', 'pools', vg, pool);
}

export function faultsPath(nodeDir: string): string {
  return path.join(nodeDir, 'faults.json');
}

export function lockPath(nodeDir: string): string {
  return path.join(nodeDir, 'lock');
}
