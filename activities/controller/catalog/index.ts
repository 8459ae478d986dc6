// The catalog: the only code that reads or writes ferry's record of the cluster.
import { openDb, type Db } from './db.js';
import { NodeStore } from './nodes.js';
import { migrate } from './schema.js';

export class Catalog {
  readonly nodes: NodeStore;
  private constructor(readonly db: Db) {
    this.nodes = new NodeStore(db);
  }

  static async open(url: string): Promise<Catalog> {
    const db = await openDb(url);
    await migrate(db);
    return new Catalog(db);
  }

  close(): Promise<void> {
    return this.db.close();
  }
}

export type { HostInventory, HostThinPool } from './nodes.js';
