// Error reports (as LINSTOR's `error-reports`): one record per distinct failure of an activity or a
// workflow, with what an operator needs to find why: the node, the operation, the failing command
// line, its exit code and the tail of its stderr. Secrets never get in: redactReport() removes the
// values of secret-looking options, variables and fields, and any known secret string.
// Pure module.

export type ErrorReportSource = 'activity' | 'workflow';

export interface ErrorReportInput {
  source: ErrorReportSource;
  /** The node whose agent ran the failing activity, or the workflow's FerryNode; null on the controller. */
  node: string | null;
  workflowId: string;
  runId: string | null;
  workflowType: string | null;
  activityType: string | null;
  attempt: number | null;
  /** ApplicationFailure type / error class name, e.g. HostCommandError. */
  errorType: string;
  message: string;
  /** The host command that failed, as one quoted line. */
  commandLine: string | null;
  exitCode: number | null;
  stderrTail: string | null;
  /** When it happened (ms since epoch). */
  at: number;
}

export interface ErrorReport extends ErrorReportInput {
  id: string;
  /** The operation's page in the Temporal Web UI (added by the REST API from its configuration). */
  workflowUrl?: string;
  /** The same failure seen again (e.g. retried attempts) counts up instead of adding reports. */
  count: number;
  firstAt: number;
  lastAt: number;
}

/** Names of options, variables and JSON fields whose values are secrets (pino's REDACT_PATHS words and S3 keys). */
const SECRET_WORDS = ['secret[_-]?key', 'secret[_-]?access[_-]?key', 'access[_-]?key(?:[_-]?id)?', 'passphrase', 'password', 'authorization', 'token', 'session[_-]?token'];
const WORD = `(?:${SECRET_WORDS.join('|')})`;
const PATTERNS: RegExp[] = [
  // --secret-key VALUE / --secret-key=VALUE
  new RegExp(`(--?[A-Za-z0-9_-]*${WORD}[A-Za-z0-9_-]*)([= ])('[^']*'|"[^"]*"|\\S+)`, 'gi'),
  // AWS_SECRET_ACCESS_KEY=VALUE, passphrase: VALUE, "secretKey":"VALUE"
  new RegExp(`([A-Za-z0-9_]*${WORD}[A-Za-z0-9_]*"?\\s*[:=]\\s*)("[^"]*"|'[^']*'|[^\\s,;&]+)`, 'gi'),
  // Authorization: Bearer/AWS4-HMAC-SHA256 ...
  /(Bearer|AWS4-HMAC-SHA256)\s+[^\s]+/g,
];

export const REDACTED = '[redacted]';

/** Removes secrets from a text: values of secret-looking options/fields, and every string of `known`. */
export function redactText(text: string, known: readonly string[] = []): string {
  let out = text;
  for (const secret of known) if (secret && secret.length >= 4) out = out.split(secret).join(REDACTED);
  // credentials after an auth scheme first: `Authorization: Bearer X` would otherwise lose only the scheme
  out = out.replace(PATTERNS[2]!, (_m, scheme: string) => `${scheme} ${REDACTED}`);
  out = out.replace(PATTERNS[0]!, (_m, opt: string, sep: string) => `${opt}${sep}${REDACTED}`);
  out = out.replace(PATTERNS[1]!, (_m, key: string) => `${key}${REDACTED}`);
  return out;
}

export function redactReport<T extends ErrorReportInput>(r: T, known: readonly string[] = []): T {
  const red = (v: string | null) => (v === null ? null : redactText(v, known));
  return { ...r, message: redactText(r.message, known), commandLine: red(r.commandLine), stderrTail: red(r.stderrTail) };
}

/** Same failure, same report: the workflow, the activity and the error's message without digits that vary. */
export function errorFingerprint(r: ErrorReportInput): string {
  return [r.source, r.workflowId, r.node ?? '', r.activityType ?? r.workflowType ?? '', r.errorType, r.commandLine ?? '', r.exitCode ?? '', r.message].join('\u0000');
}

/** A short stable id from the fingerprint (FNV-1a, 2 x 32 bit): `ER-xxxxxxxx-xxxxxxxx`. */
export function errorReportId(fingerprint: string): string {
  let h1 = 0x811c9dc5;
  let h2 = 0x01000193 ^ fingerprint.length;
  for (let i = 0; i < fingerprint.length; i++) {
    const c = fingerprint.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 0x01000193) >>> 0;
    h2 = Math.imul(h2 ^ c, 0x5bd1e995) >>> 0;
  }
  const hex = (n: number) => n.toString(16).toUpperCase().padStart(8, '0');
  return `ER-${hex(h1)}-${hex(h2)}`;
}

/** Secret values this process knows (environment variables named like secrets), to scrub literally. */
export function knownSecretsFromEnv(env: Readonly<Record<string, string | undefined>>): string[] {
  const re = new RegExp(WORD, 'i');
  return Object.entries(env).filter(([k, v]) => re.test(k) && v && v.length >= 4).map(([, v]) => v!);
}
