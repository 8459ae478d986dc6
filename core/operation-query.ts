// Filters of `ferry operation list` / GET /v1/ferry/operations, validated and turned into a
// Temporal visibility query over ferry's search attributes. Pure module.
import { z } from 'zod';
import { nodeNameSchema, resourceDefinitionNameSchema } from './validation.js';

export const operationListSchema = z.object({
  node: nodeNameSchema.optional(),
  resource: resourceDefinitionNameSchema.optional(),
  operation: z.string().regex(/^[a-z][a-z0-9-]{0,47}$/, { message: 'operation must be an operation kind like resource-create' }).optional(),
  running: z.boolean().optional(),
  failed: z.boolean().optional(),
  limit: z.coerce.number({ error: 'limit must be a number' }).int().min(1, { message: 'limit must be 1..1000' }).max(1000, { message: 'limit must be 1..1000' }).optional(),
});

export type OperationListFilter = z.output<typeof operationListSchema>;

/** `FerryNode="node2" AND ExecutionStatus="Running"`: names are validated, so quoting is plain. */
export function visibilityQuery(f: OperationListFilter): string {
  const parts: string[] = [];
  if (f.node) parts.push(`FerryNode="${f.node}"`);
  if (f.resource) parts.push(`FerryResource="${f.resource}"`);
  if (f.operation) parts.push(`FerryOperation="${f.operation}"`);
  if (f.running) parts.push(`ExecutionStatus="Running"`);
  if (f.failed) parts.push(`ExecutionStatus="Failed"`);
  return parts.join(' AND ');
}
