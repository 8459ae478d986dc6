// `ferry doctor`: what the catalog says against what the hosts and the buckets have. Pure: the
// workflow gathers a catalog view, one report per inspected host and one per remote, and this
// file names the drift and the safe fix of each item. Imported by workflow code (no I/O).

/** What the catalog knows, as the doctor needs it. */
export interface DoctorCatalogView {
  nodes: { name: string; online: boolean }[];
  /** LVM_THIN pools: `vg/thinPool` on a node. LVs of other pools or VGs are not ferry's. */
  pools: { node: string; vg: string; thinPool: string }[];
  /** One per (resource, node). */
  replicas: { resource: string; node: string; diskless: boolean; vg: string | null; volumeNumbers: number[] }[];
  definitions: { name: string; port: number; minors: number[] }[];
  snapshots: { resource: string; snapshot: string; state: string; nodes: { node: string; vg: string }[]; volumeNumbers: number[] }[];
  /** Resource locks held by a running workflow: its LVs and DRBD state are in flight. */
  locks: { resource: string; holder: string }[];
  /** Snapshots kept on a node as the base of the next incremental backup (not catalog snapshots). */
  backupBases: { resource: string; snapshot: string; node: string }[];
  /** Backup slots held (shipments running): workflow ids. */
  backupHolders: string[];
  remotes: string[];
}

export interface HostReport {
  node: string;
  /** Thin volumes (not pools) in the VGs of ferry's pools on this node. */
  lvs: { vg: string; name: string; pool: string | null; origin: string | null }[];
  /** Resources up in DRBD (`drbdsetup status`), with their devices' minors. */
  drbdUp: { resource: string; minors: number[] }[];
  /** `<name>.res` files in the DRBD configuration directory, with the port and minors they hold. */
  resFiles: { resource: string; port: number | null; minors: number[] }[];
}

export interface RemoteReport {
  remote: string;
  /** Backups whose data objects exist but have no .meta (never committed). */
  uncommitted: { id: string; rsc: string; keys: string[]; newestMs: number }[];
  /** Unfinished multipart uploads. */
  uploads: { key: string; uploadId: string; initiatedMs: number | null }[];
  /** Committed backups (.meta present) with data objects missing. */
  broken: { id: string; missingKeys: string[] }[];
}

export type DriftKind =
  | 'orphan-lv' | 'missing-lv' | 'orphan-drbd' | 'drbd-down' | 'orphan-res-file' | 'missing-res-file'
  | 'port-conflict' | 'minor-conflict' | 'port-mismatch' | 'minor-mismatch'
  | 'uncommitted-backup' | 'stale-upload' | 'broken-backup';

/** What `doctor --repair` does for an item (only the safe ones have one). */
export type RepairAction =
  | { kind: 'down-drbd'; node: string; resource: string }
  | { kind: 'remove-res-file'; node: string; resource: string }
  | { kind: 'remove-lv'; node: string; resource: string; vg: string; lv: string }
  | { kind: 'abort-upload'; remote: string; key: string; uploadId: string }
  | { kind: 'discard-uncommitted'; remote: string; id: string; keys: string[] };

export interface DriftItem {
  kind: DriftKind;
  /** The LV (`vg/lv`), resource, object key or backup id. */
  object: string;
  node: string | null;
  remote: string | null;
  detail: string;
  /** The safe fix, in words. */
  fix: string;
  /** What --repair would do; null when only an operator can decide. */
  repair: RepairAction | null;
  /** A running operation holds it: not drift yet, reported and left alone. */
  inFlight: boolean;
}

export interface DoctorReport {
  checkedAt: number;
  nodes: { node: string; inspected: boolean; reason?: string }[];
  remotes: { remote: string; inspected: boolean; reason?: string }[];
  /** Drift that is not in flight. */
  drift: DriftItem[];
  /** Items a running operation holds: skipped. */
  inFlight: DriftItem[];
}

export interface DoctorOptions {
  /** Uncommitted backups and uploads younger than this are in flight (a shipment still running). */
  graceMs: number;
  now: number;
}

export const DEFAULT_DOCTOR_GRACE_MS = 60 * 60 * 1000;

