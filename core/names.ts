// LINSTOR's naming rules, as plain checks (no zod): each returns null when the name is valid or a
// sentence saying what is wrong and what is allowed. core/validation.ts wraps them in zod schemas.
//
// Two families, as in linstor-server's identifier classes:
//  - "LINSTOR names" (resource definitions/resources, resource groups, snapshots, storage pools,
//    volume groups): first character a letter or '_', then letters, digits, '_' and '-';
//    2..48 characters (storage pools 3..48) and at least one letter. Resource names 'all' and
//    'proxy' are DRBD keywords and refused. (design.md's `[A-Za-z_][A-Za-z0-9_-]{0,47}` plus
//    LINSTOR's minimum length and "one letter" rule.)
//  - host names (nodes, remotes, schedules): RFC 1123 host names, 2..255 characters, labels of
//    letters, digits and '-' separated by '.', each label at most 63 characters, not starting
//    with '.' or '-' and not ending with '-'.
//
// A name that passes either check is safe as one element of a host command's argument array,
// in an LV name, a DRBD resource name and a Temporal task queue / workflow id.

export type NameKind =
  | 'node'
  | 'resource'
  | 'resource-definition'
  | 'resource-group'
  | 'volume-group'
  | 'snapshot'
  | 'storage-pool'
  | 'remote'
  | 'schedule';

/** Words used in messages. */
export const nameKindLabel: Readonly<Record<NameKind, string>> = {
  node: 'node name',
  resource: 'resource name',
  'resource-definition': 'resource definition name',
  'resource-group': 'resource group name',
  'volume-group': 'volume group name',
  snapshot: 'snapshot name',
  'storage-pool': 'storage pool name',
  remote: 'remote name',
  schedule: 'schedule name',
};

interface LinstorNameRule {
  readonly family: 'linstor';
  readonly min: number;
  readonly max: number;
  readonly reserved: readonly string[];
}
interface HostNameRule {
  readonly family: 'host';
}
export type NameRule = LinstorNameRule | HostNameRule;

const DRBD_KEYWORDS = ['all', 'proxy'] as const;

export const nameRules: Readonly<Record<NameKind, NameRule>> = {
  node: { family: 'host' },
  remote: { family: 'host' },
  schedule: { family: 'host' },
  resource: { family: 'linstor', min: 2, max: 48, reserved: DRBD_KEYWORDS },
  'resource-definition': { family: 'linstor', min: 2, max: 48, reserved: DRBD_KEYWORDS },
  'resource-group': { family: 'linstor', min: 2, max: 48, reserved: [] },
  'volume-group': { family: 'linstor', min: 2, max: 48, reserved: [] },
  snapshot: { family: 'linstor', min: 2, max: 48, reserved: [] },
  'storage-pool': { family: 'linstor', min: 3, max: 48, reserved: [] },
};

export const LINSTOR_NAME_PATTERN = /^[A-Za-z_][A-Za-z0-9_-]*$/;
export const HOST_NAME_MAX_LENGTH = 255;
export const HOST_LABEL_MAX_LENGTH = 63;

function describeChar(c: string): string {
  const code = c.codePointAt(0) ?? 0;
  if (c === ' ') return "' ' (space)";
  if (code < 0x20 || code === 0x7f) return `control character U+${code.toString(16).toUpperCase().padStart(4, '0')}`;
  return `'${c}'`;
}

function linstorAllowed(rule: LinstorNameRule): string {
  return `${rule.min} to ${rule.max} characters: a letter or '_' first, then letters, digits, '_' or '-', with at least one letter`;
}

/** Checks a LINSTOR-style name; null when valid, else what is wrong and what is allowed. */
export function checkLinstorName(value: string, rule: LinstorNameRule): string | null {
  const allowed = linstorAllowed(rule);
  if (value.length === 0) return `must not be empty; allowed: ${allowed}`;
  if (value.length < rule.min) return `'${value}' is too short (${value.length} < ${rule.min}); allowed: ${allowed}`;
  if (value.length > rule.max) return `is too long (${value.length} > ${rule.max} characters); allowed: ${allowed}`;
  const first = value[0]!;
  if (!/[A-Za-z_]/.test(first)) return `'${value}' cannot begin with ${describeChar(first)}; allowed: ${allowed}`;
  for (const c of value) {
    if (!/[A-Za-z0-9_-]/.test(c)) return `'${value}' cannot contain ${describeChar(c)}; allowed: ${allowed}`;
  }
  if (!/[A-Za-z]/.test(value)) return `'${value}' must contain at least one letter; allowed: ${allowed}`;
  const lower = value.toLowerCase();
  if (rule.reserved.includes(lower)) return `'${value}' is reserved by DRBD (${rule.reserved.join(', ')} are keywords)`;
  return null;
}

const HOST_ALLOWED =
  "a host name of 2 to 255 characters: labels of letters, digits and '-' separated by '.', each label 1 to 63 characters, not beginning with '-' or '.', not ending with '-' or '.'";

/** Checks an RFC 1123 host name as LINSTOR does for nodes, remotes and schedules. */
export function checkHostName(value: string): string | null {
  if (value.length === 0) return `must not be empty; allowed: ${HOST_ALLOWED}`;
  if (value.length < 2) return `'${value}' is too short (${value.length} < 2); allowed: ${HOST_ALLOWED}`;
  if (value.length > HOST_NAME_MAX_LENGTH) return `is too long (${value.length} > ${HOST_NAME_MAX_LENGTH} characters); allowed: ${HOST_ALLOWED}`;
  if (value.startsWith('.') || value.startsWith('-')) return `'${value}' cannot begin with '${value[0]}'; allowed: ${HOST_ALLOWED}`;
  if (value.endsWith('-') || value.endsWith('.')) return `'${value}' cannot end with '${value[value.length - 1]}'; allowed: ${HOST_ALLOWED}`;
  for (const c of value) {
    if (!/[A-Za-z0-9.-]/.test(c)) return `'${value}' cannot contain ${describeChar(c)}; allowed: ${HOST_ALLOWED}`;
  }
  for (const label of value.split('.')) {
    if (label.length === 0) return `'${value}' has an empty label ('..'); allowed: ${HOST_ALLOWED}`;
    if (label.length > HOST_LABEL_MAX_LENGTH) return `'${value}' has a label of ${label.length} characters (> ${HOST_LABEL_MAX_LENGTH}); allowed: ${HOST_ALLOWED}`;
    if (label.startsWith('-') || label.endsWith('-')) return `'${value}' has a label beginning or ending with '-'; allowed: ${HOST_ALLOWED}`;
  }
  return null;
}

/** Checks a name of the given kind; null when valid. */
export function checkName(kind: NameKind, value: string): string | null {
  const rule = nameRules[kind];
  return rule.family === 'host' ? checkHostName(value) : checkLinstorName(value, rule);
}

export function isValidName(kind: NameKind, value: string): boolean {
  return checkName(kind, value) === null;
}
