// The one-line summaries the Web UI shows on activities: the host command, the node, the resource.
import { describe, expect, it } from '@jest/globals';
import { activitySummary, NODE_ACTIVITY_COMMANDS } from '../../core/activity-summaries.js';
import { nodeOfQueue, nodeQueueFor } from '../../core/operations.js';
import { createNodeActivities } from '../../activities/node/activities.js';
import { createBackupNodeActivities } from '../../activities/node/backups.js';
import { createDoctorNodeActivities } from '../../activities/node/doctor.js';
import { createEvacuationNodeActivities } from '../../activities/node/evacuation.js';
import { createResizeNodeActivities } from '../../activities/node/resize.js';
import { createResourceNodeActivities } from '../../activities/node/resources.js';
import { createSnapshotNodeActivities } from '../../activities/node/snapshots.js';

describe('activity summaries', () => {
  it('name the host command, the node and the resource of a node activity', () => {
    expect(activitySummary('adjustDrbd', 'node2', ['db0'])).toBe('drbdadm adjust on node2 for db0');
    expect(activitySummary('createSnapshot', 'node1', [{ resource: 'db0', snapshot: 's1', volumes: [] }])).toBe('lvcreate -s (thin snapshots) on node1 for db0');
    expect(activitySummary('inventory', 'node3', [])).toBe('vgs, lvs on node3');
    expect(activitySummary('applyResource', 'node1', [{ layout: { resource: 'db0', volumes: [] }, isNew: true }])).toBe('lvcreate -T, write .res, drbdadm create-md, drbdadm adjust on node1 for db0');
  });

  it('are left out for controller activities and unknown queues', () => {
    expect(activitySummary('catalogLockResource', 'node1', [{ resource: 'db0' }])).toBeNull();
    expect(activitySummary('adjustDrbd', null, ['db0'])).toBeNull();
  });

  it('find the node of a node queue, whatever the prefix', () => {
    expect(nodeOfQueue(nodeQueueFor('ferry-controller', 'node7'))).toBe('node7');
    expect(nodeOfQueue(nodeQueueFor('tenant-a-controller', 'n-1'))).toBe('n-1');
    expect(nodeOfQueue('ferry-controller')).toBeNull();
    expect(nodeOfQueue(undefined)).toBeNull();
  });

  it('cover every activity of the agent', () => {
    const deps = { node: 'node1' };
    const names = [createNodeActivities, createBackupNodeActivities, createDoctorNodeActivities, createEvacuationNodeActivities, createResizeNodeActivities, createResourceNodeActivities, createSnapshotNodeActivities]
      .flatMap((make) => Object.keys(make(deps)));
    expect(names.length).toBeGreaterThan(30);
    expect(names.filter((n) => !(n in NODE_ACTIVITY_COMMANDS))).toEqual([]);
  });
});
