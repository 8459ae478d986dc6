// Request bodies of the REST API (LINSTOR's shapes), validated with the shared rules of core/.
import { z } from 'zod';
import { ipAddress, objectName } from './fields.js';

export const nodeCreateBody = z.object({
  name: objectName('node'),
  type: z.enum(['SATELLITE', 'Satellite', 'satellite']).optional().default('SATELLITE'),
  net_interfaces: z
    .array(
      z.object({
        name: z.string().default('default'),
        address: ipAddress,
        satellite_port: z.number().int().min(1).max(65535).default(3366),
        satellite_encryption_type: z.string().optional(),
      }),
    )
    .min(1, 'at least one net interface (the node address) is required'),
  props: z.record(z.string(), z.string()).optional(),
});
