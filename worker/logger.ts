// One pino logger per process: JSON by default, pretty on a TTY; secrets redacted wherever they appear.
import pino, { type Logger } from 'pino';

export const REDACT_PATHS = [
  'secretKey', '*.secretKey', '*.*.secretKey', 'secret_key', '*.secret_key', '*.*.secret_key',
  'accessKey', '*.accessKey', '*.*.accessKey', 'access_key', '*.access_key', '*.*.access_key',
  'passphrase', '*.passphrase', '*.*.passphrase', 'authorization', '*.authorization', 'req.headers.authorization',
  // REST API tokens (api/auth.ts): the bearer token itself, wherever it travels
  'token', '*.token', '*.*.token', 'headers.authorization', '*.headers.authorization', 'FERRY_API_TOKEN', '*.FERRY_API_TOKEN',
];

export function createLogger(bindings: Record<string, string>, level = process.env.FERRY_LOG_LEVEL ?? 'info'): Logger {
  const pretty = process.stdout.isTTY && !process.env.FERRY_LOG_JSON;
  return pino({
    level,
    base: { pid: process.pid, ...bindings },
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    transport: pretty ? { target: 'pino-pretty', options: { colorize: true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname' } } : undefined,
  });
}

export type { Logger };
