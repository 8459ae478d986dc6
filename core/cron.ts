// Five-field cron expressions (minute hour day-of-month month day-of-week), as LINSTOR's backup
// schedules take them, evaluated in UTC: a parser that names the field at fault, a matcher, and
// the next / previous firing times. Temporal's Schedule gets the same expression text; this module
// lets ferry refuse bad ones before anything is stored and lets a scheduled run find out which cron
// fired (full wins over incremental when both match the same minute).
//
// Syntax per field: `*`, `N`, `A-B`, `*/S`, `A-B/S`, `N/S`, comma lists of those; month and day of
// week also take names (JAN..DEC, SUN..SAT); day of week 0 and 7 are Sunday. When both day of month
// and day of week are restricted a day matches if either does (the classic cron rule).
//
// Pure: no I/O, no Node modules. Imported by workflow code.

export type CronFieldName = 'minute' | 'hour' | 'day-of-month' | 'month' | 'day-of-week';

export class CronError extends Error {
  override readonly name = 'CronError';
  constructor(readonly field: CronFieldName | 'expression', message: string) {
    super(message);
  }
}

interface FieldSpec {
  name: CronFieldName;
  min: number;
  max: number;
  names?: readonly string[];
}

const FIELDS: readonly FieldSpec[] = [
  { name: 'minute', min: 0, max: 59 },
  { name: 'hour', min: 0, max: 23 },
  { name: 'day-of-month', min: 1, max: 31 },
  { name: 'month', min: 1, max: 12, names: ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'] },
  { name: 'day-of-week', min: 0, max: 7, names: ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'] },
];

export interface CronExpression {
  readonly source: string;
  readonly minutes: ReadonlySet<number>;
  readonly hours: ReadonlySet<number>;
  readonly daysOfMonth: ReadonlySet<number>;
  readonly months: ReadonlySet<number>;
  /** 0..6, Sunday = 0 */
  readonly daysOfWeek: ReadonlySet<number>;
  readonly domRestricted: boolean;
  readonly dowRestricted: boolean;
}

function value(spec: FieldSpec, text: string): number {
  const upper = text.toUpperCase();
  const named = spec.names?.indexOf(upper) ?? -1;
  if (named >= 0) return named + (spec.name === 'month' ? 1 : 0);
  if (!/^\d+$/.test(text)) {
    throw new CronError(spec.name, `${spec.name}: '${text}' is not a number${spec.names ? ` or a name (${spec.names.join(', ')})` : ''}`);
  }
  const n = Number(text);
  if (n < spec.min || n > spec.max) throw new CronError(spec.name, `${spec.name}: ${n} is out of range ${spec.min}-${spec.max}`);
  return n;
}

function parseField(spec: FieldSpec, text: string): Set<number> {
  const out = new Set<number>();
  if (text === '') throw new CronError(spec.name, `${spec.name}: empty`);
  for (const part of text.split(',')) {
    const m = /^([^/]+)(?:\/(.+))?$/.exec(part);
    if (!m) throw new CronError(spec.name, `${spec.name}: '${part}' is not a value, range or step`);
    const [, range, stepText] = m as unknown as [string, string, string | undefined];
    let step = 1;
    if (stepText !== undefined) {
      if (!/^\d+$/.test(stepText) || Number(stepText) < 1) throw new CronError(spec.name, `${spec.name}: step '${stepText}' must be a whole number from 1`);
      step = Number(stepText);
    }
    let lo: number;
    let hi: number;
    if (range === '*') {
      lo = spec.min;
      hi = spec.max;
    } else if (range.includes('-')) {
      const [a, b, extra] = range.split('-');
      if (extra !== undefined || a === undefined || b === undefined) throw new CronError(spec.name, `${spec.name}: '${range}' is not a range A-B`);
      lo = value(spec, a);
      hi = value(spec, b);
      if (lo > hi) throw new CronError(spec.name, `${spec.name}: range ${range} runs backwards`);
    } else {
      lo = value(spec, range);
      hi = stepText !== undefined ? spec.max : lo;
    }
    for (let v = lo; v <= hi; v += step) out.add(spec.name === 'day-of-week' && v === 7 ? 0 : v);
  }
  return out;
}

/** Parses a five-field cron expression; throws CronError naming the field at fault. */
export function parseCron(expr: string): CronExpression {
  const fields = expr.trim().split(/\s+/).filter((f) => f !== '');
  if (fields.length !== 5) {
    throw new CronError('expression', `cron expression '${expr}' has ${fields.length} field(s); it needs 5: minute hour day-of-month month day-of-week`);
  }
  const sets = FIELDS.map((spec, i) => parseField(spec, fields[i]!));
  return {
    source: fields.join(' '),
    minutes: sets[0]!, hours: sets[1]!, daysOfMonth: sets[2]!, months: sets[3]!, daysOfWeek: sets[4]!,
    domRestricted: fields[2] !== '*' && fields[2] !== '?',
    dowRestricted: fields[4] !== '*' && fields[4] !== '?',
  };
}

/** The cron problem of `expr`, or null when it is valid. */
export function cronProblem(expr: string): string | null {
  try {
    parseCron(expr);
    return null;
  } catch (e) {
    if (e instanceof CronError) return e.message;
    throw e;
  }
}

function dayMatches(c: CronExpression, d: Date): boolean {
  if (!c.months.has(d.getUTCMonth() + 1)) return false;
  const dom = c.daysOfMonth.has(d.getUTCDate());
  const dow = c.daysOfWeek.has(d.getUTCDay());
  if (c.domRestricted && c.dowRestricted) return dom || dow;
  if (c.domRestricted) return dom;
  if (c.dowRestricted) return dow;
  return true;
}

const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;
/** How far next/previous look before giving up (e.g. `0 0 31 2 *` never fires). */
const HORIZON_DAYS = 366 * 5;

/** Whether the expression fires in the UTC minute containing `epochMs`. */
export function cronMatches(c: CronExpression, epochMs: number): boolean {
  const d = new Date(epochMs);
  return dayMatches(c, d) && c.hours.has(d.getUTCHours()) && c.minutes.has(d.getUTCMinutes());
}

const sorted = (s: ReadonlySet<number>) => [...s].sort((a, b) => a - b);

/** The first firing strictly after `afterMs` (minute precision), or null within five years. */
export function nextCronTime(c: CronExpression, afterMs: number): number | null {
  const start = Math.floor(afterMs / MINUTE) * MINUTE + MINUTE;
  const hours = sorted(c.hours);
  const minutes = sorted(c.minutes);
  let day = Math.floor(start / DAY) * DAY;
  for (let i = 0; i <= HORIZON_DAYS; i++, day += DAY) {
    if (!dayMatches(c, new Date(day))) continue;
    for (const h of hours) {
      for (const m of minutes) {
        const t = day + h * 60 * MINUTE + m * MINUTE;
        if (t >= start) return t;
      }
    }
  }
  return null;
}

/** The last firing at or before `atOrBeforeMs` (minute precision), or null within five years. */
export function previousCronTime(c: CronExpression, atOrBeforeMs: number): number | null {
  const end = Math.floor(atOrBeforeMs / MINUTE) * MINUTE;
  const hours = sorted(c.hours).reverse();
  const minutes = sorted(c.minutes).reverse();
  let day = Math.floor(end / DAY) * DAY;
  for (let i = 0; i <= HORIZON_DAYS; i++, day -= DAY) {
    if (!dayMatches(c, new Date(day))) continue;
    for (const h of hours) {
      for (const m of minutes) {
        const t = day + h * 60 * MINUTE + m * MINUTE;
        if (t <= end) return t;
      }
    }
  }
  return null;
}
