// Where a restore puts each volume: the source pool recorded in the .meta (LINSTOR's layerData
// shape), --storpool-rename, --storage-pool, and the refusals that come before anything is made.
import { describe, expect, it } from '@jest/globals';
import { buildBackupMeta, parseBackupMeta, serializeBackupMeta, sourcePoolsOf } from '../../core/backup-meta.js';
import { parseStorPoolRename, resolveRestorePools, storPoolMapFromJson } from '../../core/backup-restore-pools.js';

const sha = (c: string) => c.repeat(64);
const vol = (vlmNr: number, storagePool?: string) => ({
  vlmNr, sizeKiB: 1024, dataKey: `db0_0000${vlmNr}_back_20240101_000000`, uncompressedBytes: 12, compressedBytes: 12, partSize: 8,
  parts: [{ partNumber: 1, size: 8, sha256: sha('1') }, { partNumber: 2, size: 4, sha256: sha('2') }], sha256: sha('3'), uncompressedSha256: sha('4'),
  ...(storagePool !== undefined ? { storagePool } : {}),
});

describe('the source pool in the .meta', () => {
  it("is written where LINSTOR writes it: the storage layer's volume, storPoolApi.storPoolName", () => {
    const m = parseBackupMeta(serializeBackupMeta(buildBackupMeta({ rscName: 'db0', nodeName: 'n1', startTimestamp: 1, finishTimestamp: 2, id: 'db0_back_20240101_000000', volumes: [vol(0, 'pool1'), vol(1, 'pool1')] })));
    expect(m.layerData).toMatchObject({
      kind: 'storage', rscNameSuffix: '', children: [],
      vlms: [
        { kind: 'lvmThin', vlmNr: 0, usableSize: 1024, storPoolApi: { kind: 'storPool', storPoolName: 'pool1', deviceProviderKind: 'LVM_THIN' } },
        { kind: 'lvmThin', vlmNr: 1, storPoolApi: { storPoolName: 'pool1' } },
      ],
    });
    expect([...sourcePoolsOf(m)]).toEqual([[0, { storagePool: 'pool1', provider: 'LVM_THIN' }], [1, { storagePool: 'pool1', provider: 'LVM_THIN' }]]);
  });

  it('is read under other layers (DRBD above, as LINSTOR nests it) and only from the data layer', () => {
    const m = parseBackupMeta({
      rscName: 'pvc-x', startTimestamp: 1, backups: { 0: [{ name: 'pvc-x_00000_back_20210824_072543' }] },
      layerData: {
        kind: 'drbd', rscNameSuffix: '', vlms: [{ kind: 'drbd', vlmNr: 0 }],
        children: [
          { kind: 'storage', rscNameSuffix: '', children: [], vlms: [{ kind: 'zfsThin', vlmNr: 0, storPoolApi: { kind: 'storPool', storPoolName: 'zpool', deviceProviderKind: 'ZFS_THIN' } }] },
          { kind: 'storage', rscNameSuffix: '.meta', children: [], vlms: [{ kind: 'lvm', vlmNr: 0, storPoolApi: { kind: 'storPool', storPoolName: 'metapool', deviceProviderKind: 'LVM' } }] },
        ],
      },
    });
    expect([...sourcePoolsOf(m)]).toEqual([[0, { storagePool: 'zpool', provider: 'ZFS_THIN' }]]);
  });

  it('is absent from metas of older ferry (no storPoolApi)', () => {
    const m = buildBackupMeta({ rscName: 'db0', nodeName: 'n1', startTimestamp: 1, finishTimestamp: 2, id: 'db0_back_20240101_000000', volumes: [vol(0)] });
    expect(sourcePoolsOf(m).size).toBe(0);
    expect(sourcePoolsOf(parseBackupMeta({ rscName: 'x', startTimestamp: 1, backups: {}, layerData: { kind: 'STORAGE', rscNameSuffix: '', children: [] } })).size).toBe(0);
  });
});

