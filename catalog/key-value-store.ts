// LINSTOR's key-value store: named instances, each a small map of string keys to string values that
// clients keep in the controller (linstor-csi keeps its snapshot-to-backup mapping there). An
// instance exists while it has a key; names are matched without regard to case, as LINSTOR does.
import type { Db } from './db.js';

export interface KeyValueStoreRecord {
  name: string;
  props: Record<string, string>;
}

export class KeyValueStore {
  constructor(private readonly db: Db) {}

  async list(): Promise<KeyValueStoreRecord[]> {
    const rows = await this.db.all<{ instance: string; key: string; value: string }>(`SELECT instance, key, value FROM key_value_store ORDER BY instance, key`);
    const out = new Map<string, Record<string, string>>();
    for (const r of rows) (out.get(String(r.instance)) ?? out.set(String(r.instance), {}).get(String(r.instance))!)[String(r.key)] = String(r.value);
    return [...out].map(([name, props]) => ({ name, props }));
  }

  async get(name: string): Promise<KeyValueStoreRecord | undefined> {
    return (await this.list()).find((k) => k.name.toLowerCase() === name.toLowerCase());
  }

  /** Sets (string) and deletes (null) keys in one transaction; the instance keeps the spelling it was created with. */
  async modify(name: string, changes: Readonly<Record<string, string | null>>): Promise<KeyValueStoreRecord> {
    return this.db.tx(async (tx) => {
      const have = await tx.get<{ instance: string }>(`SELECT instance FROM key_value_store WHERE LOWER(instance) = LOWER(?) LIMIT 1`, [name]);
      const instance = have ? String(have.instance) : name;
      for (const [key, value] of Object.entries(changes)) {
        await tx.run(`DELETE FROM key_value_store WHERE instance = ? AND key = ?`, [instance, key]);
        if (value !== null) await tx.run(`INSERT INTO key_value_store (instance, key, value) VALUES (?, ?, ?)`, [instance, key, value]);
      }
      const rows = await tx.all<{ key: string; value: string }>(`SELECT key, value FROM key_value_store WHERE instance = ? ORDER BY key`, [instance]);
      return { name: instance, props: Object.fromEntries(rows.map((r) => [String(r.key), String(r.value)])) };
    });
  }

  /** Removes an instance with all its keys; false when there was none. */
  async delete(name: string): Promise<boolean> {
    return (await this.db.run(`DELETE FROM key_value_store WHERE LOWER(instance) = LOWER(?)`, [name])) > 0;
  }
}
