// Parsers of lvm2 output: `lvs`/`vgs --reportformat json` (what ferry runs, with --units b
// --nosuffix), the separator-delimited text report, lv_attr, and the stderr messages ferry acts on.
// Pure functions over strings; tested against fixtures of real output in test/fixtures/host/.
import { z } from 'zod';

export class LvmParseError extends Error {
  override readonly name = 'LvmParseError';
}

export type LvKind = 'thin-pool' | 'thin' | 'linear' | 'snapshot' | 'other';

export interface LvAttr {
  kind: LvKind;
  /** position 1 of lv_attr, e.g. 't' thin pool, 'V' thin volume, 'T' thin pool data */
  typeChar: string;
  writable: boolean;
  active: boolean;
  open: boolean;
  /** 'k': the activation skip flag (set on thin snapshots) */
  skipActivation: boolean;
  /** lv_attr position 9: '-' healthy, 'p' partial, 'F' failed, 'D' out of data space, 'M' metadata read-only, ... */
  health: string;
}

export interface LogicalVolume {
  name: string;
  vg: string;
  /** lv_attr as printed, e.g. "Vwi-a-tz--" */
  attr: string;
  kind: LvKind;
  sizeBytes: number;
  /** Thin pool of a thin volume, null otherwise. */
  pool: string | null;
  /** Origin of a snapshot, null otherwise. */
  origin: string | null;
  /** null when lvm does not report it (non-thin LVs, inactive thin volumes). */
  dataPercent: number | null;
  metadataPercent: number | null;
  tags: string[];
  /** Chunk size of a thin pool; null if not reported, 0 for LVs without chunks. */
  chunkBytes: number | null;
  /** "/dev/vg/lv"; null when lvm reports none (thin pools). */
  path: string | null;
  active: boolean;
  skipActivation: boolean;
  /** Internal LVs (shown with -a) have their name in brackets. */
  hidden: boolean;
}

export interface VolumeGroup {
  name: string;
  sizeBytes: number;
  freeBytes: number;
  extentBytes: number | null;
  pvCount: number | null;
  lvCount: number | null;
  tags: string[];
}

/** Fields ferry asks `lvs` for (all parsers accept any subset that includes lv_name and vg_name). */
export const LVS_FIELDS = ['lv_name', 'vg_name', 'lv_attr', 'lv_size', 'pool_lv', 'origin', 'data_percent', 'metadata_percent', 'lv_tags', 'chunk_size', 'lv_path'] as const;
export const VGS_FIELDS = ['vg_name', 'vg_size', 'vg_free', 'vg_extent_size', 'pv_count', 'lv_count', 'vg_tags'] as const;

const row = z.record(z.string(), z.union([z.string(), z.number(), z.null(), z.array(z.string())]));
const reportJson = z.object({
  report: z.array(z.record(z.string(), z.array(row))),
  log: z.array(z.unknown()).optional(),
});

type Row = z.infer<typeof row>;

/** Rows of one report kind ("lv", "vg", ...) from lvm's json (or json_std) output. */
export function parseReportJson(text: string, kind: string): Row[] {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    throw new LvmParseError(`lvm report is not JSON: ${(e as Error).message}`);
  }
  const r = reportJson.safeParse(data);
  if (!r.success) throw new LvmParseError(`unexpected lvm report shape: ${r.error.issues[0]?.message ?? ''}`);
  const rows: Row[] = [];
  for (const part of r.data.report) rows.push(...(part[kind] ?? []));
  return rows;
}

function str(r: Row, key: string): string | undefined {
  const v = r[key];
  if (v === undefined || v === null) return undefined;
  if (Array.isArray(v)) return v.join(',');
  return String(v);
}

/** A size in bytes as printed with --units b (with or without --nosuffix). */
export function parseBytesField(value: string | undefined, field: string): number | null {
  if (value === undefined || value === '') return null;
  const m = /^(\d+)B?$/.exec(value.trim());
  if (!m) throw new LvmParseError(`${field}: expected bytes (run lvm with --units b), got "${value}"`);
  return Number(m[1]);
}

/** A size as printed with a unit (e.g. "4.00m", "<20.00g", "1048576.00" with --units k --nosuffix). */
export function parseSizeWithUnits(value: string, defaultUnit = 'b'): number {
  const m = /^[<>]?(\d+(?:\.\d+)?)([bBsSkKmMgGtTpPeE]?)$/.exec(value.trim());
  if (!m) throw new LvmParseError(`not an lvm size: "${value}"`);
  const u = m[2] || defaultUnit;
  const lower = u === u.toLowerCase();
  const base = lower || u === 'B' || u === 'S' ? 1024 : 1000;
  const pow = { b: 0, s: 0, k: 1, m: 2, g: 3, t: 4, p: 5, e: 6 }[u.toLowerCase() as 'b']!;
  const mult = u.toLowerCase() === 's' ? 512 : base ** pow;
  return Math.round(Number(m[1]) * mult);
}

function pct(value: string | undefined): number | null {
  if (value === undefined || value === '') return null;
  const n = Number(value.replace(/%$/, ''));
  if (!Number.isFinite(n)) throw new LvmParseError(`not a percentage: "${value}"`);
  return n;
}

function int(value: string | undefined): number | null {
  if (value === undefined || value === '') return null;
  const n = Number(value);
  return Number.isInteger(n) ? n : null;
}

