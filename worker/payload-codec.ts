// Temporal payload codec: every payload (workflow inputs and results, activity inputs, results and
// heartbeat details, queries, failures' details, memos) is encrypted with AES-256-GCM before it
// leaves a ferry process, so workflow history in the Temporal server holds no readable data, and
// no secret even if one ever travelled as a payload. The key is derived from the master
// passphrase (FERRY_MASTER_PASSPHRASE), which the controller and every agent share. Without a
// passphrase the codec is not installed (plain payloads, as before).
import type { Payload, PayloadCodec } from '@temporalio/common';
import { decryptBytes, deriveKey, encryptBytes, masterPassphrase } from '../bucket/secret-box.js';

export const ENCRYPTED_ENCODING = 'binary/encrypted';
const KEY_ID = 'ferry-master-v1';
const enc = new TextEncoder();
const dec = new TextDecoder();

/** Serialises a Payload (metadata + data) for encryption, without protobuf. */
function pack(p: Payload): Buffer {
  const meta: Record<string, string> = {};
  for (const [k, v] of Object.entries(p.metadata ?? {})) if (v) meta[k] = Buffer.from(v).toString('base64');
  return Buffer.from(JSON.stringify({ m: meta, d: Buffer.from(p.data ?? new Uint8Array()).toString('base64') }), 'utf8');
}

function unpack(b: Buffer): Payload {
  const o = JSON.parse(b.toString('utf8')) as { m: Record<string, string>; d: string };
  const metadata: Record<string, Uint8Array> = {};
  for (const [k, v] of Object.entries(o.m)) metadata[k] = new Uint8Array(Buffer.from(v, 'base64'));
  return { metadata, data: new Uint8Array(Buffer.from(o.d, 'base64')) };
}

export class EncryptionCodec implements PayloadCodec {
  private readonly key: Buffer;
  constructor(passphrase: string) {
    this.key = deriveKey(passphrase, 'payload');
  }

  async encode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((p) => ({
      metadata: { encoding: enc.encode(ENCRYPTED_ENCODING), 'encryption-key-id': enc.encode(KEY_ID) },
      data: new Uint8Array(encryptBytes(this.key, pack(p))),
    }));
  }

  async decode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((p) => {
      const encoding = p.metadata?.encoding ? dec.decode(p.metadata.encoding) : '';
      if (encoding !== ENCRYPTED_ENCODING || !p.data) return p;
      return unpack(decryptBytes(this.key, p.data));
    });
  }
}

/** The data converter option of ferry's workers and clients: the codec when a passphrase is set. */
export function ferryDataConverter(passphrase = masterPassphrase()): { payloadCodecs: PayloadCodec[] } | undefined {
  return passphrase ? { payloadCodecs: [new EncryptionCodec(passphrase)] } : undefined;
}
