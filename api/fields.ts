// Field rules of the REST schemas and the CLI: the shared ones of core/validation.ts.
import { nameSchema, nodeAddressSchema } from '../core/validation.js';
import type { NameKind } from '../core/names.js';

export const objectName = (kind: NameKind) => nameSchema(kind);
export const ipAddress = nodeAddressSchema;
