// lvs / vgs reporting: fields, values, units, selection, and the basic and json output formats of
// lvm2's reporting (see lvmreport(7)).
import fs from 'node:fs';
import { capacityChunks, countMapped, mapPath, poolFiles, readMap, readPoolHeader } from './store.js';
import type { LvmState, LvRecord, VgRecord } from './store.js';

export type FieldType = 'str' | 'size' | 'num' | 'pct' | 'strlist';

export interface LvRow {
  vg: VgRecord;
  lv: LvRecord;
  /** percent of used data chunks (pool: of the pool; thin: of the LV) — undefined if not reported */
  dataPercent?: number;
  metadataPercent?: number;
  poolOpen: boolean;
}

export interface VgRow {
  vg: VgRecord;
  freeBytes: number;
  lvCount: number;
}

interface FieldDef<R> {
  heading: string;
  type: FieldType;
  get(r: R): string | number | string[] | undefined;
}

const yn = (b: boolean): string => (b ? 'active' : '');

export function lvAttr(row: LvRow): string {
  const lv = row.lv;
  const type = lv.kind === 'thin-pool' ? 't' : 'V';
  const state = lv.active ? 'a' : '-';
  const open = lv.kind === 'thin-pool' ? (row.poolOpen ? 'o' : '-') : lv.openBy && lv.openBy.length > 0 ? 'o' : '-';
  const skip = lv.skipActivation ? 'k' : '-';
  return `${type}wi-${state}${open}tz-${skip}`;
}

export function vgUsedBytes(vg: VgRecord): number {
  let used = 0;
  let spare = 0;
  for (const lv of Object.values(vg.lvs)) {
    if (lv.kind !== 'thin-pool') continue;
    used += lv.sizeBytes + (lv.metadataBytes ?? 0);
    spare = Math.max(spare, lv.metadataBytes ?? 0);
  }
  return used + spare;
}

