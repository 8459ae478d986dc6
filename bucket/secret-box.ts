// Secrets at rest and in flight: AES-256-GCM with a key derived (scrypt) from the cluster's master
// passphrase. Used for the S3 keys of remotes in the catalog (the controller encrypts them; only
// the agent that talks to S3 decrypts them, in memory) and by the Temporal payload codec
// (worker/payload-codec.ts), so neither the catalog nor workflow history holds a secret in clear.
//
// The passphrase comes from FERRY_MASTER_PASSPHRASE (controller and agents share it), or, on the
// controller only, from `ferry encryption enter-passphrase` (kept in memory, never stored).
import { createCipheriv, createDecipheriv, randomBytes, scryptSync } from 'node:crypto';

const KEY_CACHE = new Map<string, Buffer>();
const SEALED_PREFIX = 'ferry-sealed:v1:';

export class MasterPassphraseMissingError extends Error {
  override readonly name = 'MasterPassphraseMissingError';
  constructor(what: string) {
    super(`${what} needs the master passphrase: set FERRY_MASTER_PASSPHRASE for the controller and the agents, or run \`ferry encryption enter-passphrase\``);
  }
}

export class SecretDecryptError extends Error {
  override readonly name = 'SecretDecryptError';
}

let enteredPassphrase: string | undefined;

/** Sets the passphrase of this process (the controller's `encryption enter-passphrase`). */
export function enterMasterPassphrase(passphrase: string): void {
  enteredPassphrase = passphrase;
}

/** The passphrase of this process, or undefined when none was given. */
export function masterPassphrase(): string | undefined {
  const p = enteredPassphrase ?? process.env.FERRY_MASTER_PASSPHRASE;
  return p && p.length > 0 ? p : undefined;
}

/** 32-byte key for a purpose ("catalog", "payload"); scrypt is slow on purpose, so keys are cached. */
export function deriveKey(passphrase: string, purpose: string): Buffer {
  const id = `${purpose}\u0000${passphrase}`;
  let key = KEY_CACHE.get(id);
  if (!key) {
    key = scryptSync(passphrase, `ferry/${purpose}/v1`, 32, { N: 1 << 15, r: 8, p: 1, maxmem: 64 * 1024 * 1024 });
    KEY_CACHE.set(id, key);
  }
  return key;
}

/** iv(12) | tag(16) | ciphertext */
export function encryptBytes(key: Buffer, plain: Uint8Array, aad?: Uint8Array): Buffer {
  const iv = randomBytes(12);
  const c = createCipheriv('aes-256-gcm', key, iv);
  if (aad) c.setAAD(aad);
  const body = Buffer.concat([c.update(plain), c.final()]);
  return Buffer.concat([iv, c.getAuthTag(), body]);
}

export function decryptBytes(key: Buffer, sealed: Uint8Array, aad?: Uint8Array): Buffer {
  const buf = Buffer.from(sealed);
  if (buf.length < 28) throw new SecretDecryptError('sealed data is too short');
  const d = createDecipheriv('aes-256-gcm', key, buf.subarray(0, 12));
  if (aad) d.setAAD(aad);
  d.setAuthTag(buf.subarray(12, 28));
  try {
    return Buffer.concat([d.update(buf.subarray(28)), d.final()]);
  } catch {
    throw new SecretDecryptError('cannot decrypt: wrong master passphrase, or the data was changed');
  }
}

/** A secret sealed for the catalog: `ferry-sealed:v1:<base64>`. */
export function sealSecret(plain: string, passphrase = masterPassphrase()): string {
  if (!passphrase) throw new MasterPassphraseMissingError('storing a remote\'s keys');
  return SEALED_PREFIX + encryptBytes(deriveKey(passphrase, 'catalog'), Buffer.from(plain, 'utf8')).toString('base64');
}

export function openSecret(sealed: string, passphrase = masterPassphrase()): string {
  if (!passphrase) throw new MasterPassphraseMissingError('using a remote\'s keys');
  if (!sealed.startsWith(SEALED_PREFIX)) throw new SecretDecryptError('not a sealed secret');
  return decryptBytes(deriveKey(passphrase, 'catalog'), Buffer.from(sealed.slice(SEALED_PREFIX.length), 'base64')).toString('utf8');
}
