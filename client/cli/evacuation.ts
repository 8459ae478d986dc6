// `ferry node evacuate|restore|lost|set-property`, `ferry controller set-property`,
// `ferry resource toggle-disk`: registered on the existing `node`, `controller` and `resource`
// commands. Long operations wait with a progress line by default (`--no-wait` prints the workflow id).
import type { Command } from 'commander';
import { evacuateSchema, toggleDiskSchema } from '../../core/evacuation.js';
import { propertyKeySchema, propertyValueSchema } from '../../core/validation.js';
import type { FerryClient } from '../ferry-client.js';
import { renderTable } from './table.js';
import { UsageErrorLike, type CliKit } from './resources.js';
import { auxKeyOf } from './guide-args.js';

interface MoveP { resource: string; target: string | null; phase: string; percentInSync: number; bytesTotal: number; bytesDone: number; etaSeconds: number | null }
interface EvacP { node: string; phase: string; total: number; done: number; moving: MoveP[]; blocked: { resource: string; reason: string }[]; bytesTotal: number; bytesDone: number; etaSeconds: number | null }

const mib = (b: number) => `${(b / 1048576).toFixed(1)} MiB`;

/** One line for an evacuation's progress. */
export function evacuationLine(id: string, p: EvacP | null): string {
  if (!p) return `${id}: starting`;
  const parts = [`${id}: ${p.done}/${p.total} resources moved`];
  if (p.moving.length) {
    parts.push(p.moving.map((m) => `${m.resource}${m.target ? ` -> ${m.target}` : ''} ${m.phase}${m.bytesTotal ? ` ${m.percentInSync.toFixed(0)}%` : ''}`).join(', '));
    if (p.bytesTotal) parts.push(`${mib(p.bytesDone)} of ${mib(p.bytesTotal)}${p.etaSeconds !== null ? `, ETA ${p.etaSeconds}s` : ''}`);
  }
  if (p.blocked.length) parts.push(`BLOCKED: ${p.blocked.map((b) => `${b.resource}: ${b.reason}`).join('; ')}`);
  return parts.join('; ');
}

/** Polls the operations until they finish, printing a progress line to stderr when it changes. */
async function follow(client: FerryClient, ids: string[], line: (id: string, progress: unknown) => string): Promise<unknown[]> {
  const last = new Map<string, string>();
  const results: unknown[] = [];
  for (const id of ids) {
    const op = client.operation(id);
    for (;;) {
      const d = await op.describe();
      if (d.status !== 'RUNNING') break;
      const l = line(id, d.progress);
      if (l !== last.get(id)) {
        process.stderr.write(`${l}\n`);
        last.set(id, l);
      }
      await new Promise((r) => setTimeout(r, 1000));
    }
    results.push(await op.result());
  }
  return results;
}

/** `--no-wait` is the program's global option (default: wait, with a progress line). */
const waits = (cmd: Command) => cmd.optsWithGlobals<{ wait?: boolean }>().wait !== false;

