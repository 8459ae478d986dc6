// Resource groups (LINSTOR's templates for resource definitions: a select filter for the
// autoplacer, properties inherited by their definitions) and the property maps of the objects
// that `set-property` changes: resource groups, resource definitions, resources, storage pools,
// and the controller's (read only here: the controller level of the effective view).
import type { Db, Row } from './db.js';
import type { AuxMatchInput } from '../core/autoplacer.js';

/** What a resource group tells the autoplacer (LINSTOR's AutoSelectFilter). */
export interface SelectFilter {
  placeCount?: number;
  storagePool?: string[];
  replicasOnSame?: AuxMatchInput[];
  replicasOnDifferent?: AuxMatchInput[];
  doNotPlaceWith?: string[];
  doNotPlaceWithRegex?: string;
  disklessOnRemaining?: boolean;
  /** LINSTOR's layer_stack: ferry deploys DRBD over STORAGE only, so this is ['DRBD', 'STORAGE'] or unset. */
  layerStack?: string[];
  /** LINSTOR's provider_list: the storage providers the autoplacer may choose (ferry: LVM_THIN). */
  providerList?: string[];
}

export interface ResourceGroupRecord {
  name: string;
  description: string;
  selectFilter: SelectFilter;
  props: Record<string, string>;
  createdAt: number;
}

/** The objects with their own property map. */
export type PropertyTarget =
  | { kind: 'resource-group'; name: string }
  | { kind: 'resource-definition'; resource: string }
  | { kind: 'volume-definition'; resource: string; volumeNumber: number }
  | { kind: 'resource'; resource: string; node: string }
  | { kind: 'storage-pool'; node: string; pool: string };

const json = <T>(v: unknown): T => JSON.parse(String(v)) as T;

function toRg(r: Row): ResourceGroupRecord {
  return {
    name: String(r.name),
    description: String(r.description ?? ''),
    selectFilter: json<SelectFilter>(r.select_filter),
    props: json<Record<string, string>>(r.props),
    createdAt: Number(r.created_at),
  };
}

/** The table and key columns of a property target. */
function where(t: PropertyTarget): { table: string; cond: string; params: (string | number)[] } {
  switch (t.kind) {
    case 'resource-group':
      return { table: 'resource_groups', cond: 'name = ?', params: [t.name] };
    case 'resource-definition':
      return { table: 'resource_definitions', cond: 'name = ?', params: [t.resource] };
    case 'volume-definition':
      return { table: 'volume_definitions', cond: 'resource = ? AND volume_number = ?', params: [t.resource, t.volumeNumber] };
    case 'resource':
      return { table: 'resources', cond: 'resource = ? AND node = ?', params: [t.resource, t.node] };
    case 'storage-pool':
      return { table: 'storage_pools', cond: 'node = ? AND name = ?', params: [t.node, t.pool] };
  }
}

export class ResourceGroupStore {
  constructor(private readonly db: Db) {}

  async list(): Promise<ResourceGroupRecord[]> {
    return (await this.db.all(`SELECT * FROM resource_groups ORDER BY name`)).map(toRg);
  }

  async get(name: string): Promise<ResourceGroupRecord | undefined> {
    const r = await this.db.get(`SELECT * FROM resource_groups WHERE name = ?`, [name]);
    return r ? toRg(r) : undefined;
  }

  /** Inserts a group; an existing one is returned as it is (the caller decides whether that is a retry). */
  async create(g: { name: string; description?: string; selectFilter: SelectFilter; props?: Record<string, string>; now: number }): Promise<{ created: boolean; record: ResourceGroupRecord }> {
    return this.db.tx(async (tx) => {
      const existing = await tx.get(`SELECT * FROM resource_groups WHERE name = ?`, [g.name]);
      if (existing) return { created: false, record: toRg(existing) };
      await tx.run(`INSERT INTO resource_groups (name, description, select_filter, props, created_at) VALUES (?, ?, ?, ?, ?)`,
        [g.name, g.description ?? '', JSON.stringify(g.selectFilter), JSON.stringify(g.props ?? {}), g.now]);
      return { created: true, record: toRg((await tx.get(`SELECT * FROM resource_groups WHERE name = ?`, [g.name]))!) };
    });
  }

