// `ferry storage-pool|resource-definition|volume-definition|resource|volume ...`: LINSTOR's verbs,
// aliases and table columns. Input is checked with core/validation's schemas before any request.
import type { Command } from 'commander';
import type { z } from 'zod';
import type { FerryClient } from '../ferry-client.js';
import {
  autoPlaceSchema, auxPropertyMatchSchema, cliSizeSchema, regexSchema, nodeNameSchema, portSchema, resourceDefinitionNameSchema, resourceGroupNameSchema,
  storagePoolNameSchema, formatSize,
} from '../../core/validation.js';
import { renderTable } from './table.js';
import { awaitOperation } from './progress.js';

export interface CliKit {
  clientFrom(cmd: Command): { client: FerryClient; json: boolean };
  print(json: boolean, data: unknown, table: () => string): void;
  check<T>(schema: z.ZodType<T>, value: unknown): T;
}

const csv = (v?: string) => (v ? v.split(',').map((s) => s.trim()).filter(Boolean) : undefined);
const kib = (v: number | null | undefined) => (v === null || v === undefined ? '' : formatSize(v * 1024));

export function registerResourceCommands(program: Command, kit: CliKit): void {
  const { clientFrom, print, check } = kit;
  const done = async (cmd: Command, op: { workflowId: string; result(): Promise<unknown> }, message: string) => {
    const { client, json } = clientFrom(cmd);
    // progress while it runs (client/cli/progress.ts); --no-wait prints the operation id only
    const r = await awaitOperation(cmd, client, op, { json });
    if (r.waited) print(json, { result: r.result, workflow_id: op.workflowId }, () => `SUCCESS: ${message} (operation ${op.workflowId}).`);
  };

  // ---- storage-pool -----------------------------------------------------------------------------
  const sp = program.command('storage-pool').alias('sp').description('storage pools');
  sp.command('create').alias('c').description('create a storage pool on a node: lvmthin NODE POOL VG/THINPOOL')
    .argument('<driver>', 'storage driver (lvmthin)').argument('<node>', 'node name').argument('<name>', 'storage pool name')
    .argument('<driver-pool>', 'VG/THINPOOL on the node')
    .action(async (driver: string, node: string, name: string, driverPool: string, _o, cmd: Command) => {
      if (driver.toLowerCase() !== 'lvmthin') throw new UsageErrorLike(`storage driver '${driver}' is not supported; allowed: lvmthin`);
      const n = check(nodeNameSchema, node);
      const p = check(storagePoolNameSchema, name);
      const m = /^([A-Za-z0-9+_.-]+)\/([A-Za-z0-9+_.-]+)$/.exec(driverPool);
      if (!m) throw new UsageErrorLike(`driver pool '${driverPool}' must be VG/THINPOOL (letters, digits, '+', '_', '.', '-')`);
      const { client } = clientFrom(cmd);
      const op = await client.storagePools.createLvmThin({ node: n, name: p, vg: m[1]!, thinPool: m[2]! });
      await done(cmd, op, `Storage pool '${p}' on node '${n}' created`);
    });
  sp.command('delete').alias('d').description('remove a storage pool from a node: NODE POOL (refused while it holds volumes or snapshots; the thin pool on the host stays)')
    .argument('<node>', 'node name').argument('<name>', 'storage pool name')
    .action(async (node: string, name: string, _o, cmd: Command) => {
      const n = check(nodeNameSchema, node);
      const p = check(storagePoolNameSchema, name);
      const op = await clientFrom(cmd).client.storagePools.delete(n, p);
      await done(cmd, op, `Storage pool '${p}' on node '${n}' deleted`);
    });
  sp.command('list').alias('l').description('list storage pools and their capacity')
    .option('-n, --nodes <nodes>', 'only these nodes (comma separated)').option('-s, --storage-pools <pools>', 'only these pools')
    .action(async (o: { nodes?: string; storagePools?: string }, cmd: Command) => {
      const { client, json } = clientFrom(cmd);
      const pools = await client.storagePools.list({ nodes: csv(o.nodes), storagePools: csv(o.storagePools) });
      print(json, pools, () => renderTable(
        ['StoragePool', 'Node', 'Driver', 'PoolName', 'FreeCapacity', 'TotalCapacity', 'CanSnapshots', 'State'],
        pools.map((p) => [
          p.storage_pool_name, p.node_name, p.provider_kind, p.props['StorDriver/StorPoolName'] ?? '',
          kib(p.free_capacity), kib(p.total_capacity), p.supports_snapshots ? 'True' : 'False', p.reports.length ? 'Warning' : 'Ok',
        ])));
    });

  // ---- resource-definition ----------------------------------------------------------------------
  const rd = program.command('resource-definition').alias('rd').description('resource definitions');
  rd.command('create').alias('c').description('define a resource (a DRBD TCP port is allocated)')
    .argument('<name>', 'resource name').option('--resource-group <rg>', 'resource group').option('--port <port>', 'DRBD TCP port')
    .action(async (name: string, o: { resourceGroup?: string; port?: string }, cmd: Command) => {
      const rsc = check(resourceDefinitionNameSchema, name);
      const { client } = clientFrom(cmd);
      const op = await client.resourceDefinitions.create({
        name: rsc,
        ...(o.resourceGroup ? { resourceGroup: check(resourceGroupNameSchema, o.resourceGroup) } : {}),
        ...(o.port ? { port: check(portSchema, o.port) } : {}),
      });
      await done(cmd, op, `New resource definition '${rsc}' created`);
    });
  rd.command('list').alias('l').description('list resource definitions').action(async (_o, cmd: Command) => {
    const { client, json } = clientFrom(cmd);
    const rds = await client.resourceDefinitions.list();
    print(json, rds, () => renderTable(['ResourceName', 'Port', 'ResourceGroup', 'State'],
      rds.map((d) => [d.name, String(d.layer_data[0]?.data.port ?? ''), d.resource_group_name, 'ok'])));
  });
  withPlacementOptions(rd.command('autoplace').alias('ap').description('let the autoplacer place a resource: RSC [--place-count N | +N]')
    .argument('<name>', 'resource name').option('--place-count <n>', 'diskful replicas wanted (+N adds N)', '2')
    .option('-s, --storage-pool <pools>', 'storage pools to choose from (comma separated)'))
    .action(async (name: string, o: { placeCount: string; storagePool?: string } & PlacementCliOptions, cmd: Command) => {
      const rsc = check(resourceDefinitionNameSchema, name);
      const ap = check(autoPlaceSchema, o.placeCount);
      const pools = csv(o.storagePool)?.map((p) => check(storagePoolNameSchema, p));
      const op = await clientFrom(cmd).client.resources.autoPlace({ resource: rsc, placeCount: `${ap.relative ? '+' : ''}${ap.count}`, ...(pools ? { storagePools: pools } : {}), ...placementOptions(o, check) });
      await done(cmd, op, `Resource '${rsc}' auto-placed`);
    });
  rd.command('modify').alias('m').description("change a resource definition: modify RSC --resource-group RG (the group's properties and filter apply from then on)")
    .argument('<name>', 'resource name').option('--resource-group <rg>', 'move the definition to this resource group')
    .action(async (name: string, o: { resourceGroup?: string }, cmd: Command) => {
      const rsc = check(resourceDefinitionNameSchema, name);
      if (o.resourceGroup === undefined) throw new UsageErrorLike('nothing to change: give --resource-group RG');
      const group = check(resourceGroupNameSchema, o.resourceGroup);
      const op = await clientFrom(cmd).client.resourceDefinitions.modify({ name: rsc, resourceGroup: group });
      await done(cmd, op, `Resource definition '${rsc}' moved to resource group '${group}'`);
    });
  rd.command('delete').alias('d').description('delete a resource definition and its resources on every node')
    .argument('<name>', 'resource name')
    .action(async (name: string, _o, cmd: Command) => {
      const rsc = check(resourceDefinitionNameSchema, name);
      const op = await clientFrom(cmd).client.resourceDefinitions.delete(rsc);
      await done(cmd, op, `Resource definition '${rsc}' deleted`);
    });

  // ---- volume-definition ------------------------------------------------------------------------
  const vd = program.command('volume-definition').alias('vd').description('volume definitions');
  vd.command('create').alias('c').description('add a volume to a resource definition (a DRBD minor is allocated)')
    .argument('<resource>', 'resource name').argument('<size>', 'size, e.g. 64M, 10G (a bare number is GiB)')
    .option('--minor <minor>', 'DRBD minor number')
    .action(async (resource: string, size: string, o: { minor?: string }, cmd: Command) => {
      const rsc = check(resourceDefinitionNameSchema, resource);
      const bytes = check(cliSizeSchema, size);
      const op = await clientFrom(cmd).client.volumeDefinitions.create({ resource: rsc, sizeBytes: bytes, ...(o.minor ? { minor: Number(o.minor) } : {}) });
      await done(cmd, op, `New volume definition of '${rsc}' (${formatSize(bytes)}) created`);
    });
  vd.command('list').alias('l').description('list volume definitions')
    .option('-r, --resource-definitions <names>', 'only these resources')
    .action(async (o: { resourceDefinitions?: string }, cmd: Command) => {
      const { client, json } = clientFrom(cmd);
      const only = csv(o.resourceDefinitions);
      const rds = (await client.resourceDefinitions.list()).filter((d) => !only || only.includes(d.name));
      const rows = rds.flatMap((d) => d.volume_definitions.map((v) => ({ resource: d.name, ...v })));
      print(json, rows, () => renderTable(['ResourceName', 'VolumeNr', 'VolumeMinor', 'Size', 'Gross', 'State'],
        rows.map((v) => [v.resource, String(v.volume_number), String(v.layer_data[0]?.data.minor_number ?? ''), kib(v.size_kib), '', 'ok'])));
    });

  // ---- resource ---------------------------------------------------------------------------------
  const r = program.command('resource').alias('r').description('resources (a resource definition deployed on nodes)');
  const rCreate = r.command('create').alias('c').description('deploy a resource: [NODE...] RSC --storage-pool POOL, or RSC --auto-place N')
    .argument('<names...>', 'nodes, then the resource name')
    .option('-s, --storage-pool <pool>', 'storage pool').option('--auto-place <n>', 'number of diskful replicas (+N adds N)')
    .option('--drbd-diskless', 'diskless DRBD client: the data over the network from the diskful replicas')
    .option('-d, --diskless', 'the same as --drbd-diskless (LINSTOR\'s older name)');
  withPlacementOptions(rCreate)
    .action(async (names: string[], opts: { storagePool?: string; autoPlace?: string; diskless?: boolean; drbdDiskless?: boolean } & PlacementCliOptions, cmd: Command) => {
      const o = { ...opts, diskless: Boolean(opts.diskless || opts.drbdDiskless) };
      if (o.diskless && o.storagePool) throw new UsageErrorLike('give either --storage-pool POOL or --drbd-diskless, not both');
      if (o.diskless && o.autoPlace !== undefined) throw new UsageErrorLike('--drbd-diskless places on the nodes given; it does not go with --auto-place (see --diskless-on-remaining)');
      const rsc = check(resourceDefinitionNameSchema, names[names.length - 1]);
      const nodes = names.slice(0, -1).map((n) => check(nodeNameSchema, n));
      const pool = o.storagePool ? check(storagePoolNameSchema, o.storagePool) : undefined;
      const { client } = clientFrom(cmd);
      if (o.autoPlace !== undefined) {
        if (nodes.length) throw new UsageErrorLike('give either nodes or --auto-place, not both');
        const ap = check(autoPlaceSchema, o.autoPlace);
        const op = await client.resources.autoPlace({ resource: rsc, placeCount: `${ap.relative ? '+' : ''}${ap.count}`, storagePool: pool, ...placementOptions(o, check) });
        await done(cmd, op, `Resource '${rsc}' auto-placed`);
        return;
      }
      if (hasPlacementOptions(o)) throw new UsageErrorLike('--replicas-on-same/-different, --do-not-place-with[-regex] and --diskless-on-remaining go with --auto-place');
      if (!nodes.length) throw new UsageErrorLike('give the nodes to place the resource on, or --auto-place N');
      if (!pool && !o.diskless) {
        await client.resourceDefinitions.get(rsc); // an unknown resource is the first thing to say
        throw new UsageErrorLike('give --storage-pool POOL (or --drbd-diskless)');
      }
      const op = await client.resources.create({ resource: rsc, nodes, storagePool: pool, diskless: o.diskless });
      await done(cmd, op, `Resource '${rsc}' created on ${nodes.join(', ')}`);
    });
  r.command('list').alias('l').description('list resources')
    .option('-r, --resources <names>', 'only these resources').option('-n, --nodes <nodes>', 'only these nodes')
    .action(async (o: { resources?: string; nodes?: string }, cmd: Command) => {
      const { client, json } = clientFrom(cmd);
      const rs = await client.resources.list({ resources: csv(o.resources), nodes: csv(o.nodes) });
      const rds = new Map((await client.resourceDefinitions.list()).map((d) => [d.name, d]));
      print(json, rs, () => renderTable(['ResourceName', 'Node', 'Port', 'Usage', 'State'], rs.map((x) => [
        x.name, x.node_name, String(rds.get(x.name)?.layer_data[0]?.data.port ?? ''), x.state.in_use ? 'InUse' : 'Unused',
        x.flags.includes('DISKLESS') ? 'Diskless' : (x.volumes.map((v) => v.state.disk_state).find((s) => s !== 'UpToDate') ?? 'UpToDate'),
      ])));
    });
  r.command('delete').alias('d').description('remove a resource from a node: NODE RSC')
    .argument('<node>', 'node name').argument('<resource>', 'resource name')
    .action(async (node: string, resource: string, _o, cmd: Command) => {
      const n = check(nodeNameSchema, node);
      const rsc = check(resourceDefinitionNameSchema, resource);
      const op = await clientFrom(cmd).client.resources.delete({ resource: rsc, node: n });
      await done(cmd, op, `Resource '${rsc}' on node '${n}' deleted`);
    });

  // ---- volume -----------------------------------------------------------------------------------
  const v = program.command('volume').alias('v').description('volumes of resources');
  v.command('list').alias('l').description('list volumes: device, allocation and disk state per node')
    .option('-r, --resources <names>', 'only these resources').option('-n, --nodes <nodes>', 'only these nodes')
    .action(async (o: { resources?: string; nodes?: string }, cmd: Command) => {
      const { client, json } = clientFrom(cmd);
      const rs = await client.resources.list({ resources: csv(o.resources), nodes: csv(o.nodes) });
      print(json, rs, () => renderTable(['Node', 'Resource', 'StoragePool', 'VolNr', 'MinorNr', 'DeviceName', 'Allocated', 'InUse', 'State'],
        rs.flatMap((x) => x.volumes.map((vol) => [
          x.node_name, x.name, vol.storage_pool_name, String(vol.volume_number),
          String(vol.layer_data_list[0]?.data.drbd_volume_definition.minor_number ?? ''), vol.device_path,
          kib(vol.allocated_size_kib), x.state.in_use ? 'InUse' : 'Unused', vol.state.disk_state,
        ]))));
    });
}

