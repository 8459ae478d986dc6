// A runnable example of the ferry SDK (client/ferry-client.ts): define a resource with one 64 MiB
// volume, place two replicas with the autoplacer, wait for each Operation (a durable Temporal
// workflow on the controller), then list the volumes with their devices and disk states.
//
//   FERRY_CONTROLLERS=http://127.0.0.1:3370 node dist-examples/examples/sdk-example.js [RESOURCE] [POOL]
//
// Compile it with the repository's compiler settings (docs/sdk.md shows the command).
import { FerryApiError, FerryClient } from '../client/ferry-client.js';

async function main(): Promise<void> {
  const controllers = (process.env.FERRY_CONTROLLERS ?? 'http://127.0.0.1:3370').split(',');
  const resource = process.argv[2] ?? 'sdkdemo';
  const pool = process.argv[3] ?? 'pool1';
  const ferry = new FerryClient({ controllers, ...(process.env.FERRY_API_TOKEN ? { token: process.env.FERRY_API_TOKEN } : {}) });

  // every mutation answers at once with an Operation; result() waits for the workflow to finish
  const rd = await ferry.resourceDefinitions.create({ name: resource });
  console.log(`started ${rd.workflowId}`);
  const { port } = await rd.result();
  console.log(`resource definition ${resource}: DRBD port ${port}`);

  const vd = await ferry.volumeDefinitions.create({ resource, sizeBytes: 64 * 1024 * 1024 });
  const { minor } = await vd.result();
  console.log(`volume 0: /dev/drbd${minor}`);

  const placed = await ferry.resources.autoPlace({ resource, placeCount: 2, storagePool: pool });
  console.log(`placing: ${JSON.stringify(await placed.progress())}`);
  const r = await placed.result();
  console.log(`placed on ${r.nodes.join(', ')}`);

  for (const res of await ferry.resources.list({ resources: [resource] })) {
    for (const v of res.volumes) {
      console.log(`volume ${res.node_name} ${res.name}/${v.volume_number} ${v.device_path} ${v.state.disk_state}`);
    }
  }
}

main().catch((e: unknown) => {
  // a refused request (bad input, not found, conflict) is a FerryApiError with the HTTP status
  if (e instanceof FerryApiError) console.error(`ferry refused (HTTP ${e.status}): ${e.message}`);
  else console.error(e);
  process.exitCode = 1;
});
