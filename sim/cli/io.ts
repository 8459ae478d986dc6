// ferry-sim io write|read|verify: put deterministic data on a volume and check it, on any replica.
import crypto from 'node:crypto';
import fs from 'node:fs';
import type { Command } from 'commander';
import { PoolFullError } from '../lvm/volume-api.js';
import { writeAll } from '../sync-io.js';
import { fillPattern } from './pattern.js';
import { ioOptions, resolveIoTarget } from './io-targets.js';
import type { IoTarget } from './io-targets.js';
import { parseBytes } from './parse.js';
import type { GlobalOptions } from './program.js';

const SLICE = 8 * 1024 * 1024;

interface IoOpts {
  node: string;
  vg?: string;
  lv?: string;
  offset: number;
  length?: number;
  pattern: string;
  out?: string;
  sha256?: boolean;
  [key: string]: unknown;
}

class IoFailure extends Error {}

function withTarget<T>(root: string, o: IoOpts, fn: (t: IoTarget, length: number) => T): T {
  const t = resolveIoTarget({ ...o, root });
  try {
    const length = o.length ?? t.sizeBytes - o.offset;
    if (o.offset < 0 || length < 0 || o.offset + length > t.sizeBytes) {
      throw new IoFailure(`range ${o.offset}+${length} is beyond the end of ${t.description} (${t.sizeBytes} bytes)`);
    }
    return fn(t, length);
  } finally {
    t.close();
  }
}

export function ioWrite(root: string, o: IoOpts): string {
  return withTarget(root, o, (t, length) => {
    const buf = Buffer.allocUnsafe(Math.min(SLICE, length));
    for (let done = 0; done < length; ) {
      const n = Math.min(SLICE, length - done);
      const slice = buf.subarray(0, n);
      fillPattern(slice, o.offset + done, o.pattern);
      try {
        t.write(o.offset + done, slice);
      } catch (e) {
        if (e instanceof PoolFullError) throw new IoFailure(`write failed at offset ${o.offset + done}: No space left on device (${e.message})`);
        throw e;
      }
      done += n;
    }
    return `wrote ${length} bytes at offset ${o.offset} of ${t.description} (pattern ${o.pattern})`;
  });
}

export function ioVerify(root: string, o: IoOpts): string {
  return withTarget(root, o, (t, length) => {
    const expected = Buffer.allocUnsafe(Math.min(SLICE, length));
    for (let done = 0; done < length; ) {
      const n = Math.min(SLICE, length - done);
      const exp = expected.subarray(0, n);
      fillPattern(exp, o.offset + done, o.pattern);
      const got = t.read(o.offset + done, n);
      if (!got.equals(exp)) {
        let i = 0;
        while (i < n && got[i] === exp[i]) i++;
        throw new IoFailure(
          `verify failed at offset ${o.offset + done + i} of ${t.description}: expected 0x${exp[i]!.toString(16).padStart(2, '0')}, found 0x${got[i]!.toString(16).padStart(2, '0')} (pattern ${o.pattern})`,
        );
      }
      done += n;
    }
    return `verified ${length} bytes at offset ${o.offset} of ${t.description} (pattern ${o.pattern})`;
  });
}

export function ioRead(root: string, o: IoOpts): string | null {
  return withTarget(root, o, (t, length) => {
    const hash = o.sha256 ? crypto.createHash('sha256') : null;
    const fd = o.out ? fs.openSync(o.out, 'w') : 1;
    try {
      for (let done = 0; done < length; ) {
        const n = Math.min(SLICE, length - done);
        const data = t.read(o.offset + done, n);
        if (hash) hash.update(data);
        else writeAll(fd, data);
        done += n;
      }
    } finally {
      if (o.out) fs.closeSync(fd);
    }
    return hash ? `${hash.digest('hex')}\n` : null;
  });
}

export function register(program: Command, globals: () => GlobalOptions): void {
  const io = program.command('io').description('read, write and verify the bytes of a simulated volume');
  const common = (c: Command): Command => {
    c.requiredOption('--node <node>', 'node name')
      .option('--vg <vg>', 'volume group of a thin LV')
      .option('--lv <lv>', 'thin LV')
      .option('--offset <bytes>', 'start offset (K/M/G suffixes allowed)', parseBytes, 0)
      .option('--length <bytes>', 'number of bytes (default: to the end)', parseBytes);
    for (const extra of ioOptions()) c.option(extra.flags, extra.description);
    return c;
  };
  const fail = (e: unknown): void => {
    process.stderr.write(`ferry-sim: ${(e as Error).message}\n`);
    process.exitCode = 1;
  };
  common(io.command('write').description('write pattern data'))
    .requiredOption('--pattern <seed>', 'pattern seed ("zero" for zeros)')
    .action((o: IoOpts) => {
      try {
        process.stdout.write(ioWrite(globals().root, o) + '\n');
      } catch (e) {
        fail(e);
      }
    });
  common(io.command('verify').description('check that the bytes are the pattern data (exit 1 if not)'))
    .requiredOption('--pattern <seed>', 'pattern seed ("zero" for zeros)')
    .action((o: IoOpts) => {
      try {
        process.stdout.write(ioVerify(globals().root, o) + '\n');
      } catch (e) {
        fail(e);
      }
    });
  common(io.command('read').description('write the raw bytes to stdout (or --out FILE), or print their --sha256'))
    .option('--out <file>', 'write to a file instead of stdout')
    .option('--sha256', 'print the SHA-256 of the bytes instead')
    .action((o: IoOpts) => {
      try {
        const r = ioRead(globals().root, { ...o, pattern: '' });
        if (r) process.stdout.write(r);
      } catch (e) {
        fail(e);
      }
    });
}