interface PlacementCliOptions {
  replicasOnSame?: string[];
  replicasOnDifferent?: string[];
  doNotPlaceWith?: string;
  doNotPlaceWithRegex?: string;
  disklessOnRemaining?: boolean;
}

const collect = (v: string, prev: string[] = []) => [...prev, ...v.split(/[\s,]+/).filter(Boolean)];

/** The autoplacer's options of LINSTOR's `r create --auto-place` / `rd autoplace`. */
function withPlacementOptions(c: Command): Command {
  return c
    .option('--replicas-on-same <aux...>', 'replicas only on nodes with the same value of these Aux properties (KEY or KEY=VALUE)', collect)
    .option('--replicas-on-different <aux...>', 'replicas on nodes with different values of these Aux properties (KEY or KEY=VALUE)', collect)
    .option('--do-not-place-with <resources>', 'not on nodes that hold one of these resources (comma separated)')
    .option('--do-not-place-with-regex <regex>', 'not on nodes that hold a resource matching this regular expression')
    .option('--diskless-on-remaining', 'a diskless replica on every other node');
}

function hasPlacementOptions(o: PlacementCliOptions): boolean {
  return Boolean(o.replicasOnSame || o.replicasOnDifferent || o.doNotPlaceWith || o.doNotPlaceWithRegex !== undefined || o.disklessOnRemaining);
}

/** Checked with core/validation's schemas; sent as given (`Aux/` is added by the controller). */
function placementOptions(o: PlacementCliOptions, check: CliKit['check']) {
  const aux = (v: string[] | undefined) => v?.map((x) => (check(auxPropertyMatchSchema, x), x));
  const same = aux(o.replicasOnSame);
  const diff = aux(o.replicasOnDifferent);
  const dnpw = csv(o.doNotPlaceWith)?.map((x) => check(resourceDefinitionNameSchema, x));
  if (o.doNotPlaceWithRegex !== undefined) check(regexSchema, o.doNotPlaceWithRegex);
  return {
    ...(same ? { replicasOnSame: same } : {}),
    ...(diff ? { replicasOnDifferent: diff } : {}),
    ...(dnpw ? { doNotPlaceWith: dnpw } : {}),
    ...(o.doNotPlaceWithRegex !== undefined ? { doNotPlaceWithRegex: o.doNotPlaceWithRegex } : {}),
    ...(o.disklessOnRemaining ? { disklessOnRemaining: true } : {}),
  };
}

/** Bad input found by the CLI itself: main() prints it and exits 2, as for a schema failure. */
class UsageErrorLike extends Error {}
export { UsageErrorLike };
