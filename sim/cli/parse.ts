// Argument helpers for ferry-sim.
import { InvalidArgumentError } from 'commander';

/** "4096", "64K", "1M", "1G", "1.5g", "512b": bytes (binary units). */
export function parseBytes(text: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*([bkmgtKMGT]?)(?:i?B)?$/i.exec(text.trim());
  if (!m) throw new InvalidArgumentError(`not a size: ${text}`);
  const pow = { '': 0, b: 0, k: 1, m: 2, g: 3, t: 4 }[m[2]!.toLowerCase() as '' | 'b' | 'k' | 'm' | 'g' | 't'];
  const v = Math.round(Number(m[1]) * 1024 ** pow);
  if (!Number.isSafeInteger(v)) throw new InvalidArgumentError(`size out of range: ${text}`);
  return v;
}

export function parseInteger(text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n)) throw new InvalidArgumentError(`not an integer: ${text}`);
  return n;
}
