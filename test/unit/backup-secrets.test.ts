// Secrets of remotes and backups: sealing for the catalog, the Temporal payload codec, and the
// catalog's remotes, last-backup records and shipping slots (migration 4) on SQLite.
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { defaultPayloadConverter } from '@temporalio/common';
import { openSecret, sealSecret, SecretDecryptError, MasterPassphraseMissingError } from '../../activities/node/backup/secret-box.js';
import { EncryptionCodec, ENCRYPTED_ENCODING } from '../../worker/payload-codec.js';
import { Catalog } from '../../activities/controller/catalog/index.js';

describe('sealed secrets', () => {
  it('round-trip with the passphrase, never contain the clear text, and refuse another passphrase', () => {
    const sealed = sealSecret('AKIA-very-secret', 'pass one');
    expect(sealed).toMatch(/^ferry-sealed:v1:/);
    expect(sealed).not.toContain('AKIA');
    expect(sealSecret('AKIA-very-secret', 'pass one')).not.toBe(sealed); // fresh IV each time
    expect(openSecret(sealed, 'pass one')).toBe('AKIA-very-secret');
    expect(() => openSecret(sealed, 'pass two')).toThrow(SecretDecryptError);
  });

  it('need a passphrase', () => {
    expect(() => sealSecret('x', '')).toThrow(MasterPassphraseMissingError);
  });
});

describe('the payload codec', () => {
  it('encrypts every payload and decodes it back with the same passphrase only', async () => {
    const value = { remote: 'bk', secretKey: 'wJalrXUtnFEMI/K7MDENG' };
    const payload = defaultPayloadConverter.toPayload(value)!;
    const [enc] = await new EncryptionCodec('p1').encode([payload]);
    expect(Buffer.from(enc!.metadata!.encoding!).toString()).toBe(ENCRYPTED_ENCODING);
    expect(Buffer.from(enc!.data!).toString('latin1')).not.toContain('wJalr');
    const [dec] = await new EncryptionCodec('p1').decode([enc!]);
    expect(defaultPayloadConverter.fromPayload(dec!)).toEqual(value);
    await expect(new EncryptionCodec('p2').decode([enc!])).rejects.toThrow(SecretDecryptError);
    // payloads written before the codec was installed still decode
    const [plain] = await new EncryptionCodec('p1').decode([payload]);
    expect(defaultPayloadConverter.fromPayload(plain!)).toEqual(value);
  });
});

describe('catalog migration 4', () => {
  let catalog: Catalog;
  beforeEach(async () => {
    catalog = await Catalog.open('sqlite::memory:');
  });
  afterEach(async () => {
    await catalog.close();
  });

  it('keeps remotes unique and forgets their last backups with them', async () => {
    const r = { name: 'bk', endpoint: 'http://s3', bucket: 'b1', region: 'us-east-1', usePathStyle: true, accessKeySealed: 'A', secretKeySealed: 'S', createdAt: 1 };
    expect(await catalog.remotes.create(r)).toBe(true);
    expect(await catalog.remotes.create(r)).toBe(false);
    await catalog.remotes.recordLastBackup({ resource: 'db0', remote: 'bk', snapshot: 'back_1', backupId: 'db0_back_20260101_000000', node: 'node1', volumeSizes: { 0: 64 }, updatedAt: 2 });
    expect((await catalog.remotes.lastBackup('db0', 'bk'))?.snapshot).toBe('back_1');
    expect(await catalog.remotes.delete('bk')).toBe(true);
    expect(await catalog.remotes.lastBackup('db0', 'bk')).toBeUndefined();
  });

  it('gives a node at most `limit` shipping slots, idempotently per holder, and names the holders when full', async () => {
    expect(await catalog.remotes.acquireSlot('node1', 'backup/a/s', 2, 1)).toEqual({ acquired: true, holders: ['backup/a/s'] });
    expect((await catalog.remotes.acquireSlot('node1', 'backup/a/s', 2, 2)).acquired).toBe(true);
    expect((await catalog.remotes.acquireSlot('node1', 'backup/b/s', 2, 3)).acquired).toBe(true);
    expect(await catalog.remotes.acquireSlot('node1', 'backup/c/s', 2, 4)).toEqual({ acquired: false, holders: ['backup/a/s', 'backup/b/s'] });
    expect((await catalog.remotes.acquireSlot('node2', 'backup/c/s', 2, 4)).acquired).toBe(true);
    await catalog.remotes.releaseSlot('backup/a/s');
    expect((await catalog.remotes.acquireSlot('node1', 'backup/d/s', 2, 5)).acquired).toBe(true);
    expect((await catalog.remotes.acquireSlot('node1', 'backup/e/s', -1, 6)).acquired).toBe(true); // unlimited
    expect((await catalog.remotes.acquireSlot('node3', 'backup/f/s', 0, 7)).acquired).toBe(false); // 0: never ships
  });
});
