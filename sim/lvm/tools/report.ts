// lvs and vgs.
import { parseLvmArgs, opt, optAll, has } from '../args.js';
import type { OptSpec, ParsedArgs } from '../args.js';
import { loadState } from '../store.js';
import {
  compileSelect,
  formatSize,
  LV_FIELDS,
  lvRows,
  LVS_DEFAULT,
  render,
  resolveFields,
  VG_FIELDS,
  vgRows,
  VGS_DEFAULT,
} from '../report.js';
import type { Column, FieldType, LvRow, ReportOptions, VgRow } from '../report.js';
import type { ToolContext } from '../../tool.js';
import { ToolExit } from '../../tool.js';
import { ECMD_FAILED, EINVALID_CMD_LINE } from './common.js';
import { splitLvName } from '../args.js';
import { withNodeLock } from '../../lock.js';

const REPORT_OPTS: OptSpec[] = [
  { long: 'options', short: 'o', value: true },
  { long: 'sort', short: 'O', value: true },
  { long: 'select', short: 'S', value: true },
  { long: 'units', value: true },
  { long: 'nosuffix', value: false },
  { long: 'noheadings', value: false },
  { long: 'headings', value: true },
  { long: 'separator', value: true },
  { long: 'aligned', value: false },
  { long: 'reportformat', value: true },
  { long: 'nameprefixes', value: false },
  { long: 'unquoted', value: false },
  { long: 'unbuffered', value: false },
  { long: 'all', short: 'a', value: false },
  { long: 'binary', value: false },
  { long: 'rows', value: false },
  { long: 'foreign', value: false },
  { long: 'shared', value: false },
  { long: 'logonly', value: false },
  { long: 'segments', value: false },
  { long: 'history', short: 'H', value: false },
  { long: 'partial', short: 'P', value: false },
  { long: 'configreport', value: true },
];

function reportOptions(tool: string, p: ParsedArgs): ReportOptions {
  const fmt = opt(p, 'reportformat') ?? 'basic';
  if (fmt !== 'basic' && fmt !== 'json' && fmt !== 'json_std') {
    throw new ToolExit(EINVALID_CMD_LINE, `  Invalid report format name '${fmt}'.\n  Run \`${tool} --help' for more information.\n`);
  }
  const unitsArg = opt(p, 'units') ?? 'h';
  if (!/^[hHbBsSkKmMgGtTpPeErR]$/.test(unitsArg)) {
    throw new ToolExit(EINVALID_CMD_LINE, `  Invalid argument for --units: ${unitsArg}\n  Error during parsing of command line.\n`);
  }
  const headingsOpt = opt(p, 'headings');
  return {
    format: fmt,
    units: { unit: unitsArg, suffix: !has(p, 'nosuffix') },
    headings: !has(p, 'noheadings') && headingsOpt !== 'none' && headingsOpt !== '0',
    separator: opt(p, 'separator'),
    aligned: has(p, 'aligned'),
    nameprefixes: has(p, 'nameprefixes'),
    unquoted: has(p, 'unquoted'),
  };
}

function sortRows<R>(rows: R[], sortSpec: string | undefined, value: (f: string, r: R) => { type: FieldType; raw: string | number | string[] | undefined } | null): void {
  if (!sortSpec) return;
  const keys = sortSpec.split(',').map((k) => k.trim()).filter(Boolean).map((k) => ({ desc: k.startsWith('-'), field: k.replace(/^[+-]/, '') }));
  rows.sort((a, b) => {
    for (const k of keys) {
      const va = value(k.field, a)?.raw;
      const vb = value(k.field, b)?.raw;
      const sa = typeof va === 'number' ? va : String(va ?? '');
      const sb = typeof vb === 'number' ? vb : String(vb ?? '');
      if (sa < sb) return k.desc ? 1 : -1;
      if (sa > sb) return k.desc ? -1 : 1;
    }
    return 0;
  });
}

function fieldLookup<R>(table: Record<string, { type: FieldType; get(r: R): string | number | string[] | undefined }>, prefix: string) {
  return (f: string, r: R): { type: FieldType; raw: string | number | string[] | undefined } | null => {
    const n = f.toLowerCase();
    const def = table[n] ?? table[`${prefix}_${n}`] ?? (n === 'tags' ? table[`${prefix}_tags`] : undefined);
    if (!def) return null;
    return { type: def.type, raw: def.get(r) };
  };
}

