// `ferry resource-group|rg create|list|modify|delete|spawn-resources|set-property|list-properties`,
// `set-property`/`list-properties` on resource definitions, resources and storage pools, and
// `ferry volume-definition set-size`: registered on the existing commands. Input is checked with
// core/validation's schemas and core/properties' whitelist before any request.
import type { Command } from 'commander';
import { checkDrbdOptionProperty } from '../../core/drbd-props.js';
import { canonicalPropertyKey, checkProperty, propLevelLabel, type PropLevel } from '../../core/properties.js';
import { auxKeyOf } from './guide-args.js';
import {
  auxPropertyMatchSchema, cliSizeSchema, formatSize, nodeNameSchema, placeCountSchema, propertyKeySchema, propertyValueSchema, regexSchema,
  resourceDefinitionNameSchema, resourceGroupNameSchema, storagePoolNameSchema, volumeNumberSchema,
} from '../../core/validation.js';
import type { PropertyTargetRequest, SelectFilterRequest } from '../ferry-client.js';
import { awaitOperation } from './progress.js';
import { UsageErrorLike, type CliKit } from './resources.js';
import { renderTable } from './table.js';

interface FilterOpts {
  placeCount?: string;
  storagePool?: string[];
  replicasOnSame?: string[];
  replicasOnDifferent?: string[];
  doNotPlaceWith?: string;
  doNotPlaceWithRegex?: string;
  disklessOnRemaining?: boolean;
  description?: string;
}

const collect = (v: string, prev: string[] = []) => [...prev, ...v.split(/[\s,]+/).filter(Boolean)];

function withFilterOptions(c: Command): Command {
  return c
    .option('--place-count <n>', 'diskful replicas of each spawned resource')
    .option('-s, --storage-pool <pools...>', 'storage pools the autoplacer may use', collect)
    .option('--replicas-on-same <aux...>', 'replicas only on nodes with the same value of these Aux properties', collect)
    .option('--replicas-on-different <aux...>', 'replicas on nodes with different values of these Aux properties', collect)
    .option('--do-not-place-with <resources>', 'not on nodes that hold one of these resources (comma separated)')
    .option('--do-not-place-with-regex <regex>', 'not on nodes that hold a resource matching this regular expression')
    .option('--diskless-on-remaining', 'a diskless replica on every other node')
    .option('--description <text>', 'description');
}

