// `backup list` entries: LINSTOR's success/shipping per status, and which shipments are listed
// beside the committed backups (core/backup-status.ts).
import { describe, expect, it } from '@jest/globals';
import { linstorFlags, shipmentStatus, shipmentsToList, type Shipment } from '../../core/backup-status.js';

describe('backup status', () => {
  it.each([
    ['done', { success: true, shipping: false }],
    ['shipping', { success: null, shipping: true }],
    ['failed', { success: false, shipping: false }],
    ['aborted', { success: false, shipping: false }],
  ] as const)("%s has LINSTOR's flags %j", (status, flags) => {
    expect(linstorFlags(status)).toEqual(flags);
  });

  it.each([
    ['RUNNING', 'shipping'],
    ['FAILED', 'failed'],
    ['TERMINATED', 'failed'],
    ['TIMED_OUT', 'failed'],
    ['CANCELLED', 'aborted'],
    ['COMPLETED', null],
    ['CONTINUED_AS_NEW', null],
  ] as const)('a workflow %s is a shipment %s', (wf, status) => {
    expect(shipmentStatus(wf)).toBe(status);
  });

  const sh = (id: string, workflowStatus: string, startMs: number, workflowId = `backup/r/${id}`): Shipment => ({ id, rsc: 'r', snapshot: id, startMs, workflowId, workflowStatus });

  it('lists shipments that did not commit, one per backup id (a running attempt, else the newest), oldest first', () => {
    const listed = shipmentsToList(new Set(['r_back_3']), [
      sh('r_back_3', 'FAILED', 3), // committed by a later attempt: the backup is listed, not this
      sh('r_back_2', 'FAILED', 20, 'a'),
      sh('r_back_2', 'RUNNING', 10, 'b'), // the running attempt wins over a failed one
      sh('r_back_1', 'CANCELLED', 1, 'c'),
      sh('r_back_1', 'FAILED', 5, 'd'), // the newest of two ended attempts
      sh('r_back_4', 'COMPLETED', 4), // completed: its backup was deleted since, nothing to list
    ]);
    expect(listed.map((s) => [s.id, s.status, s.workflowId])).toEqual([['r_back_1', 'failed', 'd'], ['r_back_2', 'shipping', 'b']]);
  });
});
