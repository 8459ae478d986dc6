// Input of node evacuate / restore / lost, toggle-disk and set-property, validated (zod) by the
// CLI and the REST API before any workflow starts; and the ids of their workflows. Pure.
import { z } from 'zod';
import { integerSchema, nodeNameSchema, propertyKeySchema, propertyValueSchema, resourceDefinitionNameSchema, storagePoolNameSchema } from './validation.js';

export const evacuateSchema = z.object({
  nodes: z.array(nodeNameSchema).min(1, 'give at least one node to evacuate'),
  dryRun: z.boolean().default(false),
  maxConcurrent: integerSchema('max concurrent resources', 1, 64).optional(),
});
export type EvacuateRequest = z.infer<typeof evacuateSchema>;

export const toggleDiskSchema = z.object({
  resource: resourceDefinitionNameSchema,
  node: nodeNameSchema,
  storagePool: storagePoolNameSchema.nullable(),
  migrateFrom: nodeNameSchema.optional(),
});
export type ToggleDiskRequest = z.infer<typeof toggleDiskSchema>;

export const setPropertiesSchema = z.object({
  node: nodeNameSchema.optional(),
  changes: z.record(propertyKeySchema, propertyValueSchema.nullable()),
});

export const evacuationIds = {
  evacuate: (node: string) => `evacuate/${node}`,
  evict: (node: string) => `evict/${node}`,
  restore: (node: string) => `node-restore/${node}`,
  lost: (node: string) => `node-lost/${node}`,
  toggleDisk: (rsc: string, node: string) => `toggle-disk/${rsc}/${node}`,
  properties: (target: string) => `properties/${target}`,
  autoEvict: 'auto-evict',
} as const;
