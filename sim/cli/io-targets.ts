// What `ferry-sim io` reads and writes. Built in: a raw thin LV (--vg/--lv). Other simulations add
// targets (e.g. a DRBD device by resource name) with registerIoOption + registerIoTarget.
import { openThinVolume } from '../lvm/volume.js';
import { simNodeDir } from '../paths.js';

export interface IoTarget {
  readonly description: string;
  readonly sizeBytes: number;
  read(offset: number, length: number): Buffer;
  write(offset: number, data: Buffer): void;
  close(): void;
}

/** Parsed options of `ferry-sim io` (commander's camelCase keys). */
export interface IoTargetOptions {
  node: string;
  root: string;
  nodeDir: string;
  vg?: string;
  lv?: string;
  [key: string]: unknown;
}

export type IoTargetResolver = (opts: IoTargetOptions) => IoTarget | null;

export interface IoOption {
  flags: string;
  description: string;
}

const resolvers: IoTargetResolver[] = [];
const extraOptions: IoOption[] = [];

export function registerIoTarget(resolver: IoTargetResolver): void {
  resolvers.unshift(resolver);
}

export function registerIoOption(o: IoOption): void {
  extraOptions.push(o);
}

export function ioOptions(): readonly IoOption[] {
  return extraOptions;
}

const thinLvResolver: IoTargetResolver = (o) => {
  if (!o.vg || !o.lv) return null;
  const v = openThinVolume(o.nodeDir, o.vg, o.lv);
  return {
    description: `thin LV ${o.vg}/${o.lv} on ${o.node}`,
    get sizeBytes() {
      return v.sizeBytes;
    },
    read: (off, len) => v.read(off, len),
    write: (off, data) => v.write(off, data),
    close: () => v.close(),
  };
};

export interface IoTargetRequest {
  node: string;
  root: string;
  nodeDir?: string;
  vg?: string;
  lv?: string;
  [key: string]: unknown;
}

export function resolveIoTarget(o: IoTargetRequest): IoTarget {
  const full: IoTargetOptions = { ...o, node: o.node, root: o.root, nodeDir: o.nodeDir ?? simNodeDir(o.node, o.root) };
  for (const r of [...resolvers, thinLvResolver]) {
    const t = r(full);
    if (t) return t;
  }
  throw new Error('no I/O target: give --vg and --lv (or another target option)');
}
