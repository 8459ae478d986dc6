// Field rules shared by the REST schemas (names as LINSTOR allows them, addresses).
import { isIP } from 'node:net';
import { z } from 'zod';

/** LINSTOR's object name rule. */
export const NAME_RE = /^[A-Za-z_][A-Za-z0-9_-]{0,47}$/;

export const objectName = (what: string) =>
  z.string({ error: `${what} is required` }).regex(NAME_RE, `${what} must start with a letter or '_' and contain only letters, digits, '_' and '-' (at most 48 characters)`);

export const ipAddress = z
  .string({ error: 'address is required' })
  .refine((s) => isIP(s) !== 0, { message: 'address must be an IPv4 or IPv6 address' });