  /** Replaces the select filter fields given (undefined keeps, null clears) and the description. */
  async modify(name: string, change: { description?: string; selectFilter?: Partial<Record<keyof SelectFilter, unknown>> }): Promise<ResourceGroupRecord | undefined> {
    return this.db.tx(async (tx) => {
      const cur = await tx.get(`SELECT * FROM resource_groups WHERE name = ?`, [name]);
      if (!cur) return undefined;
      const rg = toRg(cur);
      const sf: Record<string, unknown> = { ...rg.selectFilter };
      for (const [k, v] of Object.entries(change.selectFilter ?? {})) {
        if (v === null) delete sf[k];
        else if (v !== undefined) sf[k] = v;
      }
      await tx.run(`UPDATE resource_groups SET select_filter = ?, description = ? WHERE name = ?`,
        [JSON.stringify(sf), change.description ?? rg.description, name]);
      return toRg((await tx.get(`SELECT * FROM resource_groups WHERE name = ?`, [name]))!);
    });
  }

  /** The resource definitions in a group. */
  async definitionsOf(name: string): Promise<string[]> {
    return (await this.db.all<{ name: string }>(`SELECT name FROM resource_definitions WHERE resource_group = ? ORDER BY name`, [name])).map((r) => String(r.name));
  }

  /** Deletes a group no resource definition uses; 'in-use' otherwise. */
  async delete(name: string): Promise<'deleted' | 'missing' | 'in-use'> {
    return this.db.tx(async (tx) => {
      if (await tx.get(`SELECT name FROM resource_definitions WHERE resource_group = ?`, [name])) return 'in-use';
      return (await tx.run(`DELETE FROM resource_groups WHERE name = ?`, [name])) > 0 ? 'deleted' : 'missing';
    });
  }

  // ---- properties ---------------------------------------------------------------------------

  async props(t: PropertyTarget): Promise<Record<string, string> | undefined> {
    const w = where(t);
    const r = await this.db.get<{ props: string }>(`SELECT props FROM ${w.table} WHERE ${w.cond}`, w.params);
    return r ? json<Record<string, string>>(r.props) : undefined;
  }

  /** Sets (string) or deletes (null) keys of one object's map in one transaction; false when the object is gone. */
  async setProps(t: PropertyTarget, changes: Readonly<Record<string, string | null>>): Promise<boolean> {
    const w = where(t);
    return this.db.tx(async (tx) => {
      const r = await tx.get<{ props: string }>(`SELECT props FROM ${w.table} WHERE ${w.cond}`, w.params);
      if (!r) return false;
      const props = json<Record<string, string>>(r.props);
      for (const [k, v] of Object.entries(changes)) {
        if (v === null) delete props[k];
        else props[k] = v;
      }
      await tx.run(`UPDATE ${w.table} SET props = ? WHERE ${w.cond}`, [JSON.stringify(props), ...w.params]);
      return true;
    });
  }

  async controllerProps(): Promise<Record<string, string>> {
    const rows = await this.db.all<{ key: string; value: string }>(`SELECT key, value FROM controller_props`);
    return Object.fromEntries(rows.map((r) => [String(r.key), String(r.value)]));
  }

  /** Grows a volume definition's recorded size (never shrinks it). */
  async growVolumeDefinition(resource: string, volumeNumber: number, sizeBytes: number): Promise<boolean> {
    return (await this.db.run(`UPDATE volume_definitions SET size_bytes = ? WHERE resource = ? AND volume_number = ? AND size_bytes <= ?`,
      [sizeBytes, resource, volumeNumber, sizeBytes])) > 0;
  }
}