function tags(value: string | undefined): string[] {
  return value ? value.split(',').map((t) => t.trim()).filter(Boolean) : [];
}

export function parseLvAttr(attr: string): LvAttr {
  const c = (i: number): string => attr[i] ?? '-';
  const t = c(0);
  const kind: LvKind = t === 't' ? 'thin-pool' : t === 'V' ? 'thin' : t === '-' ? 'linear' : t === 's' || t === 'S' ? 'snapshot' : 'other';
  return {
    kind,
    typeChar: t,
    writable: c(1) === 'w',
    active: c(4) === 'a',
    open: c(5) === 'o',
    skipActivation: c(9) === 'k',
    health: c(8),
  };
}

function toLv(r: Row): LogicalVolume {
  const name = str(r, 'lv_name');
  const vg = str(r, 'vg_name');
  if (!name || !vg) throw new LvmParseError('lvs row without lv_name/vg_name');
  const attr = str(r, 'lv_attr') ?? '';
  const a = parseLvAttr(attr);
  const chunk = str(r, 'chunk_size');
  return {
    name: name.replace(/^\[(.*)\]$/, '$1'),
    vg,
    attr,
    kind: a.kind,
    sizeBytes: parseBytesField(str(r, 'lv_size'), 'lv_size') ?? 0,
    pool: str(r, 'pool_lv') || null,
    origin: str(r, 'origin') || null,
    dataPercent: pct(str(r, 'data_percent')),
    metadataPercent: pct(str(r, 'metadata_percent')),
    tags: tags(str(r, 'lv_tags')),
    chunkBytes: parseBytesField(chunk, 'chunk_size'),
    path: str(r, 'lv_path') || null,
    active: a.active,
    skipActivation: a.skipActivation,
    hidden: /^\[.*\]$/.test(name),
  };
}

/** `lvs --reportformat json --units b --nosuffix -o ...` */
export function parseLvsJson(text: string): LogicalVolume[] {
  return parseReportJson(text, 'lv').map(toLv);
}

/** `vgs --reportformat json --units b --nosuffix -o ...` */
export function parseVgsJson(text: string): VolumeGroup[] {
  return parseReportJson(text, 'vg').map((r) => {
    const name = str(r, 'vg_name');
    if (!name) throw new LvmParseError('vgs row without vg_name');
    return {
      name,
      sizeBytes: parseBytesField(str(r, 'vg_size'), 'vg_size') ?? 0,
      freeBytes: parseBytesField(str(r, 'vg_free'), 'vg_free') ?? 0,
      extentBytes: parseBytesField(str(r, 'vg_extent_size'), 'vg_extent_size'),
      pvCount: int(str(r, 'pv_count')),
      lvCount: int(str(r, 'lv_count')),
      tags: tags(str(r, 'vg_tags')),
    };
  });
}

/**
 * The text report with --noheadings --separator SEP: one row per line, fields in the order of -o.
 * Values are returned as printed (strings), keyed by field name.
 */
export function parseSeparatedReport(text: string, fields: readonly string[], separator: string): Record<string, string>[] {
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '')
    .map((line) => {
      const parts = line.split(separator);
      if (parts.length !== fields.length) throw new LvmParseError(`expected ${fields.length} fields, got ${parts.length}: "${line}"`);
      return Object.fromEntries(fields.map((f, i) => [f, parts[i]!.trim()]));
    });
}

// ---------------------------------------------------------------------------------------------
// stderr of failed lvm commands

export type LvmFailure =
  | { kind: 'lv-not-found'; vg: string; lv: string }
  | { kind: 'vg-not-found'; vg: string }
  | { kind: 'lv-exists'; vg: string; lv: string }
  | { kind: 'vg-insufficient-space'; vg: string }
  | { kind: 'pool-full'; vg: string; pool: string }
  | { kind: 'in-use'; vg: string; lv: string }
  | { kind: 'size-unchanged' };

/** Recognises the lvm2 messages ferry reacts to (the rest stays an opaque failure). */
export function classifyLvmError(stderr: string): LvmFailure | null {
  let m: RegExpExecArray | null;
  if ((m = /Failed to find logical volume "([^"/]+)\/([^"]+)"/.exec(stderr))) return { kind: 'lv-not-found', vg: m[1]!, lv: m[2]! };
  if ((m = /Existing logical volume "([^"]+)" not found in volume group "([^"]+)"/.exec(stderr))) return { kind: 'lv-not-found', vg: m[2]!, lv: m[1]! };
  if ((m = /Volume group "([^"]+)" not found/.exec(stderr))) return { kind: 'vg-not-found', vg: m[1]! };
  if ((m = /Logical [Vv]olume "([^"]+)" already exists in volume group "([^"]+)"/.exec(stderr))) return { kind: 'lv-exists', vg: m[2]!, lv: m[1]! };
  if ((m = /Volume group "([^"]+)" has insufficient free space/.exec(stderr))) return { kind: 'vg-insufficient-space', vg: m[1]! };
  if ((m = /free space in thin pool ([^/\s]+)\/(\S+?) reached threshold/.exec(stderr))) return { kind: 'pool-full', vg: m[1]!, pool: m[2]! };
  if ((m = /Logical volume ([^/\s]+)\/(\S+?) in use/.exec(stderr))) return { kind: 'in-use', vg: m[1]!, lv: m[2]! };
  if (/matches existing size|No size change/.test(stderr)) return { kind: 'size-unchanged' };
  return null;
}
