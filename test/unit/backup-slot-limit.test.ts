// MaxConcurrentBackupsPerNode has one default, the one of core/properties.ts's table (LINSTOR's
// -1: no limit), and the shipping slots of the controller's backup activities use it.
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { Catalog } from '../../catalog/index.js';
import { createBackupActivities, MAX_CONCURRENT_PROP } from '../../activities/controller/backups.js';
import { propertyDef } from '../../core/properties.js';

describe('MaxConcurrentBackupsPerNode', () => {
  let catalog: Catalog;
  beforeEach(async () => {
    catalog = await Catalog.open('sqlite::memory:');
    await catalog.nodes.create({ name: 'node1', address: '127.0.0.1', port: 3366, now: 1 });
  });
  afterEach(async () => {
    await catalog.close();
  });

  it("is LINSTOR's -1 in the property table", () => {
    expect(propertyDef(MAX_CONCURRENT_PROP)?.default).toBe('-1');
  });

  it('set nowhere: no limit, every backup of a node ships at once', async () => {
    const acts = createBackupActivities({ catalog, now: () => 10 });
    for (const holder of ['backup/a/s1', 'backup/b/s1', 'backup/c/s1', 'backup/d/s1']) {
      const a = await acts.backupAcquireSlot({ node: 'node1', holder });
      expect(a).toMatchObject({ acquired: true, limit: -1 });
    }
  });

  it("the node's property wins over the controller's, and the controller's over the default", async () => {
    const acts = createBackupActivities({ catalog, now: () => 10 });
    await catalog.evacuations.setControllerProps({ [MAX_CONCURRENT_PROP]: '3' });
    expect(await acts.backupAcquireSlot({ node: 'node1', holder: 'backup/a/s1' })).toMatchObject({ acquired: true, limit: 3 });
    await catalog.evacuations.setNodeProps('node1', { [MAX_CONCURRENT_PROP]: '5' });
    expect(await acts.backupAcquireSlot({ node: 'node1', holder: 'backup/b/s1' })).toMatchObject({ acquired: true, limit: 5 });
  });
});