/** `<rsc>_<vlmNr:05d>` or `<rsc>_<vlmNr:05d>_<snapshot>`, as ferry names its LVs; null otherwise. */
export function parseFerryLvName(name: string): { resource: string; volumeNumber: number; snapshot: string | null } | null {
  const m = /^([A-Za-z_][A-Za-z0-9_-]*?)_(\d{5})(?:_([A-Za-z0-9_-]+))?$/.exec(name);
  if (!m) return null;
  return { resource: m[1]!, volumeNumber: Number(m[2]), snapshot: m[3] ?? null };
}

/** The port and minors a `.res` file written by core/drbd-config.ts holds. */
export function resFileUsage(text: string): { port: number | null; minors: number[] } {
  const port = /address\s+ipv[46]\s+\S*:(\d+)\s*;/.exec(text);
  const minors = [...text.matchAll(/device\s+minor\s+(\d+)\s*;/g)].map((m) => Number(m[1]));
  return { port: port ? Number(port[1]) : null, minors: [...new Set(minors)].sort((a, b) => a - b) };
}

const pad5 = (n: number) => String(n).padStart(5, '0');

/**
 * The drift between catalog and hosts / buckets. `views` are the catalog read before and after the
 * hosts were inspected: anything either one references is not an orphan, anything either one has
 * locked is in flight (an operation that started or ended while the doctor looked).
 */