export function registerResourceGroupCommands(program: Command, kit: CliKit): void {
  const { clientFrom, print, check } = kit;
  const find = (name: string) => {
    const c = program.commands.find((x) => x.name() === name);
    if (!c) throw new Error(`command '${name}' is not registered`);
    return c;
  };
  const done = async (cmd: Command, op: { workflowId: string; result(): Promise<unknown> }, message: string) => {
    const { client, json } = clientFrom(cmd);
    const r = await awaitOperation(cmd, client, op, { json });
    if (r.waited) print(json, { result: r.result, workflow_id: op.workflowId }, () => `SUCCESS: ${message} (operation ${op.workflowId}).`);
  };
  const filterOf = (o: FilterOpts): SelectFilterRequest => {
    const aux = (v?: string[]) => v?.map((x) => (check(auxPropertyMatchSchema, x), x));
    if (o.doNotPlaceWithRegex !== undefined) check(regexSchema, o.doNotPlaceWithRegex);
    const out: SelectFilterRequest = {};
    if (o.placeCount !== undefined) out.placeCount = check(placeCountSchema, o.placeCount);
    if (o.storagePool) out.storagePools = o.storagePool.map((p) => check(storagePoolNameSchema, p));
    if (o.replicasOnSame) out.replicasOnSame = aux(o.replicasOnSame)!;
    if (o.replicasOnDifferent) out.replicasOnDifferent = aux(o.replicasOnDifferent)!;
    if (o.doNotPlaceWith) out.doNotPlaceWith = o.doNotPlaceWith.split(',').map((x) => check(resourceDefinitionNameSchema, x.trim()));
    if (o.doNotPlaceWithRegex !== undefined) out.doNotPlaceWithRegex = o.doNotPlaceWithRegex;
    if (o.disklessOnRemaining) out.disklessOnRemaining = true;
    return out;
  };

  // ---- resource-group ---------------------------------------------------------------------------
  const rg = program.command('resource-group').alias('rg').description('resource groups: templates for resource definitions');
  withFilterOptions(rg.command('create').alias('c').description('create a resource group').argument('<name>', 'resource group name'))
    .action(async (name: string, o: FilterOpts, cmd: Command) => {
      const n = check(resourceGroupNameSchema, name);
      const op = await clientFrom(cmd).client.resourceGroups.create({ name: n, ...filterOf(o), ...(o.description !== undefined ? { description: o.description } : {}) });
      await done(cmd, op, `New resource group '${n}' created`);
    });
  rg.command('list').alias('l').description('list resource groups').action(async (_o, cmd: Command) => {
    const { client, json } = clientFrom(cmd);
    const rgs = await client.resourceGroups.list();
    print(json, rgs, () => renderTable(['ResourceGroup', 'SelectFilter', 'VlmNrs', 'Description'], rgs.map((g) => {
      const f = g.select_filter;
      const parts = [`PlaceCount: ${f.place_count ?? 2}`];
      if (f.storage_pool_list?.length) parts.push(`StoragePool(s): ${f.storage_pool_list.join(', ')}`);
      if (f.replicas_on_same?.length) parts.push(`ReplicasOnSame: ${f.replicas_on_same.map(String).join(', ')}`);
      if (f.replicas_on_different?.length) parts.push(`ReplicasOnDifferent: ${f.replicas_on_different.map(String).join(', ')}`);
      if (f.not_place_with_rsc?.length) parts.push(`NotPlaceWithRsc: ${f.not_place_with_rsc.join(', ')}`);
      if (f.not_place_with_rsc_regex !== undefined) parts.push(`NotPlaceWithRscRegex: ${f.not_place_with_rsc_regex}`);
      if (f.diskless_on_remaining) parts.push('DisklessOnRemaining: True');
      return [g.name, parts.join('\n'), g.volume_groups.map((v) => String(v.volume_number)).join(','), g.description];
    })));
  });
  withFilterOptions(rg.command('modify').alias('m').description('change a resource group\'s select filter or description').argument('<name>', 'resource group name'))
    .action(async (name: string, o: FilterOpts, cmd: Command) => {
      const n = check(resourceGroupNameSchema, name);
      const f = filterOf(o);
      if (!Object.keys(f).length && o.description === undefined) throw new UsageErrorLike('nothing to change; give --place-count, --storage-pool, ... or --description');
      const op = await clientFrom(cmd).client.resourceGroups.modify({ name: n, ...f, ...(o.description !== undefined ? { description: o.description } : {}) });
      await done(cmd, op, `Resource group '${n}' modified`);
    });
  rg.command('delete').alias('d').description('delete a resource group no resource definition uses').argument('<name>', 'resource group name')
    .action(async (name: string, _o, cmd: Command) => {
      const n = check(resourceGroupNameSchema, name);
      await done(cmd, await clientFrom(cmd).client.resourceGroups.delete(n), `Resource group '${n}' deleted`);
    });
  rg.command('spawn-resources').alias('spawn').description('define a resource in the group and place it by the group\'s select filter: RG RSC SIZE...')
    .argument('<group>', 'resource group').argument('<resource>', 'resource name').argument('<sizes...>', 'volume sizes, e.g. 32M (a bare number is GiB)')
    .action(async (group: string, resource: string, sizes: string[], _o, cmd: Command) => {
      const g = check(resourceGroupNameSchema, group);
      const rsc = check(resourceDefinitionNameSchema, resource);
      const bytes = sizes.map((s) => check(cliSizeSchema, s));
      const op = await clientFrom(cmd).client.resourceGroups.spawn({ resourceGroup: g, resource: rsc, sizesBytes: bytes });
      await done(cmd, op, `Resource '${rsc}' (${bytes.map(formatSize).join(', ')}) spawned from resource group '${g}'`);
    });

  // ---- properties -------------------------------------------------------------------------------
  const setProp = async (cmd: Command, target: PropertyTargetRequest, level: PropLevel, key: string, value: string | undefined, label: string) => {
    // `--aux KEY` is `Aux/KEY`; the guide's AutoSnapshot/* is LINSTOR's DrbdOptions/AutoSnapshot/*
    const k = canonicalPropertyKey(check(propertyKeySchema, auxKeyOf(key, cmd.opts<{ aux?: boolean }>().aux)));
    let v: string | null = null;
    if (value !== undefined) {
      const c = checkProperty(k, check(propertyValueSchema, value), level);
      if (!c.ok) throw new UsageErrorLike(c.message);
      v = c.value;
    }
    const drbd = checkDrbdOptionProperty(k, v);
    if (drbd) throw new UsageErrorLike(drbd);
    const op = await clientFrom(cmd).client.properties.set(target, { [k]: v });
    await done(cmd, op, `Property '${k}' of ${label} ${v === null ? 'deleted' : 'set'}`);
  };
  const listProps = async (cmd: Command, target: PropertyTargetRequest, effective: boolean) => {
    const { client, json } = clientFrom(cmd);
    const props = await client.properties.list(target, { effective });
    const origin = (o: string) => (o in propLevelLabel ? propLevelLabel[o as PropLevel] : o);
    print(json, props, () => renderTable(effective ? ['Key', 'Value', 'From'] : ['Key', 'Value'],
      props.map((p) => (effective ? [p.key, p.value, origin(p.origin)] : [p.key, p.value]))));
  };
  const del = '[value]';
  const delHelp = 'value; omit to delete the key';

  rg.command('set-property').alias('sp').description('set (or, without VALUE, delete) a resource group property')
    .argument('<group>', 'resource group').argument('<key>', 'property key').argument(del, delHelp).option('--aux', 'KEY is an auxiliary property: Aux/KEY')
    .action(async (group: string, key: string, value: string | undefined, _o, cmd: Command) => {
      const g = check(resourceGroupNameSchema, group);
      await setProp(cmd, { resourceGroup: g }, 'resource-group', key, value, `resource group '${g}'`);
    });
  rg.command('list-properties').alias('lp').description('properties of a resource group').argument('<group>', 'resource group')
    .option('--effective', 'with inherited values and where they come from')
    .action(async (group: string, o: { effective?: boolean }, cmd: Command) => listProps(cmd, { resourceGroup: check(resourceGroupNameSchema, group) }, Boolean(o.effective)));

  const rd = find('resource-definition');
  rd.command('set-property').alias('sp').description('set (or, without VALUE, delete) a resource definition property (DrbdOptions/* reach the .res at once)')
    .argument('<resource>', 'resource name').argument('<key>', 'property key').argument(del, delHelp).option('--aux', 'KEY is an auxiliary property: Aux/KEY')
    .action(async (resource: string, key: string, value: string | undefined, _o, cmd: Command) => {
      const rsc = check(resourceDefinitionNameSchema, resource);
      await setProp(cmd, { resource: rsc }, 'resource-definition', key, value, `resource definition '${rsc}'`);
    });
  rd.command('list-properties').alias('lp').description('properties of a resource definition').argument('<resource>', 'resource name')
    .option('--effective', 'with inherited values and where they come from')
    .action(async (resource: string, o: { effective?: boolean }, cmd: Command) => listProps(cmd, { resource: check(resourceDefinitionNameSchema, resource) }, Boolean(o.effective)));

  const r = find('resource');
  r.command('set-property').alias('sp').description('set (or, without VALUE, delete) a property of a resource on one node')
    .argument('<node>', 'node name').argument('<resource>', 'resource name').argument('<key>', 'property key').argument(del, delHelp).option('--aux', 'KEY is an auxiliary property: Aux/KEY')
    .action(async (node: string, resource: string, key: string, value: string | undefined, _o, cmd: Command) => {
      const n = check(nodeNameSchema, node);
      const rsc = check(resourceDefinitionNameSchema, resource);
      await setProp(cmd, { resource: rsc, node: n }, 'resource', key, value, `resource '${rsc}' on node '${n}'`);
    });
  r.command('list-properties').alias('lp').description('properties of a resource on one node, inherited ones with where they come from')
    .argument('<node>', 'node name').argument('<resource>', 'resource name').option('--own', 'only the resource\'s own properties')
    .action(async (node: string, resource: string, o: { own?: boolean }, cmd: Command) =>
      listProps(cmd, { resource: check(resourceDefinitionNameSchema, resource), node: check(nodeNameSchema, node) }, !o.own));

  const sp = find('storage-pool');
  sp.command('set-property').alias('sp').description('set (or, without VALUE, delete) a storage pool property')
    .argument('<node>', 'node name').argument('<pool>', 'storage pool').argument('<key>', 'property key').argument(del, delHelp).option('--aux', 'KEY is an auxiliary property: Aux/KEY')
    .action(async (node: string, pool: string, key: string, value: string | undefined, _o, cmd: Command) => {
      const n = check(nodeNameSchema, node);
      const p = check(storagePoolNameSchema, pool);
      await setProp(cmd, { node: n, storagePool: p }, 'storage-pool', key, value, `storage pool '${p}' on node '${n}'`);
    });
  sp.command('list-properties').alias('lp').description('properties of a storage pool').argument('<node>', 'node name').argument('<pool>', 'storage pool')
    .option('--effective', 'with inherited values and where they come from')
    .action(async (node: string, pool: string, o: { effective?: boolean }, cmd: Command) =>
      listProps(cmd, { node: check(nodeNameSchema, node), storagePool: check(storagePoolNameSchema, pool) }, Boolean(o.effective)));

  // ---- vd set-size ------------------------------------------------------------------------------
  find('volume-definition').command('set-size').description('grow a volume: RSC VLMNR SIZE (every diskful replica, then DRBD; never shrinks)')
    .argument('<resource>', 'resource name').argument('<volume-number>', 'volume number').argument('<size>', 'new size, e.g. 64M (a bare number is GiB)')
    .action(async (resource: string, vlmNr: string, size: string, _o, cmd: Command) => {
      const rsc = check(resourceDefinitionNameSchema, resource);
      const nr = check(volumeNumberSchema, vlmNr);
      const bytes = check(cliSizeSchema, size);
      const op = await clientFrom(cmd).client.volumeDefinitions.setSize({ resource: rsc, volumeNumber: nr, sizeBytes: bytes });
      await done(cmd, op, `Volume ${nr} of '${rsc}' grown to ${formatSize(bytes)}`);
    });

  // ---- vd set-property, vd delete (LINSTOR's `vd sp`, `vd d`) --------------------------------------
  const vd = find('volume-definition');
  vd.command('set-property').alias('sp').description('set (or, without VALUE, delete) a volume definition property (Aux/*, FileSystem/*)')
    .argument('<resource>', 'resource name').argument('<volume-number>', 'volume number').argument('<key>', 'property key').argument(del, delHelp).option('--aux', 'KEY is an auxiliary property: Aux/KEY')
    .action(async (resource: string, vlmNr: string, key: string, value: string | undefined, _o, cmd: Command) => {
      const rsc = check(resourceDefinitionNameSchema, resource);
      const nr = check(volumeNumberSchema, vlmNr);
      const k = check(propertyKeySchema, auxKeyOf(key, cmd.opts<{ aux?: boolean }>().aux));
      let v: string | null = null;
      if (value !== undefined) {
        const c = checkProperty(k, check(propertyValueSchema, value), 'volume-definition');
        if (!c.ok) throw new UsageErrorLike(c.message);
        v = c.value;
      }
      const op = await clientFrom(cmd).client.volumeDefinitions.setProperties({ resource: rsc, volumeNumber: nr, changes: { [k]: v } });
      await done(cmd, op, `Property '${k}' of volume ${nr} of '${rsc}' ${v === null ? 'deleted' : 'set'}`);
    });
  vd.command('delete').alias('d').description('remove a volume definition (refused while the resource is deployed)')
    .argument('<resource>', 'resource name').argument('<volume-number>', 'volume number')
    .action(async (resource: string, vlmNr: string, _o, cmd: Command) => {
      const rsc = check(resourceDefinitionNameSchema, resource);
      const nr = check(volumeNumberSchema, vlmNr);
      const op = await clientFrom(cmd).client.volumeDefinitions.delete(rsc, nr);
      await done(cmd, op, `Volume definition ${nr} of '${rsc}' deleted`);
    });
}