describe('--storpool-rename', () => {
  it('takes OLD=NEW repeated or comma separated, as the guide writes it', () => {
    expect(parseStorPoolRename(['pool1=fast', 'a=b, c=d'])).toEqual({ pool1: 'fast', a: 'b', c: 'd' });
    expect(storPoolMapFromJson({ pool1: 'fast' })).toEqual({ pool1: 'fast' });
    expect(storPoolMapFromJson(undefined)).toEqual({});
  });

  it('refuses what is not OLD=NEW, bad names and a pool renamed twice', () => {
    expect(() => parseStorPoolRename(['pool1'])).toThrow("--storpool-rename 'pool1' is not OLD=NEW");
    expect(() => parseStorPoolRename(['pool1=bad name'])).toThrow("'bad name' is not a storage pool name");
    expect(() => parseStorPoolRename(['a=b', 'a=c'])).toThrow("renames 'a' twice");
    expect(() => storPoolMapFromJson(['a=b'])).toThrow('stor_pool_map must be an object');
  });
});

describe('the target pool of each volume', () => {
  const thin = (name: string) => ({ name, provider: 'LVM_THIN' });
  const targetPools = [thin('pool1'), thin('fast'), { name: 'DfltDisklessStorPool', provider: 'DISKLESS' }];
  const src = (storagePool: string, provider = 'LVM_THIN') => ({ storagePool, provider });

  it('keeps the name of a pool not renamed, renames the others', () => {
    expect(resolveRestorePools({ node: 'n2', volumes: [{ vlmNr: 0, source: src('pool1') }], rename: {}, targetPools })).toEqual({
      storagePool: 'pool1', volumes: [{ vlmNr: 0, sourcePool: 'pool1', sourceProvider: 'LVM_THIN', targetPool: 'pool1' }],
    });
    expect(resolveRestorePools({ node: 'n2', volumes: [{ vlmNr: 0, source: src('slow') }, { vlmNr: 1, source: src('pool1') }], rename: { slow: 'pool1' }, targetPools }).storagePool).toBe('pool1');
  });

  it('restores a backup that records no pool into --storage-pool, else the first LVM_THIN pool', () => {
    expect(resolveRestorePools({ node: 'n2', volumes: [{ vlmNr: 0 }], rename: {}, targetPools }).storagePool).toBe('pool1');
    expect(resolveRestorePools({ node: 'n2', volumes: [{ vlmNr: 0 }], rename: {}, storagePool: 'fast', targetPools }).storagePool).toBe('fast');
  });

  it('refuses, naming the pool and what to do: unknown pool, wrong provider, a rename of no pool of the backup, volumes split', () => {
    expect(() => resolveRestorePools({ node: 'n2', volumes: [{ vlmNr: 0, source: src('gone') }], rename: {}, targetPools }))
      .toThrow("storage pool 'gone' (volume 0, from the backup's pool 'gone') does not exist on node 'n2'; map it to a pool of the node with --storpool-rename gone=POOL");
    expect(() => resolveRestorePools({ node: 'n2', volumes: [{ vlmNr: 0, source: src('pool1') }], rename: { pool1: 'nosuch' }, targetPools }))
      .toThrow("storage pool 'nosuch' (volume 0, from the backup's pool 'pool1') does not exist on node 'n2'");
    expect(() => resolveRestorePools({ node: 'n2', volumes: [{ vlmNr: 0, source: src('pool1') }], rename: { pool1: 'DfltDisklessStorPool' }, targetPools }))
      .toThrow("storage pool 'DfltDisklessStorPool' on node 'n2' (volume 0, from the backup's pool 'pool1') is DISKLESS; the backup's data is LVM_THIN and ferry restores it into an LVM_THIN pool only");
    expect(() => resolveRestorePools({ node: 'n2', volumes: [{ vlmNr: 0, source: src('zpool', 'ZFS_THIN') }], rename: { zpool: 'fast' }, targetPools }))
      .toThrow("is LVM_THIN; the backup's data is ZFS_THIN");
    expect(() => resolveRestorePools({ node: 'n2', volumes: [{ vlmNr: 0, source: src('pool1') }], rename: { pol1: 'fast' }, targetPools }))
      .toThrow("--storpool-rename names pool 'pol1', but the backup's volumes come from 'pool1'");
    expect(() => resolveRestorePools({ node: 'n2', volumes: [{ vlmNr: 0 }], rename: { pool1: 'fast' }, targetPools }))
      .toThrow('this backup does not record its storage pools');
    expect(() => resolveRestorePools({ node: 'n2', volumes: [{ vlmNr: 0, source: src('a') }, { vlmNr: 1, source: src('b') }], rename: { a: 'pool1', b: 'fast' }, targetPools }))
      .toThrow("the volumes would go to different storage pools (volume 0: 'pool1', volume 1: 'fast')");
  });
});
