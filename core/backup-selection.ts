// Which backups a `backup delete` removes (user's guide 3.12, "backup delete"): by id, by id prefix,
// by filter (made before a time, by a resource, uploaded by a node; combined with AND), or all
// (optionally only this cluster's). A selected backup that others are based on takes them along
// only with cascade; without it the delete is refused naming them. Cascade follows children,
// never parents. Pure: the caller lists the bucket and reads the .meta files.

export type BackupSelector =
  | { kind: 'id'; id: string }
  | { kind: 'prefix'; prefix: string }
  | { kind: 'filter'; beforeMs?: number; resource?: string; node?: string }
  | { kind: 'all'; clusterId?: string };

export interface SelectableBackup {
  id: string;
  rsc: string;
  timestampMs: number;
  /** from the .meta: the node that uploaded it */
  node?: string;
  /** from the .meta: the backup it is based on */
  parent?: string;
  /** from the .meta: the cluster that made it */
  clusterId?: string;
}

export interface BackupSelection {
  /** every backup to delete, descendants before their ancestors */
  backups: string[];
  /** the backups the selector matched (before cascade) */
  matched: string[];
  /** backups based on a matched one that the selector did not match (deleted only with cascade) */
  dependents: string[];
}

export class NothingSelectedError extends Error {
  override readonly name = 'NothingSelectedError';
}

export class DependentBackupsError extends Error {
  override readonly name = 'BackupHasDependentsError';
  constructor(readonly matched: string[], readonly dependents: string[]) {
    super(`${matched.length === 1 ? `backup ${matched[0]}` : `${matched.length} selected backups`} cannot be deleted: ${dependents.length} other backup(s) are based on ${matched.length === 1 ? 'it' : 'them'} (${dependents.join(', ')}); use --cascade to delete them too`);
  }
}

export function describeSelector(s: BackupSelector): string {
  switch (s.kind) {
    case 'id': return `id ${s.id}`;
    case 'prefix': return `ids starting with '${s.prefix}'`;
    case 'all': return s.clusterId ? 'all backups of this cluster' : 'all backups';
    case 'filter': {
      const parts = [
        s.beforeMs !== undefined ? `made before ${new Date(s.beforeMs).toISOString()}` : '',
        s.resource ? `of resource '${s.resource}'` : '',
        s.node ? `uploaded by node '${s.node}'` : '',
      ].filter(Boolean);
      return `backups ${parts.join(', ')}`;
    }
  }
}

function matches(s: BackupSelector, b: SelectableBackup): boolean {
  switch (s.kind) {
    case 'id': return b.id === s.id;
    case 'prefix': return b.id.startsWith(s.prefix);
    case 'all': return s.clusterId === undefined || b.clusterId === s.clusterId;
    case 'filter':
      return (s.beforeMs === undefined || b.timestampMs < s.beforeMs)
        && (s.resource === undefined || b.rsc === s.resource)
        && (s.node === undefined || b.node === s.node);
  }
}

/** A filter with no criterion would select everything: refuse it (use `all` for that). */
export function checkSelector(s: BackupSelector): string | null {
  if (s.kind === 'filter' && s.beforeMs === undefined && s.resource === undefined && s.node === undefined) {
    return 'backup delete filter needs at least one of -t TIME, -r RESOURCE, -n NODE (delete everything with `all`)';
  }
  if (s.kind === 'prefix' && s.prefix === '') return 'backup delete id --prefix needs a non-empty prefix (delete everything with `all`)';
  return null;
}

export function selectBackups(all: SelectableBackup[], s: BackupSelector, cascade: boolean): BackupSelection {
  const problem = checkSelector(s);
  if (problem) throw new NothingSelectedError(problem);
  const matched = all.filter((b) => matches(s, b)).map((b) => b.id);
  if (matched.length === 0) throw new NothingSelectedError(`no backup matches: ${describeSelector(s)}`);
  const children = new Map<string, string[]>();
  for (const b of all) {
    if (b.parent !== undefined && b.parent !== b.id) children.set(b.parent, [...(children.get(b.parent) ?? []), b.id]);
  }
  // the closure over children, breadth first from the matched ones
  const order = [...matched];
  const inOrder = new Set(order);
  for (let i = 0; i < order.length; i += 1) {
    for (const c of children.get(order[i]!) ?? []) {
      if (!inOrder.has(c)) {
        inOrder.add(c);
        order.push(c);
      }
    }
  }
  const matchedSet = new Set(matched);
  const dependents = order.filter((id) => !matchedSet.has(id));
  if (dependents.length > 0 && !cascade) throw new DependentBackupsError(matched, dependents);
  // descendants before ancestors: sort by depth in the chain, deepest first
  const byId = new Map(all.map((b) => [b.id, b]));
  const depth = (id: string): number => {
    let d = 0;
    let cur = byId.get(id);
    const seen = new Set<string>();
    while (cur?.parent !== undefined && byId.has(cur.parent) && !seen.has(cur.id)) {
      seen.add(cur.id);
      d += 1;
      cur = byId.get(cur.parent);
    }
    return d;
  };
  const backups = [...order].sort((a, b) => depth(b) - depth(a) || (byId.get(b)?.timestampMs ?? 0) - (byId.get(a)?.timestampMs ?? 0));
  return { backups, matched, dependents };
}
