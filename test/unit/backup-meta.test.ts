import { describe, expect, it } from '@jest/globals';
import {
  BackupMetaError, baseBackupIdOf, buildBackupMeta, checkBackupMetaConsistency, dataKeysOf, ferryVolumeOf, parseBackupMeta, serializeBackupMeta,
} from '../../core/backup-meta.js';

// A .meta body in the shape LINSTOR writes (hand-made for this test, values invented).
const linstorMeta = {
  rscName: 'pvc-x',
  nodeName: 'node-1',
  startTimestamp: 1629789943000,
  finishTimestamp: 1629789999000,
  basedOn: 'pvc-x_back_20210823_072543.meta',
  layerData: { rscNameSuffix: '', kind: 'STORAGE', children: [], volumeList: [{ vlmNr: 0, providerKind: 'LVM_THIN' }] },
  rscDfn: {
    snapDfnProps: { 'BackupShipping/Source/s3remote/BackupStartTimestamp': '1629789943000' },
    rscDfnProps: { 'DrbdOptions/Net/protocol': 'C' },
    flags: 0,
    vlmDfns: { 0: { snapVlmDfnProps: {}, vlmDfnProps: {}, flags: 0, size: 1048576 } },
  },
  rsc: { snapProps: {}, rscProps: {}, flags: 0, vlms: { 0: { vlmProps: {}, snapVlmProps: {}, flags: 0 } } },
  backups: { 0: [{ name: 'pvc-x_00000_back_20210824_072543', finishedTimestamp: 1629789999000, node: 'node-1' }] },
  clusterId: '0d7d1bd2-97a8-4c0e-8c63-1df1ff3c7c61',
  snapDfnUuid: '3a4dc6e6-9a7a-4d5e-9d2d-9f3a7b2a9c10',
  someFutureField: { kept: true },
};

const sha = (c: string) => c.repeat(64);

describe('parseBackupMeta', () => {
  it('parses a LINSTOR-made .meta without a ferry key', () => {
    const m = parseBackupMeta(JSON.stringify(linstorMeta), 'pvc-x_back_20210824_072543.meta');
    expect(m.ferry).toBeUndefined();
    expect(m.rscName).toBe('pvc-x');
    expect(baseBackupIdOf(m)).toBe('pvc-x_back_20210823_072543');
    expect(dataKeysOf(m)).toEqual([{ vlmNr: 0, key: 'pvc-x_00000_back_20210824_072543' }]);
    expect((m as Record<string, unknown>).someFutureField).toEqual({ kept: true });
  });

  it('accepts bytes and tolerates missing optional LINSTOR fields', () => {
    const minimal = { rscName: 'r1', startTimestamp: 1, backups: {} };
    expect(parseBackupMeta(new TextEncoder().encode(JSON.stringify(minimal))).rscName).toBe('r1');
    expect(baseBackupIdOf(parseBackupMeta(minimal))).toBeUndefined();
  });

  it.each([
    ['not json', '{', /x\.meta is not JSON/],
    ['missing rscName', JSON.stringify({ startTimestamp: 1, backups: {} }), /x\.meta is not a valid backup metadata file: rscName/],
    ['bad volume key', JSON.stringify({ rscName: 'r', startTimestamp: 1, backups: { a: [] } }), /backups/],
    ['bad ferry hash', JSON.stringify({ rscName: 'r', startTimestamp: 1, backups: {}, ferry: { formatVersion: 1, compression: 'zstd', baseBackupId: null, chain: ['x'], volumes: { 0: { dataKey: 'k', uncompressedBytes: 0, compressedBytes: 0, partSize: 5, parts: [], sha256: 'zz', uncompressedSha256: sha('a') } } } }), /ferry\.volumes\.0\.sha256/],
    ['newer format', JSON.stringify({ rscName: 'r', startTimestamp: 1, backups: {}, ferry: { formatVersion: 99, compression: 'zstd', baseBackupId: null, chain: ['x'], volumes: {} } }), /format version 99/],
  ])('rejects %s with a clear message', (_what, body, msg) => {
    expect(() => parseBackupMeta(body, 'x.meta')).toThrow(BackupMetaError);
    expect(() => parseBackupMeta(body, 'x.meta')).toThrow(msg);
  });
});