export function lvsMain(args: string[], ctx: ToolContext): number {
  const p = parseLvmArgs('lvs', args, REPORT_OPTS);
  const o = reportOptions('lvs', p);
  const state = withNodeLock(ctx.nodeDir, () => loadState(ctx.nodeDir));
  let rows = lvRows(ctx.nodeDir, state);
  // lvs can show VG fields too
  const vgTable = VG_FIELDS;
  const vgByName = new Map(vgRows(state).map((r) => [r.vg.name, r]));
  const lvTable = { ...LV_FIELDS } as Record<string, { heading: string; type: FieldType; get(r: LvRow): string | number | string[] | undefined }>;
  for (const [k, d] of Object.entries(vgTable)) {
    if (!lvTable[k]) lvTable[k] = { heading: d.heading, type: d.type, get: (r: LvRow) => d.get(vgByName.get(r.vg.name)!) };
  }
  const { names, unknown } = resolveFields(optAll(p, 'options'), LVS_DEFAULT, lvTable, 'lv');
  if (unknown !== undefined) throw new ToolExit(ECMD_FAILED, `  Unrecognised field: ${unknown}\n`);

  let errors = '';
  let exit = 0;
  if (p.positional.length > 0) {
    const keep = new Set<LvRow>();
    for (const a of p.positional) {
      const lvName = a.includes('/') ? splitLvName(a) : null;
      if (lvName) {
        const vg = state.vgs[lvName.vg];
        if (!vg) {
          errors += `  Volume group "${lvName.vg}" not found\n  Cannot process volume group ${lvName.vg}\n`;
          exit = ECMD_FAILED;
          continue;
        }
        const found = rows.filter((r) => r.vg.name === lvName.vg && r.lv.name === lvName.lv);
        if (found.length === 0) {
          errors += `  Failed to find logical volume "${lvName.vg}/${lvName.lv}"\n`;
          exit = ECMD_FAILED;
        }
        for (const r of found) keep.add(r);
      } else {
        if (!state.vgs[a]) {
          errors += `  Volume group "${a}" not found\n  Cannot process volume group ${a}\n`;
          exit = ECMD_FAILED;
          continue;
        }
        for (const r of rows) if (r.vg.name === a) keep.add(r);
      }
    }
    rows = rows.filter((r) => keep.has(r));
  }
  const lookup = fieldLookup(lvTable, 'lv');
  const sel = opt(p, 'select');
  if (sel !== undefined) {
    try {
      const pred = compileSelect<LvRow>(sel, lookup);
      rows = rows.filter(pred);
    } catch (e) {
      throw new ToolExit(ECMD_FAILED, `  ${(e as Error).message}\n  Selection syntax error.\n`);
    }
  }
  sortRows(rows, opt(p, 'sort'), lookup);
  const columns: Column[] = names.map((n) => ({ name: n, heading: lvTable[n]!.heading, type: lvTable[n]!.type }));
  const values = rows.map((r) => names.map((n) => lvTable[n]!.get(r)));
  if (rows.length > 0 || o.format !== 'basic') ctx.out(render('lv', columns, values, o));
  else if (p.positional.length === 0 && exit === 0 && o.format === 'basic') ctx.err('  No logical volumes found\n');
  if (errors) ctx.err(errors);
  return exit;
}

export function vgsMain(args: string[], ctx: ToolContext): number {
  const p = parseLvmArgs('vgs', args, REPORT_OPTS);
  const o = reportOptions('vgs', p);
  const state = withNodeLock(ctx.nodeDir, () => loadState(ctx.nodeDir));
  let rows = vgRows(state);
  const { names, unknown } = resolveFields(optAll(p, 'options'), VGS_DEFAULT, VG_FIELDS, 'vg');
  if (unknown !== undefined) throw new ToolExit(ECMD_FAILED, `  Unrecognised field: ${unknown}\n`);
  let errors = '';
  let exit = 0;
  if (p.positional.length > 0) {
    const wanted = new Set<string>();
    for (const a of p.positional) {
      if (!state.vgs[a]) {
        errors += `  Volume group "${a}" not found\n  Cannot process volume group ${a}\n`;
        exit = ECMD_FAILED;
      } else wanted.add(a);
    }
    rows = rows.filter((r) => wanted.has(r.vg.name));
  }
  const lookup = fieldLookup(VG_FIELDS, 'vg');
  const sel = opt(p, 'select');
  if (sel !== undefined) {
    try {
      rows = rows.filter(compileSelect<VgRow>(sel, lookup));
    } catch (e) {
      throw new ToolExit(ECMD_FAILED, `  ${(e as Error).message}\n  Selection syntax error.\n`);
    }
  }
  sortRows(rows, opt(p, 'sort'), lookup);
  const columns: Column[] = names.map((n) => ({ name: n, heading: VG_FIELDS[n]!.heading, type: VG_FIELDS[n]!.type }));
  const values = rows.map((r) => names.map((n) => VG_FIELDS[n]!.get(r)));
  if (rows.length > 0 || o.format !== 'basic') ctx.out(render('vg', columns, values, o));
  else if (p.positional.length === 0 && o.format === 'basic') ctx.err('  No volume groups found\n');
  if (errors) ctx.err(errors);
  void formatSize;
  return exit;
}