export const LV_FIELDS: Record<string, FieldDef<LvRow>> = {
  lv_name: { heading: 'LV', type: 'str', get: (r) => r.lv.name },
  vg_name: { heading: 'VG', type: 'str', get: (r) => r.vg.name },
  lv_attr: { heading: 'Attr', type: 'str', get: (r) => lvAttr(r) },
  lv_size: { heading: 'LSize', type: 'size', get: (r) => r.lv.sizeBytes },
  pool_lv: { heading: 'Pool', type: 'str', get: (r) => r.lv.pool ?? '' },
  origin: { heading: 'Origin', type: 'str', get: (r) => r.lv.origin ?? '' },
  origin_size: {
    heading: 'OSize',
    type: 'size',
    get: (r) => (r.lv.origin && r.vg.lvs[r.lv.origin] ? r.vg.lvs[r.lv.origin]!.sizeBytes : undefined),
  },
  data_percent: { heading: 'Data%', type: 'pct', get: (r) => r.dataPercent },
  metadata_percent: { heading: 'Meta%', type: 'pct', get: (r) => r.metadataPercent },
  move_pv: { heading: 'Move', type: 'str', get: () => '' },
  mirror_log: { heading: 'Log', type: 'str', get: () => '' },
  copy_percent: { heading: 'Cpy%Sync', type: 'pct', get: () => undefined },
  convert_lv: { heading: 'Convert', type: 'str', get: () => '' },
  lv_tags: { heading: 'LV Tags', type: 'strlist', get: (r) => r.lv.tags },
  chunk_size: { heading: 'Chunk', type: 'size', get: (r) => (r.lv.kind === 'thin-pool' ? r.lv.chunkBytes! : 0) },
  lv_path: { heading: 'Path', type: 'str', get: (r) => (r.lv.kind === 'thin' ? `/dev/${r.vg.name}/${r.lv.name}` : '') },
  lv_dm_path: {
    heading: 'DMPath',
    type: 'str',
    get: (r) => `/dev/mapper/${r.vg.name.replace(/-/g, '--')}-${r.lv.name.replace(/-/g, '--')}`,
  },
  lv_full_name: { heading: 'LV', type: 'str', get: (r) => `${r.vg.name}/${r.lv.name}` },
  lv_uuid: { heading: 'LV UUID', type: 'str', get: (r) => r.lv.uuid },
  lv_active: { heading: 'Active', type: 'str', get: (r) => yn(r.lv.active) },
  lv_skip_activation: { heading: 'SkipAct', type: 'str', get: (r) => (r.lv.skipActivation ? 'skip activation' : '') },
  segtype: { heading: 'Type', type: 'str', get: (r) => r.lv.kind },
  lv_layout: { heading: 'Layout', type: 'str', get: (r) => (r.lv.kind === 'thin-pool' ? 'thin,pool' : 'thin,sparse') },
  thin_id: { heading: 'ThId', type: 'num', get: (r) => r.lv.thinId },
  lv_metadata_size: { heading: 'LMetaSize', type: 'size', get: (r) => r.lv.metadataBytes },
  data_lv: { heading: 'Data', type: 'str', get: (r) => (r.lv.kind === 'thin-pool' ? `[${r.lv.name}_tdata]` : '') },
  metadata_lv: { heading: 'Meta', type: 'str', get: (r) => (r.lv.kind === 'thin-pool' ? `[${r.lv.name}_tmeta]` : '') },
  lv_time: { heading: 'CTime', type: 'str', get: (r) => formatTime(r.lv.createdAt) },
  lv_role: { heading: 'Role', type: 'str', get: (r) => (r.lv.kind === 'thin-pool' ? 'private' : r.lv.origin ? 'public,snapshot,thinsnapshot' : 'public') },
  lv_kernel_major: { heading: 'KMaj', type: 'num', get: (r) => (r.lv.active ? 253 : -1) },
  lv_kernel_minor: { heading: 'KMin', type: 'num', get: (r) => (r.lv.active ? (r.lv.thinId ?? 0) : -1) },
};

export const VG_FIELDS: Record<string, FieldDef<VgRow>> = {
  vg_name: { heading: 'VG', type: 'str', get: (r) => r.vg.name },
  pv_count: { heading: '#PV', type: 'num', get: (r) => r.vg.pvs.length },
  lv_count: { heading: '#LV', type: 'num', get: (r) => r.lvCount },
  snap_count: { heading: '#SN', type: 'num', get: () => 0 },
  vg_attr: { heading: 'Attr', type: 'str', get: () => 'wz--n-' },
  vg_size: { heading: 'VSize', type: 'size', get: (r) => r.vg.sizeBytes },
  vg_free: { heading: 'VFree', type: 'size', get: (r) => r.freeBytes },
  vg_uuid: { heading: 'VG UUID', type: 'str', get: (r) => r.vg.uuid },
  vg_extent_size: { heading: 'Ext', type: 'size', get: (r) => r.vg.extentBytes },
  vg_extent_count: { heading: '#Ext', type: 'num', get: (r) => Math.floor(r.vg.sizeBytes / r.vg.extentBytes) },
  vg_free_count: { heading: 'Free', type: 'num', get: (r) => Math.floor(r.freeBytes / r.vg.extentBytes) },
  vg_tags: { heading: 'VG Tags', type: 'strlist', get: (r) => r.vg.tags },
  vg_seqno: { heading: 'Seq', type: 'num', get: (r) => r.vg.seqno },
};

export const LVS_DEFAULT = ['lv_name', 'vg_name', 'lv_attr', 'lv_size', 'pool_lv', 'origin', 'data_percent', 'metadata_percent', 'move_pv', 'mirror_log', 'copy_percent', 'convert_lv'];
export const VGS_DEFAULT = ['vg_name', 'pv_count', 'lv_count', 'snap_count', 'vg_attr', 'vg_size', 'vg_free'];