export function registerEvacuationCommands(program: Command, kit: CliKit): void {
  const { clientFrom, print, check } = kit;
  const find = (name: string) => {
    const c = program.commands.find((x) => x.name() === name);
    if (!c) throw new Error(`command '${name}' is not registered`);
    return c;
  };
  const node = find('node');

  node.command('evacuate').description('move every resource off the nodes (EVACUATE), replica by replica, without losing redundancy')
    .argument('<nodes...>', 'nodes to evacuate')
    .option('--dry-run', 'print the plan, change nothing')
    .option('--max-concurrent <n>', 'resources moved at once (default: controller property Evacuation/MaxConcurrent, 4)')
    .action(async (names: string[], o: { dryRun?: boolean; maxConcurrent?: string }, cmd: Command) => {
      const req = check(evacuateSchema, { nodes: names, dryRun: Boolean(o.dryRun), ...(o.maxConcurrent ? { maxConcurrent: o.maxConcurrent } : {}) });
      const { client, json } = clientFrom(cmd);
      const r = await client.evacuation.evacuate(req);
      const planTable = () => renderTable(['Node', 'Resource', 'Action', 'Target', 'Size', 'Note'], r.plan.map((p) => [
        p.node, p.resource, p.action === 'move' ? 'MOVE' : p.action === 'drop' ? 'REMOVE (diskless)' : 'BLOCKED', p.target ?? '', mib(p.sizeBytes), p.reason ?? '',
      ]));
      if (req.dryRun) {
        print(json, r, () => `DRY RUN: nothing changed. Evacuating ${req.nodes.join(', ')} would:\n${planTable()}`);
        return;
      }
      if (!waits(cmd)) {
        print(json, r, () => r.operations.map((op) => op.workflowId).join('\n'));
        return;
      }
      const results = await follow(client, r.operations.map((op) => op.workflowId), (id, p) => evacuationLine(id, p as EvacP | null));
      print(json, { results, workflow_ids: r.operations.map((op) => op.workflowId) },
        () => `SUCCESS: ${req.nodes.map((n) => `node '${n}' evacuated`).join(', ')} (operations ${r.operations.map((op) => op.workflowId).join(', ')}).`);
    });

  node.command('restore').description('clear EVACUATE / EVICTED of a node; moved resources stay where they are')
    .argument('<node>', 'node name')
    .action(async (name: string, _o, cmd: Command) => {
      const n = check(evacuateSchema, { nodes: [name] }).nodes[0]!;
      const { client, json } = clientFrom(cmd);
      const op = await client.evacuation.restore(n);
      const res = await op.result();
      const cleaned = res.cleaned.resources.length
        ? ` Removed from its host what was moved away while it was evicted: ${res.cleaned.resources.join(', ')} (${res.cleaned.lvs.length} LV${res.cleaned.lvs.length === 1 ? '' : 's'}).`
        : '';
      print(json, { result: res, workflow_id: op.workflowId }, () => `SUCCESS: Node '${n}' restored (operation ${op.workflowId}).${cleaned}`);
    });

  node.command('lost').description('a node that is gone for good: drop it from every resource and from the cluster')
    .argument('<node>', 'node name')
    .action(async (name: string, _o, cmd: Command) => {
      const n = check(evacuateSchema, { nodes: [name] }).nodes[0]!;
      const { client, json } = clientFrom(cmd);
      const op = await client.evacuation.lost(n);
      const res = await op.result();
      print(json, { result: res, workflow_id: op.workflowId }, () => `SUCCESS: Node '${n}' lost and removed (operation ${op.workflowId}).`);
    });

  node.command('set-property').alias('sp').description('set (or, without VALUE, delete) a node property: [--aux] NODE KEY [VALUE]')
    .argument('<node>', 'node name').argument('<key>', 'property key').argument('[value]', 'value; omit to delete')
    .option('--aux', 'KEY is an auxiliary property: Aux/KEY (what --replicas-on-same/-different match)')
    .action(async (name: string, key: string, value: string | undefined, o: { aux?: boolean }, cmd: Command) => {
      const n = check(evacuateSchema, { nodes: [name] }).nodes[0]!;
      const k = check(propertyKeySchema, auxKeyOf(key, o.aux));
      const v = value === undefined ? null : check(propertyValueSchema, value);
      const { client, json } = clientFrom(cmd);
      const op = await client.evacuation.setProperties({ node: n, changes: { [k]: v } });
      const res = await op.result();
      print(json, { result: res, workflow_id: op.workflowId }, () => `SUCCESS: Property '${k}' of node '${n}' ${v === null ? 'deleted' : 'set'}.`);
    });

  node.command('list-properties').alias('lp').description("a node's properties (Aux/* included)")
    .argument('<node>', 'node name')
    .action(async (name: string, _o, cmd: Command) => {
      const n = check(evacuateSchema, { nodes: [name] }).nodes[0]!;
      const { client, json } = clientFrom(cmd);
      const props = (await client.nodes.get(n)).props ?? {};
      const rows = Object.entries(props).sort(([a], [b]) => a.localeCompare(b)).map(([key, value]) => ({ key, value }));
      print(json, rows, () => renderTable(['Key', 'Value'], rows.map((p) => [p.key, p.value])));
    });

  find('controller').command('set-property').description('set (or, without VALUE, delete) a controller property')
    .argument('<key>', 'property key').argument('[value]', 'value; omit to delete')
    .option('--aux', 'KEY is an auxiliary property: Aux/KEY')
    .action(async (key: string, value: string | undefined, o: { aux?: boolean }, cmd: Command) => {
      const k = check(propertyKeySchema, auxKeyOf(key, o.aux));
      const v = value === undefined ? null : check(propertyValueSchema, value);
      const { client, json } = clientFrom(cmd);
      const op = await client.evacuation.setProperties({ changes: { [k]: v } });
      const res = await op.result();
      print(json, { result: res, workflow_id: op.workflowId }, () => `SUCCESS: Controller property '${k}' ${v === null ? 'deleted' : 'set'}.`);
    });

  find('controller').command('list-properties').alias('lp').description("the controller's properties (the cluster-wide level)")
    .action(async (_o, cmd: Command) => {
      const { client, json } = clientFrom(cmd);
      const props = await client.evacuation.controllerProperties();
      const rows = Object.entries(props).sort(([a], [b]) => a.localeCompare(b)).map(([key, value]) => ({ key, value }));
      print(json, rows, () => renderTable(['Key', 'Value'], rows.map((p) => [p.key, p.value])));
    });

  find('resource').command('toggle-disk').alias('td').description('give a replica a disk (--storage-pool, optionally --migrate-from SOURCE) or take it away (--diskless)')
    .argument('<node>', 'node name').argument('<resource>', 'resource name')
    .option('-s, --storage-pool <pool>', 'storage pool of the new disk').option('--diskless', 'make the replica diskless')
    .option('--migrate-from <node>', 'remove the source node\'s replica once the new disk is UpToDate')
    .action(async (nodeName: string, resource: string, o: { storagePool?: string; diskless?: boolean; migrateFrom?: string }, cmd: Command) => {
      if (Boolean(o.storagePool) === Boolean(o.diskless)) throw new UsageErrorLike('give either --storage-pool POOL or --diskless');
      const t = check(toggleDiskSchema, { resource, node: nodeName, storagePool: o.storagePool ?? null, ...(o.migrateFrom ? { migrateFrom: o.migrateFrom } : {}) });
      const { client, json } = clientFrom(cmd);
      const op = await client.evacuation.toggleDisk(t);
      if (!waits(cmd)) {
        print(json, { workflow_id: op.workflowId }, () => op.workflowId);
        return;
      }
      const [res] = await follow(client, [op.workflowId], (id, p) => {
        const m = p as MoveP | null;
        return m ? `${id}: ${m.phase}${m.bytesTotal ? ` ${m.percentInSync.toFixed(0)}% (${mib(m.bytesDone)} of ${mib(m.bytesTotal)})` : ''}` : `${id}: starting`;
      });
      print(json, { result: res, workflow_id: op.workflowId }, () => `SUCCESS: ${op.message.replace(/ \(started\)$/, '')} (operation ${op.workflowId}).`);
    });
}