export function findDrift(views: DoctorCatalogView[], hosts: HostReport[], remotes: RemoteReport[], opts: DoctorOptions): DriftItem[] {
  const out: DriftItem[] = [];
  const lockedRows = new Set(views.flatMap((v) => v.locks.map((l) => l.resource)));
  const shipping = views.flatMap((v) => v.backupHolders);
  // a running shipment (`backup/<rsc>/<snap>`) holds its snapshot LVs without the resource lock
  const locked = { has: (rsc: string) => lockedRows.has(rsc) || shipping.some((h) => h.split('/').includes(rsc)) };
  const known = (resource: string, node: string) => views.some((v) => v.replicas.some((r) => r.resource === resource && r.node === node));
  const definition = (resource: string) => views.map((v) => v.definitions.find((d) => d.name === resource)).find(Boolean);
  const portOwner = (port: number) => views.map((v) => v.definitions.find((d) => d.port === port)).find(Boolean)?.name;
  const minorOwner = (minor: number) => views.map((v) => v.definitions.find((d) => d.minors.includes(minor))).find(Boolean)?.name;
  const last = views[views.length - 1]!;

  for (const h of hosts) {
    const node = h.node;
    const referenced = new Set<string>();
    for (const v of views) {
      for (const r of v.replicas) {
        if (r.node !== node || r.diskless || !r.vg) continue;
        for (const n of r.volumeNumbers) referenced.add(`${r.vg}/${r.resource}_${pad5(n)}`);
      }
      for (const s of v.snapshots) {
        for (const sn of s.nodes) if (sn.node === node) for (const n of s.volumeNumbers) referenced.add(`${sn.vg}/${s.resource}_${pad5(n)}_${s.snapshot}`);
      }
    }
    const have = new Set(h.lvs.map((lv) => `${lv.vg}/${lv.name}`));
    const bases = new Set<string>();
    for (const v of views) {
      for (const b of v.backupBases) {
        if (b.node !== node) continue;
        const vols = v.definitions.find((d) => d.name === b.resource)?.minors.length ?? 1;
        for (let n = 0; n < Math.max(vols, 1); n++) bases.add(`${b.resource}_${pad5(n)}_${b.snapshot}`);
      }
    }

    // LVs the catalog does not know
    for (const lv of h.lvs) {
      const id = `${lv.vg}/${lv.name}`;
      if (referenced.has(id) || bases.has(lv.name)) continue;
      const parsed = parseFerryLvName(lv.name);
      const inFlight = parsed !== null && locked.has(parsed.resource);
      out.push({
        kind: 'orphan-lv', object: id, node, remote: null,
        detail: parsed ? `${parsed.snapshot ? `snapshot LV of '${parsed.resource}'` : `LV of '${parsed.resource}'`}, not in the catalog on ${node}` : `thin LV in ferry's pool, not named like a ferry volume`,
        fix: parsed ? `lvremove ${id}` : `not ferry's name: check by hand, then lvremove ${id}`,
        repair: parsed ? { kind: 'remove-lv', node, resource: parsed.resource, vg: lv.vg, lv: lv.name } : null,
        inFlight,
      });
    }

    // LVs the catalog has and the host does not
    for (const r of last.replicas) {
      if (r.node !== node || r.diskless || !r.vg) continue;
      for (const n of r.volumeNumbers) {
        const id = `${r.vg}/${r.resource}_${pad5(n)}`;
        if (have.has(id)) continue;
        out.push({ kind: 'missing-lv', object: id, node, remote: null, detail: `replica of '${r.resource}' has no backing LV`, fix: `ferry resource delete ${node} ${r.resource}, then place the replica again`, repair: null, inFlight: locked.has(r.resource) });
      }
    }
    for (const s of last.snapshots) {
      for (const sn of s.nodes) {
        if (sn.node !== node) continue;
        for (const n of s.volumeNumbers) {
          const id = `${sn.vg}/${s.resource}_${pad5(n)}_${s.snapshot}`;
          if (have.has(id)) continue;
          out.push({ kind: 'missing-lv', object: id, node, remote: null, detail: `snapshot '${s.snapshot}' of '${s.resource}' (${s.state}) has no LV here`, fix: `ferry snapshot delete ${s.resource} ${s.snapshot}`, repair: null, inFlight: s.state !== 'Successful' || locked.has(s.resource) });
        }
      }
    }

    // DRBD: up / .res files the catalog does not know, and the other way round
    const up = new Set(h.drbdUp.map((d) => d.resource));
    const files = new Set(h.resFiles.map((f) => f.resource));
    for (const d of h.drbdUp) {
      if (known(d.resource, node)) continue;
      out.push({ kind: 'orphan-drbd', object: d.resource, node, remote: null, detail: `DRBD resource up (minors ${d.minors.join(',') || '-'}), not in the catalog on ${node}`, fix: `drbdadm down ${d.resource}; remove ${d.resource}.res`, repair: { kind: 'down-drbd', node, resource: d.resource }, inFlight: locked.has(d.resource) });
    }
    for (const f of h.resFiles) {
      if (known(f.resource, node) || up.has(f.resource)) continue;
      out.push({ kind: 'orphan-res-file', object: `${f.resource}.res`, node, remote: null, detail: `resource file (port ${f.port ?? '-'}), not in the catalog on ${node}`, fix: `remove ${f.resource}.res`, repair: { kind: 'remove-res-file', node, resource: f.resource }, inFlight: locked.has(f.resource) });
    }
    for (const r of last.replicas) {
      if (r.node !== node) continue;
      if (!up.has(r.resource)) out.push({ kind: 'drbd-down', object: r.resource, node, remote: null, detail: `in the catalog on ${node} but not up in DRBD`, fix: `drbdadm adjust ${r.resource} on ${node}`, repair: null, inFlight: locked.has(r.resource) });
      if (!files.has(r.resource)) out.push({ kind: 'missing-res-file', object: `${r.resource}.res`, node, remote: null, detail: `in the catalog on ${node} but no resource file`, fix: `re-apply the resource (ferry node restore ${node}, or delete and place the replica again)`, repair: null, inFlight: locked.has(r.resource) });
    }

    // ports and minors: held by what the catalog gives to another resource, or not the catalog's
    for (const f of h.resFiles) {
      const own = definition(f.resource);
      const isKnown = known(f.resource, node);
      if (f.port !== null) {
        const owner = portOwner(f.port);
        if (owner !== undefined && owner !== f.resource) {
          out.push({ kind: 'port-conflict', object: `port ${f.port}`, node, remote: null, detail: `${f.resource}.res holds port ${f.port} of '${owner}'`, fix: isKnown ? `re-apply '${f.resource}'` : `removing the orphan ${f.resource}.res frees it`, repair: null, inFlight: locked.has(f.resource) || locked.has(owner) });
        } else if (isKnown && own && own.port !== f.port) {
          out.push({ kind: 'port-mismatch', object: `port ${f.port}`, node, remote: null, detail: `${f.resource}.res has port ${f.port}, the catalog ${own.port}`, fix: `re-apply '${f.resource}' (drbdadm adjust after the .res is rewritten)`, repair: null, inFlight: locked.has(f.resource) });
        }
      }
    }
    const minorsOf = new Map<string, number[]>();
    for (const f of h.resFiles) minorsOf.set(f.resource, f.minors);
    for (const d of h.drbdUp) minorsOf.set(d.resource, [...new Set([...(minorsOf.get(d.resource) ?? []), ...d.minors])]);
    for (const [resource, minors] of minorsOf) {
      const own = definition(resource);
      const isKnown = known(resource, node);
      for (const m of minors) {
        const owner = minorOwner(m);
        if (owner !== undefined && owner !== resource) {
          out.push({ kind: 'minor-conflict', object: `minor ${m}`, node, remote: null, detail: `'${resource}' holds minor ${m} of '${owner}'`, fix: isKnown ? `re-apply '${resource}'` : `taking the orphan '${resource}' down frees it`, repair: null, inFlight: locked.has(resource) || locked.has(owner) });
        } else if (isKnown && own && !own.minors.includes(m)) {
          out.push({ kind: 'minor-mismatch', object: `minor ${m}`, node, remote: null, detail: `'${resource}' uses minor ${m}, the catalog ${own.minors.join(',')}`, fix: `re-apply '${resource}'`, repair: null, inFlight: locked.has(resource) });
        }
      }
    }
  }

  for (const r of remotes) {
    for (const b of r.uncommitted) {
      const young = opts.now - b.newestMs < opts.graceMs;
      const running = shipping.some((h) => h.split('/').includes(b.rsc));
      out.push({ kind: 'uncommitted-backup', object: b.id, node: null, remote: r.remote, detail: `${b.keys.length} data object(s) without a .meta${young ? ' (younger than the grace period)' : ''}`, fix: `delete its data objects`, repair: { kind: 'discard-uncommitted', remote: r.remote, id: b.id, keys: b.keys }, inFlight: young || running });
    }
    for (const u of r.uploads) {
      const young = u.initiatedMs !== null && opts.now - u.initiatedMs < opts.graceMs;
      out.push({ kind: 'stale-upload', object: u.key, node: null, remote: r.remote, detail: `multipart upload ${u.uploadId.slice(0, 16)} started ${u.initiatedMs === null ? 'at an unknown time' : new Date(u.initiatedMs).toISOString()}`, fix: 'abort the multipart upload', repair: { kind: 'abort-upload', remote: r.remote, key: u.key, uploadId: u.uploadId }, inFlight: young });
    }
    for (const b of r.broken) {
      out.push({ kind: 'broken-backup', object: b.id, node: null, remote: r.remote, detail: `.meta present, data missing: ${b.missingKeys.join(', ')}`, fix: `ferry backup delete ${r.remote} ${b.id} (it cannot be restored)`, repair: null, inFlight: false });
    }
  }
  return out;
}