const FIELD_ALIASES: Record<string, string> = { chunksize: 'chunk_size', tags: 'lv_tags', time: 'lv_time', snap_percent: 'data_percent', devices: 'devices' };

function formatTime(iso: string): string {
  const d = new Date(iso);
  const pad = (n: number): string => String(n).padStart(2, '0');
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())} +0000`;
}

/** Computes the rows of every LV (with data/metadata usage read from the pool files). */
export function lvRows(nodeDir: string, state: LvmState): LvRow[] {
  const rows: LvRow[] = [];
  for (const vg of Object.values(state.vgs)) {
    for (const lv of Object.values(vg.lvs)) {
      const row: LvRow = { vg, lv, poolOpen: false };
      if (lv.kind === 'thin-pool') {
        const files = poolFiles(nodeDir, vg.name, lv.name);
        let fd: number | undefined;
        try {
          fd = fs.openSync(files.meta, 'r');
          const h = readPoolHeader(fd);
          // a filled pool (`ferry-sim pool fill`) looks as a real pool full of other data does: the
          // chunks beyond the limit count as used, so data_percent and free space tell the truth
          const cap = capacityChunks(h);
          const used = Math.min(h.totalChunks, h.usedChunks + (h.totalChunks - cap));
          row.dataPercent = lv.active ? (h.totalChunks === 0 ? 100 : (used / h.totalChunks) * 100) : undefined;
          // Simulated metadata use: a fixed base plus 48 bytes per mapping.
          let mappings = 0;
          for (const t of Object.values(vg.lvs)) {
            if (t.kind === 'thin' && t.pool === lv.name && t.thinId !== undefined) {
              try {
                mappings += countMapped(readMap(mapPath(files, t.thinId)));
              } catch {
                /* mapping gone */
              }
            }
          }
          const meta = lv.metadataBytes ?? 4 * 1024 * 1024;
          row.metadataPercent = lv.active ? Math.min(100, ((40960 + mappings * 48) / meta) * 100) : undefined;
        } finally {
          if (fd !== undefined) fs.closeSync(fd);
        }
        row.poolOpen = Object.values(vg.lvs).some((t) => t.kind === 'thin' && t.pool === lv.name && t.active);
      } else if (lv.thinId !== undefined && lv.pool !== undefined && lv.active) {
        const pool = vg.lvs[lv.pool];
        try {
          const map = readMap(mapPath(poolFiles(nodeDir, vg.name, lv.pool), lv.thinId));
          row.dataPercent = map.length === 0 ? 0 : (countMapped(map) / map.length) * 100;
          void pool;
        } catch {
          row.dataPercent = undefined;
        }
      }
      rows.push(row);
    }
  }
  rows.sort((a, b) => (a.vg.name === b.vg.name ? cmp(a.lv.name, b.lv.name) : cmp(a.vg.name, b.vg.name)));
  return rows;
}

export function vgRows(state: LvmState): VgRow[] {
  return Object.values(state.vgs)
    .map((vg) => ({ vg, freeBytes: vg.sizeBytes - vgUsedBytes(vg), lvCount: Object.keys(vg.lvs).length }))
    .sort((a, b) => cmp(a.vg.name, b.vg.name));
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

// ---------------------------------------------------------------------------------------------
// field lists

export function resolveFields<R>(spec: string[], defaults: string[], table: Record<string, FieldDef<R>>, prefix: string, extra?: Record<string, FieldDef<R>>): { names: string[]; unknown?: string } {
  let names = [...defaults];
  if (spec.length > 0) {
    let replaced = false;
    for (const s of spec) {
      const plus = s.startsWith('+');
      const minus = s.startsWith('-');
      const list = (plus || minus ? s.slice(1) : s).split(',').map((x) => x.trim()).filter(Boolean);
      if (!plus && !minus && !replaced) {
        names = [];
        replaced = true;
      } else if (!plus && !minus) {
        /* later plain -o lists append, as in lvm */
      }
      for (const raw of list) {
        const n = canonicalField(raw, table, prefix, extra);
        if (!n) return { names, unknown: raw };
        if (minus) names = names.filter((x) => x !== n);
        else names.push(n);
      }
    }
  }
  return { names };
}

function canonicalField<R>(raw: string, table: Record<string, FieldDef<R>>, prefix: string, extra?: Record<string, FieldDef<R>>): string | null {
  const n = raw.toLowerCase();
  const candidates = [n, FIELD_ALIASES[n] ?? '', `${prefix}_${n}`];
  for (const c of candidates) if (c && (table[c] || extra?.[c])) return c;
  return null;
}

// ---------------------------------------------------------------------------------------------
// values and units

export interface Units {
  /** 'h' 'H' 'b' 'B' 's' 'S' 'k' 'K' 'm' 'M' 'g' 'G' 't' 'T' 'p' 'P' 'e' 'E' 'r' 'R' */
  unit: string;
  suffix: boolean;
}

const POW: Record<string, number> = { b: 0, k: 1, m: 2, g: 3, t: 4, p: 5, e: 6 };

export function formatSize(bytes: number, units: Units): string {
  let u = units.unit;
  if (u === 'r') u = 'h';
  if (u === 'R') u = 'H';
  const lower = u === u.toLowerCase();
  const base = lower ? 1024 : 1000;
  const lu = u.toLowerCase();
  if (lu === 'b') return `${bytes}${units.suffix ? 'B' : ''}`;
  if (lu === 's') return `${Math.floor(bytes / 512)}${units.suffix ? 'S' : ''}`;
  if (lu === 'h') {
    if (bytes === 0) return units.suffix ? '0 ' : '0';
    const letters = ['b', 'k', 'm', 'g', 't', 'p', 'e'];
    let i = 0;
    let v = bytes;
    while (v >= base && i < letters.length - 1) {
      v /= base;
      i++;
    }
    if (i === 0) return `${bytes}${units.suffix ? (lower ? 'b' : 'B') : ''}`;
    // lvm rounds to two decimals and marks a value shown larger than it is with '<'
    const rounded = Math.round(v * 100) / 100;
    const letter = lower ? letters[i]! : letters[i]!.toUpperCase();
    return `${rounded > v + 1e-12 ? '<' : ''}${rounded.toFixed(2)}${units.suffix ? letter : ''}`;
  }
  const v = bytes / base ** POW[lu]!;
  return `${v.toFixed(2)}${units.suffix ? u : ''}`;
}

export function formatValue(type: FieldType, v: string | number | string[] | undefined, units: Units): string {
  if (v === undefined) return '';
  switch (type) {
    case 'size':
      return formatSize(v as number, units);
    case 'pct':
      return (v as number).toFixed(2);
    case 'num':
      return String(v);
    case 'strlist':
      return (v as string[]).join(',');
    default:
      return String(v);
  }
}

// ---------------------------------------------------------------------------------------------
// selection (-S / --select): a subset of lvm's selection language, enough for scripts:
//   field=value  field!=value  field=~regex  field!~regex  field<N ... ; && and || and ( )
//   tags: lv_tags=tag, lv_tags={a,b} (contains all), lv_tags={a||b} (contains any)

type Pred<R> = (r: R) => boolean;

export function compileSelect<R>(expr: string, fieldValue: (field: string, r: R) => { type: FieldType; raw: string | number | string[] | undefined } | null): Pred<R> {
  const tokens: string[] = [];
  const re = /\s*(\(|\)|&&|\|\||,|#|[^()\s&|]+(?:\s*(?:=~|!~|!=|>=|<=|=|<|>)\s*(?:"[^"]*"|'[^']*'|\{[^}]*\}|\[[^\]]*\]|[^()\s&|]+))?)/y;
  let m: RegExpExecArray | null;
  let pos = 0;
  while (pos < expr.length && (m = re.exec(expr))) {
    if (m[1] === undefined) break;
    tokens.push(m[1]);
    pos = re.lastIndex;
    if (/^\s*$/.test(expr.slice(pos))) break;
  }
  let i = 0;
  const parseOr = (): Pred<R> => {
    let left = parseAnd();
    while (tokens[i] === '||' || tokens[i] === '#') {
      i++;
      const right = parseAnd();
      const l = left;
      left = (r) => l(r) || right(r);
    }
    return left;
  };
  const parseAnd = (): Pred<R> => {
    let left = parseAtom();
    while (tokens[i] === '&&' || tokens[i] === ',') {
      i++;
      const right = parseAtom();
      const l = left;
      left = (r) => l(r) && right(r);
    }
    return left;
  };
  const parseAtom = (): Pred<R> => {
    const t = tokens[i++];
    if (t === undefined) throw new Error('Selection syntax error: unexpected end');
    if (t === '(') {
      const p = parseOr();
      if (tokens[i++] !== ')') throw new Error('Selection syntax error: missing )');
      return p;
    }
    if (t === '!') {
      const p = parseAtom();
      return (r) => !p(r);
    }
    const cm = /^([A-Za-z_]+)\s*(=~|!~|!=|>=|<=|=|<|>)\s*(.*)$/.exec(t);
    if (!cm) throw new Error(`Selection syntax error at '${t}'`);
    const [, field, op, rawVal] = cm as unknown as [string, string, string, string];
    let val = rawVal;
    if ((val.startsWith('"') && val.endsWith('"')) || (val.startsWith("'") && val.endsWith("'"))) val = val.slice(1, -1);
    return (r) => {
      const fv = fieldValue(field, r);
      if (!fv) throw new Error(`Unrecognised selection field: ${field}`);
      return compare(fv.type, fv.raw, op, val);
    };
  };
  const pred = parseOr();
  if (i < tokens.length) throw new Error(`Selection syntax error at '${tokens[i]}'`);
  return pred;
}

function compare(type: FieldType, raw: string | number | string[] | undefined, op: string, val: string): boolean {
  if (type === 'strlist') {
    const have = (raw as string[] | undefined) ?? [];
    let inner = val;
    let any = false;
    if ((inner.startsWith('{') && inner.endsWith('}')) || (inner.startsWith('[') && inner.endsWith(']'))) inner = inner.slice(1, -1);
    let items: string[];
    if (inner.includes('||') || inner.includes('#')) {
      any = true;
      items = inner.split(/\|\||#/);
    } else items = inner.split(/&&|,/);
    items = items.map((s) => s.trim().replace(/^"|"$/g, '')).filter((s) => s !== '');
    let ok: boolean;
    if (op === '=~' || op === '!~') {
      const res = items.map((s) => new RegExp(s));
      ok = any ? res.some((re) => have.some((h) => re.test(h))) : res.every((re) => have.some((h) => re.test(h)));
      return op === '=~' ? ok : !ok;
    }
    if (items.length === 0) ok = have.length === 0;
    else ok = any ? items.some((x) => have.includes(x)) : items.every((x) => have.includes(x));
    return op === '!=' ? !ok : ok;
  }
  if (op === '=~' || op === '!~') {
    const ok = new RegExp(val).test(raw === undefined ? '' : String(raw));
    return op === '=~' ? ok : !ok;
  }
  if (type === 'size' || type === 'num' || type === 'pct') {
    if (raw === undefined) return op === '!=';
    let n: number;
    if (type === 'size') {
      const sm = /^(\d+(?:\.\d+)?)([bBsSkKmMgGtTpPeE]?)$/.exec(val);
      if (!sm) return false;
      const u = (sm[2] || 'm').toLowerCase();
      n = u === 's' ? Number(sm[1]) * 512 : Number(sm[1]) * 1024 ** POW[u]!;
    } else n = Number(val.replace(/%$/, ''));
    const x = raw as number;
    switch (op) {
      case '=':
        return Math.abs(x - n) < 1e-9;
      case '!=':
        return Math.abs(x - n) >= 1e-9;
      case '<':
        return x < n;
      case '<=':
        return x <= n;
      case '>':
        return x > n;
      case '>=':
        return x >= n;
    }
    return false;
  }
  const s = raw === undefined ? '' : String(raw);
  if (op === '=') return s === val;
  if (op === '!=') return s !== val;
  return false;
}

// ---------------------------------------------------------------------------------------------
// output

export interface ReportOptions {
  format: 'basic' | 'json' | 'json_std';
  units: Units;
  headings: boolean;
  separator?: string;
  aligned: boolean;
  nameprefixes: boolean;
  unquoted: boolean;
}

export interface Column {
  name: string;
  heading: string;
  type: FieldType;
}

/** Renders rows of already computed raw values. `kind`: "lv" or "vg" (the JSON key). */
export function render(kind: string, columns: Column[], rows: (string | number | string[] | undefined)[][], o: ReportOptions): string {
  if (o.format === 'json' || o.format === 'json_std') {
    const lines = rows.map((vals) => {
      const parts = columns.map((c, i) => {
        const v = vals[i];
        let json: string;
        if (o.format === 'json_std') {
          if (c.type === 'strlist') json = JSON.stringify((v as string[] | undefined) ?? []);
          else if ((c.type === 'num' || c.type === 'pct' || (c.type === 'size' && o.units.unit.toLowerCase() === 'b' && !o.units.suffix)) && v !== undefined) {
            json = c.type === 'pct' ? (v as number).toFixed(2) : String(v);
          } else if ((c.type === 'num' || c.type === 'pct') && v === undefined) json = 'null';
          else json = JSON.stringify(formatValue(c.type, v, o.units));
        } else json = JSON.stringify(formatValue(c.type, v, o.units));
        return `"${c.name}":${json}`;
      });
      return `                  {${parts.join(', ')}}`;
    });
    return (
      '  {\n' +
      '      "report": [\n' +
      '          {\n' +
      `              "${kind}": [\n` +
      (lines.length ? lines.join(',\n') + '\n' : '') +
      '              ]\n' +
      '          }\n' +
      '      ]\n' +
      '  }\n'
    );
  }
  const cells = rows.map((vals) => columns.map((c, i) => formatValue(c.type, vals[i], o.units)));
  if (o.nameprefixes) {
    const sep = o.separator ?? ' ';
    return cells
      .map((row) => '  ' + row.map((v, i) => `LVM2_${columns[i]!.name.toUpperCase()}=${o.unquoted ? v : `'${v}'`}`).join(sep))
      .join('\n') + (cells.length ? '\n' : '');
  }
  const head = columns.map((c) => c.heading);
  const all = o.headings ? [head, ...cells] : cells;
  if (all.length === 0) return '';
  if (o.separator !== undefined && !o.aligned) {
    return all.map((row) => '  ' + row.join(o.separator)).join('\n') + '\n';
  }
  const widths = columns.map((_, i) => Math.max(...all.map((r) => r[i]!.length)));
  const rightAligned = columns.map((c) => c.type === 'size' || c.type === 'num');
  const sep = o.separator ?? ' ';
  return (
    all
      .map((row, ri) =>
        ('  ' +
          row
            .map((v, i) => {
              const isHead = o.headings && ri === 0;
              return rightAligned[i] && !isHead ? v.padStart(widths[i]!) : rightAligned[i] && isHead ? v.padStart(widths[i]!) : v.padEnd(widths[i]!);
            })
            .join(sep)).replace(/\s+$/, ''),
      )
      .join('\n') + '\n'
  );
}
