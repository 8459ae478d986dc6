// `ferry snapshot create|list|delete|rollback|resource restore` (aliases `s c|l|d|rb|r r`):
// LINSTOR's verbs and table columns. Names are checked with core/validation's schemas first.
import type { Command } from 'commander';
import { formatSize, resourceDefinitionNameSchema, snapshotNameSchema } from '../../core/validation.js';
import type { CliKit } from './resources.js';
import { renderTable } from './table.js';

const csv = (v?: string) => (v ? v.split(',').map((s) => s.trim()).filter(Boolean) : undefined);

function createdOn(ms: number): string {
  return new Date(ms).toISOString().replace('T', ' ').replace(/\.\d+Z$/, '');
}

export function registerSnapshotCommands(program: Command, kit: CliKit): void {
  const { clientFrom, print, check } = kit;
  const done = async (cmd: Command, op: { workflowId: string; result(): Promise<unknown> }, message: (res: unknown) => string) => {
    const { json } = clientFrom(cmd);
    const res = await op.result();
    print(json, { result: res, workflow_id: op.workflowId }, () => `SUCCESS: ${message(res)} (operation ${op.workflowId}).`);
  };
  const names = (rsc: string, snap: string) => ({ resource: check(resourceDefinitionNameSchema, rsc), snapshot: check(snapshotNameSchema, snap) });

  const s = program.command('snapshot').alias('s').description('snapshots of resources (thin LVM snapshots on every diskful node)');

  s.command('create').alias('c').description('take a consistent snapshot of a resource on all its diskful nodes: RSC SNAP')
    .argument('<resource>', 'resource name').argument('<snapshot>', 'snapshot name')
    .action(async (rsc: string, snap: string, _o, cmd: Command) => {
      const n = names(rsc, snap);
      const op = await clientFrom(cmd).client.snapshots.create(n);
      await done(cmd, op, (res) => {
        const r = res as { nodes?: string[]; ioSuspended?: boolean; notes?: string[] };
        const note = r.ioSuspended === false ? `; I/O was not suspended (${(r.notes ?? []).join('; ')}): crash-consistent per replica` : '';
        return `New snapshot '${n.snapshot}' of resource '${n.resource}' created on ${(r.nodes ?? []).join(', ')}${note}`;
      });
    });

  s.command('list').alias('l').description('list snapshots')
    .option('-r, --resources <names>', 'only these resources (comma separated)')
    .action(async (o: { resources?: string }, cmd: Command) => {
      const { client, json } = clientFrom(cmd);
      const only = csv(o.resources)?.map((r) => check(resourceDefinitionNameSchema, r));
      const snaps = await client.snapshots.list({ resources: only });
      print(json, snaps, () => renderTable(['ResourceName', 'SnapshotName', 'NodeNames', 'Volumes', 'CreatedOn', 'State'], snaps.map((x) => [
        x.resource_name, x.name, x.nodes.join(', '),
        x.volume_definitions.map((v) => `${v.volume_number}: ${formatSize(v.size_kib * 1024)}`).join(', '),
        createdOn(x.create_timestamp), x.state,
      ])));
    });

  s.command('delete').alias('d').description('delete a snapshot on every node: RSC SNAP')
    .argument('<resource>', 'resource name').argument('<snapshot>', 'snapshot name')
    .action(async (rsc: string, snap: string, _o, cmd: Command) => {
      const n = names(rsc, snap);
      const op = await clientFrom(cmd).client.snapshots.delete(n);
      await done(cmd, op, () => `Snapshot '${n.snapshot}' of resource '${n.resource}' deleted`);
    });

  s.command('rollback').alias('rb').description('roll a resource back to its most recent snapshot (the resource must be unused): RSC SNAP')
    .argument('<resource>', 'resource name').argument('<snapshot>', 'snapshot name')
    .action(async (rsc: string, snap: string, _o, cmd: Command) => {
      const n = names(rsc, snap);
      const op = await clientFrom(cmd).client.snapshots.rollback(n);
      await done(cmd, op, () => `Resource '${n.resource}' rolled back to snapshot '${n.snapshot}'`);
    });

  const sr = s.command('resource').alias('r').description('resources from snapshots');
  sr.command('restore').alias('r').description('restore a snapshot into a new resource on the snapshot\'s nodes')
    .requiredOption('--from-resource <rsc>', 'resource of the snapshot').requiredOption('--from-snapshot <snap>', 'snapshot name')
    .requiredOption('--to-resource <rsc>', 'new resource definition')
    .action(async (o: { fromResource: string; fromSnapshot: string; toResource: string }, cmd: Command) => {
      const n = names(o.fromResource, o.fromSnapshot);
      const target = check(resourceDefinitionNameSchema, o.toResource);
      const op = await clientFrom(cmd).client.snapshots.restore({ ...n, target });
      await done(cmd, op, (res) => `Resource '${target}' restored from snapshot '${n.snapshot}' of '${n.resource}' on ${((res as { nodes?: string[] }).nodes ?? []).join(', ')}`);
    });
}
