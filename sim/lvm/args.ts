// Command-line parsing in the manner of lvm2: long options with "--x v" or "--x=v", short options
// with attached ("-L10G", "-ay") or separate values, repeatable options, positional arguments.
import { ToolExit } from '../tool.js';

export interface OptSpec {
  long: string;
  short?: string;
  value: boolean;
  /** Other long spellings. */
  aliases?: string[];
}

export interface ParsedArgs {
  opts: Map<string, string[]>;
  positional: string[];
}

/** Options every LVM command accepts; values are ignored by the simulation. */
export const COMMON_OPTS: OptSpec[] = [
  { long: 'config', value: true },
  { long: 'commandprofile', value: true },
  { long: 'profile', value: true },
  { long: 'debug', short: 'd', value: false },
  { long: 'verbose', short: 'v', value: false },
  { long: 'quiet', short: 'q', value: false },
  { long: 'yes', short: 'y', value: false },
  { long: 'test', short: 't', value: false },
  { long: 'nolocking', value: false },
  { long: 'lockopt', value: true },
  { long: 'devices', value: true },
  { long: 'devicesfile', value: true },
  { long: 'driverloaded', value: true },
  { long: 'ignorelockingfailure', value: false },
  { long: 'readonly', value: false },
  { long: 'nohints', value: false },
  { long: 'journal', value: true },
];

export function usageError(tool: string, message: string): ToolExit {
  return new ToolExit(3, `  ${message}\n  Run \`${tool} --help' for more information.\n`);
}

export function parseLvmArgs(tool: string, argv: readonly string[], specs: OptSpec[]): ParsedArgs {
  const all = [...specs, ...COMMON_OPTS];
  const byLong = new Map<string, OptSpec>();
  const byShort = new Map<string, OptSpec>();
  // lvm2 ignores dashes and underscores inside long option names (--report-format, --virtual_size)
  const norm = (n: string): string => n.replace(/[-_]/g, '');
  for (const s of all) {
    byLong.set(norm(s.long), s);
    for (const a of s.aliases ?? []) byLong.set(norm(a), s);
    if (s.short) byShort.set(s.short, s);
  }
  const opts = new Map<string, string[]>();
  const positional: string[] = [];
  const put = (s: OptSpec, v: string): void => {
    const list = opts.get(s.long) ?? [];
    list.push(v);
    opts.set(s.long, list);
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') {
      positional.push(...argv.slice(i + 1));
      break;
    }
    if (a.startsWith('--')) {
      const eq = a.indexOf('=');
      const name = eq >= 0 ? a.slice(2, eq) : a.slice(2);
      const spec = byLong.get(norm(name));
      if (!spec) throw new ToolExit(3, `${tool}: unrecognized option '${a}'\n  Error during parsing of command line.\n`);
      if (spec.value) {
        let v: string | undefined = eq >= 0 ? a.slice(eq + 1) : argv[++i];
        if (v === undefined) throw new ToolExit(3, `${tool}: option '${a}' requires an argument\n  Error during parsing of command line.\n`);
        put(spec, v);
        v = undefined;
      } else put(spec, '');
      continue;
    }
    if (a.startsWith('-') && a.length > 1 && !/^-\d/.test(a)) {
      // a cluster of short options; a value-taking one consumes the rest or the next argument
      for (let j = 1; j < a.length; j++) {
        const ch = a[j]!;
        const spec = byShort.get(ch);
        if (!spec) throw new ToolExit(3, `${tool}: invalid option -- '${ch}'\n  Error during parsing of command line.\n`);
        if (spec.value) {
          const rest = a.slice(j + 1);
          const v = rest !== '' ? rest : argv[++i];
          if (v === undefined) throw new ToolExit(3, `${tool}: option requires an argument -- '${ch}'\n  Error during parsing of command line.\n`);
          put(spec, v);
          break;
        }
        put(spec, '');
      }
      continue;
    }
    positional.push(a);
  }
  return { opts, positional };
}

export function opt(p: ParsedArgs, long: string): string | undefined {
  const l = p.opts.get(long);
  return l === undefined ? undefined : l[l.length - 1];
}

export function optAll(p: ParsedArgs, long: string): string[] {
  return p.opts.get(long) ?? [];
}

export function has(p: ParsedArgs, long: string): boolean {
  return p.opts.has(long);
}

/** Splits "vg/lv", "/dev/vg/lv", "/dev/mapper/vg-lv" (simple names only). */
export function splitLvName(arg: string, defaultVg?: string): { vg: string; lv: string } | null {
  let s = arg;
  if (s.startsWith('/dev/mapper/')) {
    const rest = s.slice('/dev/mapper/'.length);
    const m = /^((?:[^-]|--)+)-((?:[^-]|--)+)$/.exec(rest);
    if (!m) return null;
    return { vg: m[1]!.replace(/--/g, '-'), lv: m[2]!.replace(/--/g, '-') };
  }
  if (s.startsWith('/dev/')) s = s.slice(5);
  const parts = s.split('/');
  if (parts.length === 2 && parts[0] && parts[1]) return { vg: parts[0], lv: parts[1] };
  if (parts.length === 1 && parts[0] && defaultVg) return { vg: defaultVg, lv: parts[0] };
  return null;
}
