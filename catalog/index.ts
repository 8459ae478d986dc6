// The catalog: the only code that reads or writes ferry's record of the cluster.
import { openDb, type Db } from './db.js';
import { NodeStore } from './nodes.js';
import { StoragePoolStore } from './pools.js';
import { ResourceStore } from './resources.js';
import { EvacuationStore } from './evacuations.js';
import { RemoteStore } from './remotes.js';
import { ErrorReportStore } from './error-reports.js';
import { SnapshotStore } from './snapshots.js';
import { ResourceGroupStore } from './resource-groups.js';
import { ScheduleStore } from './schedules.js';
import { KeyValueStore } from './key-value-store.js';
import { migrate } from './schema.js';

export class Catalog {
  readonly nodes: NodeStore;
  readonly storagePools: StoragePoolStore;
  readonly resources: ResourceStore;
  readonly evacuations: EvacuationStore;
  readonly snapshots: SnapshotStore;
  readonly remotes: RemoteStore;
  readonly errorReports: ErrorReportStore;
  readonly schedules: ScheduleStore;
  readonly resourceGroups: ResourceGroupStore;
  readonly keyValueStore: KeyValueStore;
  private constructor(readonly db: Db) {
    this.nodes = new NodeStore(db);
    this.storagePools = new StoragePoolStore(db);
    this.resources = new ResourceStore(db);
    this.evacuations = new EvacuationStore(db);
    this.snapshots = new SnapshotStore(db);
    this.errorReports = new ErrorReportStore(db);
    this.remotes = new RemoteStore(db);
    this.schedules = new ScheduleStore(db);
    this.resourceGroups = new ResourceGroupStore(db);
    this.keyValueStore = new KeyValueStore(db);
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
export type { StoragePoolRecord, PoolProvider } from './pools.js';
export { DISKLESS_POOL } from './pools.js';
export type { ResourceDefinitionRecord, VolumeDefinitionRecord, ResourceRecord, VolumeRecord, ResourceFlag } from './resources.js';
export type { RemoteRecord, LastBackupRecord, BackupSlot } from './remotes.js';
export type { SnapshotRecord, SnapshotNodeRecord, SnapshotState } from './snapshots.js';
export type { KeyValueStoreRecord } from './key-value-store.js';
export type { ResourceGroupRecord, SelectFilter, PropertyTarget } from './resource-groups.js';