/** Repair order: DRBD down before its .res and LVs go; snapshot LVs before their origins; S3 last. */
export function repairOrder(actions: RepairAction[]): RepairAction[] {
  const rank = (a: RepairAction) => ({ 'down-drbd': 0, 'remove-res-file': 1, 'remove-lv': 2, 'abort-upload': 3, 'discard-uncommitted': 4 })[a.kind];
  const snap = (a: RepairAction) => (a.kind === 'remove-lv' && parseFerryLvName(a.lv)?.snapshot ? 0 : 1);
  return [...actions].sort((a, b) => rank(a) - rank(b) || snap(a) - snap(b));
}

/** The actions --repair takes: the repairable drift items not in flight. */
export function repairPlan(report: DoctorReport): RepairAction[] {
  return repairOrder(report.drift.filter((d) => !d.inFlight && d.repair !== null).map((d) => d.repair!));
}

/** One line of an action, for the plan and the result. */
export function describeRepair(a: RepairAction): string {
  switch (a.kind) {
    case 'down-drbd': return `${a.node}: drbdadm down ${a.resource}; remove ${a.resource}.res`;
    case 'remove-res-file': return `${a.node}: remove ${a.resource}.res`;
    case 'remove-lv': return `${a.node}: lvremove ${a.vg}/${a.lv}`;
    case 'abort-upload': return `${a.remote}: abort multipart upload of ${a.key}`;
    case 'discard-uncommitted': return `${a.remote}: delete ${a.keys.length} data object(s) of uncommitted backup ${a.id}`;
  }
}

/** `30s`, `15m`, `2h`, `1d` (or a number of seconds) in milliseconds; null when not a duration. */
export function parseGrace(text: string): number | null {
  const m = /^(\d{1,9})([smhd]?)$/.exec(text.trim());
  if (!m) return null;
  return Number(m[1]) * { '': 1e3, s: 1e3, m: 60e3, h: 3600e3, d: 86400e3 }[m[2] as '' | 's' | 'm' | 'h' | 'd'];
}
