// What the Web UI shows of an operation before it runs (its static summary and details) and the
// link an error report gives to it.
import { describe, expect, it } from '@jest/globals';
import { operationMetadata, workflowUrl } from '../../core/operations.js';

describe('operation metadata for the Web UI', () => {
  it('summarises the operation in words, with its objects, and says how to follow it', () => {
    const m = operationMetadata('createResource', 'resource-create/db0', { RscDfn: 'db0' });
    expect(m.staticSummary).toBe('create resource: resource db0');
    expect(m.staticDetails).toContain('ferry operation watch resource-create/db0');
    expect(m.staticDetails).toContain('- RscDfn: `db0`');
    expect(operationMetadata('createStoragePool', 'storage-pool-create/node1/pool1', { Node: 'node1', StorPool: 'pool1' }).staticSummary)
      .toBe('create storage pool: node node1, storage pool pool1');
  });

  it('is built from the object names only: a remote\'s keys given elsewhere never reach it', () => {
    const m = operationMetadata('createRemote', 'remote-create/s3', { Remote: 's3' });
    expect(m).toEqual({ staticSummary: 'create remote: remote s3', staticDetails: expect.not.stringMatching(/key|secret/i) });
  });

  it('links an operation to its page in the Web UI, the id encoded', () => {
    const cfg = { temporal: { uiUrl: 'http://localhost:8233/', namespace: 'default' } };
    expect(workflowUrl(cfg, 'backup/db0/back_1', 'run-1')).toBe('http://localhost:8233/namespaces/default/workflows/backup%2Fdb0%2Fback_1/run-1/history');
    expect(workflowUrl(cfg, 'evacuate/node2')).toBe('http://localhost:8233/namespaces/default/workflows/evacuate%2Fnode2/history');
  });
});
