// Secrets of remotes and backups: sealing for the catalog, the Temporal payload codec, and the
// catalog's remotes, last-backup records and shipping slots (migration 4) on SQLite.
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { defaultPayloadConverter } from '@temporalio/common';
import { openSecret, sealSecret, SecretDecryptError, MasterPassphraseMissingError } from '../../bucket/secret-box.js';
import { EncryptionCodec, ENCRYPTED_ENCODING } from '../../worker/payload-codec.js';
import { Catalog } from '../../catalog/index.js';

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

  it('gives a node at most `limit` shipping slots, first come first served, and hands a freed slot to the next in the queue', async () => {
    const slots = catalog.remotes;
    expect(await slots.acquireSlot('node1', 'backup/a/s', 2, 1)).toEqual({ acquired: true, holders: ['backup/a/s'], position: 0, waiting: 0 });
    expect((await slots.acquireSlot('node1', 'backup/a/s', 2, 2)).acquired).toBe(true); // idempotent
    expect((await slots.acquireSlot('node1', 'backup/b/s', 2, 3)).acquired).toBe(true);
    // full: c and d queue, in order, and keep their places when they ask again
    expect(await slots.acquireSlot('node1', 'backup/c/s', 2, 4)).toEqual({ acquired: false, holders: ['backup/a/s', 'backup/b/s'], position: 1, waiting: 1 });
    expect(await slots.acquireSlot('node1', 'backup/d/s', 2, 5)).toEqual({ acquired: false, holders: ['backup/a/s', 'backup/b/s'], position: 2, waiting: 2 });
    expect(await slots.acquireSlot('node1', 'backup/c/s', 2, 6)).toMatchObject({ acquired: false, position: 1, waiting: 2 });
    expect((await slots.acquireSlot('node2', 'backup/x/s', 2, 6)).acquired).toBe(true); // another node's slots are its own
    // a's slot goes to c, the first in the queue, not to a newcomer
    expect(await slots.releaseSlot('backup/a/s', 2, 7)).toEqual({ granted: ['backup/c/s'] });
    expect(await slots.acquireSlot('node1', 'backup/e/s', 2, 8)).toMatchObject({ acquired: false, position: 2, waiting: 2 });
    expect(await slots.acquireSlot('node1', 'backup/c/s', 2, 9)).toMatchObject({ acquired: true, waiting: 2 });
    // d gives up its place (cancelled while queued): no slot is free, nobody is handed one
    expect(await slots.releaseSlot('backup/d/s', 2, 10)).toEqual({ granted: [] });
    expect(await slots.releaseSlot('backup/b/s', 2, 11)).toEqual({ granted: ['backup/e/s'] });
    expect((await slots.slots('node1')).map((x) => x.holder).sort()).toEqual(['backup/c/s', 'backup/e/s']);
    expect(await slots.releaseSlot('backup/unknown', 2, 12)).toEqual({ granted: [] });
    expect((await slots.acquireSlot('node1', 'backup/f/s', -1, 13)).acquired).toBe(true); // unlimited
    expect((await slots.acquireSlot('node3', 'backup/g/s', 0, 14)).acquired).toBe(false); // 0: never ships
  });
});
