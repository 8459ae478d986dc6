// A Temporal codec server for the Web UI (`temporal server start-dev --ui-codec-endpoint
// http://127.0.0.1:3370/codec`): with a master passphrase every payload in the history is
// encrypted (worker/payload-codec.ts), so the UI shows ciphertext unless it can ask ferry to
// decode. POST /codec/decode and /codec/encode take and give Temporal's JSON form of payloads
// ({"payloads":[{"metadata":{k: base64}, "data": base64}]}). Decoded JSON has secret-looking
// fields (secret, key, passphrase, password, token) replaced, so the UI never shows one even if
// it travelled in a payload. CORS for the UI's origins (FERRY_CODEC_CORS_ORIGINS, default the
// local UI on :8233). With API tokens, decoding needs a token (read-only is enough).
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Payload } from '@temporalio/common';
import { z } from 'zod';
import { EncryptionCodec } from '../worker/payload-codec.js';
import { masterPassphrase } from '../bucket/secret-box.js';
import { apiError } from './linstor-shapes.js';

const payloadsSchema = z.object({
  payloads: z.array(z.object({ metadata: z.record(z.string(), z.string()).optional(), data: z.string().optional() })).max(10_000),
});

type JsonPayload = z.infer<typeof payloadsSchema>['payloads'][number];

const SECRET_KEY = /secret|passphrase|password|token|accesskey|access_key|privatekey|private_key/i;
export const REDACTED = '<redacted by ferry>';

/** Replaces the values of secret-looking keys, recursively. */
export function redactSecrets(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(redactSecrets);
  if (v && typeof v === 'object') {
    return Object.fromEntries(Object.entries(v as Record<string, unknown>).map(([k, x]) => [k, SECRET_KEY.test(k) && (typeof x === 'string' || typeof x === 'number') ? REDACTED : redactSecrets(x)]));
  }
  return v;
}

function fromJson(p: JsonPayload): Payload {
  return {
    metadata: Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, new Uint8Array(Buffer.from(v, 'base64'))])),
    data: new Uint8Array(Buffer.from(p.data ?? '', 'base64')),
  };
}

function toJson(p: Payload): JsonPayload {
  return {
    metadata: Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v ?? new Uint8Array()).toString('base64')])),
    data: Buffer.from(p.data ?? new Uint8Array()).toString('base64'),
  };
}

function redactPayload(p: Payload): Payload {
  const encoding = p.metadata?.encoding ? Buffer.from(p.metadata.encoding).toString() : '';
  if (encoding !== 'json/plain' || !p.data) return p;
  try {
    const v = JSON.parse(Buffer.from(p.data).toString('utf8')) as unknown;
    return { ...p, data: new Uint8Array(Buffer.from(JSON.stringify(redactSecrets(v)), 'utf8')) };
  } catch {
    return p;
  }
}

export function codecCorsOrigins(env: NodeJS.ProcessEnv = process.env): string[] {
  return (env.FERRY_CODEC_CORS_ORIGINS ?? 'http://localhost:8233,http://127.0.0.1:8233').split(',').map((s) => s.trim()).filter(Boolean);
}

export function registerCodecRoutes(app: FastifyInstance, opts: { passphrase?: string | undefined; corsOrigins?: string[] } = {}): void {
  const passphrase = opts.passphrase ?? masterPassphrase();
  const codec = passphrase ? new EncryptionCodec(passphrase) : null;
  const origins = opts.corsOrigins ?? codecCorsOrigins();
  const cors = (req: FastifyRequest, reply: FastifyReply) => {
    const origin = req.headers.origin;
    if (typeof origin === 'string' && origins.includes(origin)) {
      void reply.header('access-control-allow-origin', origin).header('vary', 'origin')
        .header('access-control-allow-headers', 'content-type, x-namespace, authorization').header('access-control-allow-methods', 'POST, OPTIONS')
        .header('access-control-allow-credentials', 'true');
    }
  };
  for (const op of ['decode', 'encode'] as const) {
    app.options(`/codec/${op}`, async (req, reply) => {
      cors(req, reply);
      return reply.code(204).send();
    });
    app.post(`/codec/${op}`, async (req, reply) => {
      cors(req, reply);
      const parsed = payloadsSchema.safeParse(req.body);
      if (!parsed.success) return reply.code(400).send(apiError(`codec: the body must be {"payloads": [{"metadata": {...}, "data": "<base64>"}]}: ${parsed.error.issues[0]?.message ?? ''}`));
      const payloads = parsed.data.payloads.map(fromJson);
      try {
        const out = op === 'decode'
          ? (codec ? await codec.decode(payloads) : payloads).map(redactPayload)
          : codec ? await codec.encode(payloads) : payloads;
        return { payloads: out.map(toJson) };
      } catch {
        // never echo the payload or the key material
        return reply.code(400).send(apiError(`codec: a payload could not be ${op}d (encrypted with another master passphrase?)`));
      }
    });
  }
}
