// The LINSTOR user's guide's argument forms, turned into what ferry's commands send: a schedule's
// full cron as a positional, `--aux KEY` for `Aux/KEY`, `backup abort [REMOTE] RSC`. Pure: the
// commands call these, the unit tests table them.

/** An argument error the CLI reports as bad input (exit 2). */
export type ArgResult<T> = { ok: true; value: T } | { ok: false; message: string };

/**
 * `schedule create NAME FULL_CRON` (the guide) or `--full-cron CRON` (ferry's first form): one of
 * them, or both when they say the same. `required` is false for `schedule modify`.
 */
export function fullCronOf(positional: string | undefined, option: string | undefined, required: boolean): ArgResult<string | undefined> {
  if (positional !== undefined && option !== undefined && positional.trim() !== option.trim()) {
    return { ok: false, message: `the full cron is given twice and differently ('${positional}' and --full-cron '${option}'); give it once` };
  }
  const cron = positional ?? option;
  if (cron === undefined && required) return { ok: false, message: "give the full backup cron: schedule create NAME 'CRON' (5 fields, in quotes)" };
  return { ok: true, value: cron };
}

/**
 * `--keep-local all` / `--keep-remote all` on `schedule modify` (the guide: back to the default,
 * keep everything) is a null; `--max-retries forever` is refused, as ferry bounds its retries.
 */
export function keepOf(v: string | undefined, option: string): ArgResult<string | null | undefined> {
  if (v === undefined) return { ok: true, value: undefined };
  if (v.trim().toLowerCase() === 'all') return { ok: true, value: null };
  if (v.trim().toLowerCase() === 'forever') {
    return { ok: false, message: `${option} forever is not supported: ferry retries a failed scheduled backup a bounded number of times (default 3); give a number` };
  }
  return { ok: true, value: v };
}

/** `set-property --aux KEY VALUE` sets `Aux/KEY` (LINSTOR's client adds the namespace); a key given with `Aux/` already is kept. */
export function auxKeyOf(key: string, aux: boolean | undefined): string {
  if (!aux || key.startsWith('Aux/')) return key;
  return `Aux/${key}`;
}

/** `backup abort REMOTE RSC` (LINSTOR, the guide) or `backup abort RSC` (ferry's first form: any remote). */
export function backupAbortArgs(args: readonly string[]): ArgResult<{ remote?: string; resource: string }> {
  if (args.length === 2) return { ok: true, value: { remote: args[0]!, resource: args[1]! } };
  if (args.length === 1) return { ok: true, value: { resource: args[0]! } };
  return { ok: false, message: `backup abort takes REMOTE RSC (or RSC alone), got ${args.length} argument(s)` };
}