describe('buildBackupMeta', () => {
  const vol = {
    vlmNr: 0, sizeKiB: 1024, dataKey: 'db0_00000_back_20240101_000000', uncompressedBytes: 1 << 20, compressedBytes: 12, partSize: 8,
    parts: [{ partNumber: 1, size: 8, sha256: sha('1') }, { partNumber: 2, size: 4, sha256: sha('2') }], sha256: sha('3'),
  };

  it('builds a full backup that LINSTOR and ferry both read', () => {
    const m = buildBackupMeta({ rscName: 'db0', nodeName: 'n1', startTimestamp: 1, finishTimestamp: 2, id: 'db0_back_20240101_000000', volumes: [vol], compressionLevel: 3 });
    expect(m.basedOn).toBeUndefined();
    expect(m.backups).toEqual({ 0: [{ name: vol.dataKey, finishedTimestamp: 2, node: 'n1' }] });
    expect(m.rscDfn?.vlmDfns?.['0']?.size).toBe(1024);
    expect(m.ferry).toMatchObject({ formatVersion: 2, compression: 'zstd', baseBackupId: null, chain: ['db0_back_20240101_000000'] });
    expect(m.ferry?.volumes['0']).not.toHaveProperty('uncompressedSha256');
    expect(checkBackupMetaConsistency(m)).toEqual([]);
    const again = parseBackupMeta(serializeBackupMeta(m));
    expect(again).toEqual(m);
    expect(ferryVolumeOf(again, vol.dataKey)?.parts).toHaveLength(2);
  });

  it('reads a .meta of ferry before format version 2 (uncompressedSha256 recorded) as it was written', () => {
    const v2 = buildBackupMeta({ rscName: 'db0', nodeName: 'n1', startTimestamp: 1, finishTimestamp: 2, id: 'db0_back_20240101_000000', volumes: [vol] });
    const v1 = JSON.parse(serializeBackupMeta(v2)) as { ferry: { formatVersion: number; volumes: Record<string, Record<string, unknown>> } };
    v1.ferry.formatVersion = 1;
    v1.ferry.volumes['0']!.uncompressedSha256 = sha('4');
    const m = parseBackupMeta(JSON.stringify(v1));
    expect(m.ferry?.formatVersion).toBe(1);
    expect(ferryVolumeOf(m, vol.dataKey)).toMatchObject({ uncompressedSha256: sha('4'), uncompressedBytes: 1 << 20, sha256: sha('3'), parts: vol.parts });
    expect(checkBackupMetaConsistency(m)).toEqual([]);
    expect(JSON.parse(serializeBackupMeta(m))).toEqual(v1);
    // and the field, when given (a shipment of older ferry finishing in this one's workflow), is kept
    const kept = buildBackupMeta({ rscName: 'db0', nodeName: 'n1', startTimestamp: 1, finishTimestamp: 2, id: 'db0_back_20240101_000000', volumes: [{ ...vol, uncompressedSha256: sha('4') }] });
    expect(kept.ferry?.volumes['0']?.uncompressedSha256).toBe(sha('4'));
  });

  it('refuses a .meta of a newer ferry format, naming the version', () => {
    const m = JSON.parse(serializeBackupMeta(buildBackupMeta({ rscName: 'db0', nodeName: 'n1', startTimestamp: 1, finishTimestamp: 2, id: 'db0_back_20240101_000000', volumes: [vol] }))) as { ferry: { formatVersion: number } };
    m.ferry.formatVersion = 3;
    expect(() => parseBackupMeta(JSON.stringify(m))).toThrow(/ferry format version 3; this ferry reads up to 2/);
  });

  it('records an incremental: basedOn as LINSTOR meta key, chain extended', () => {
    const m = buildBackupMeta({
      rscName: 'db0', nodeName: 'n1', startTimestamp: 1, finishTimestamp: 2, id: 'db0_back_20240102_000000.meta',
      base: { id: 'db0_back_20240101_000000.meta', chain: ['db0_back_20240101_000000'] }, volumes: [],
    });
    expect(m.basedOn).toBe('db0_back_20240101_000000.meta');
    expect(baseBackupIdOf(m)).toBe('db0_back_20240101_000000');
    expect(m.ferry?.chain).toEqual(['db0_back_20240101_000000', 'db0_back_20240102_000000']);
  });

  it('finds inconsistencies', () => {
    const m = buildBackupMeta({ rscName: 'db0', nodeName: 'n1', startTimestamp: 1, finishTimestamp: 2, id: 'db0_back_20240101_000000', volumes: [{ ...vol, compressedBytes: 13 }] });
    m.basedOn = 'other_back_20240101_000000.meta';
    expect(checkBackupMetaConsistency(m)).toEqual([
      'volume 0: parts add up to 12 bytes, compressedBytes says 13',
      'basedOn (other_back_20240101_000000) and ferry.baseBackupId (none) disagree',
    ]);
  });
});
