// `ferry remote ...` and `ferry backup ...`: LINSTOR's verbs and columns for S3 remotes and backups.
// Input is checked with core/validation's schemas before any request.
import type { Command } from 'commander';
import { remoteNameSchema, resourceDefinitionNameSchema, nodeNameSchema, snapshotNameSchema, storagePoolNameSchema, s3RemoteCreateSchema, s3RemoteModifySchema, formatSize } from '../../core/validation.js';
import { renderTable } from './table.js';
import { followOperation, waitRequested } from './progress.js';
import { UsageErrorLike, type CliKit } from './resources.js';
import type { BackupDeleteRequest, BackupJson, OperationInfo } from '../ferry-client.js';
import { parseStorPoolRename } from '../../core/backup-restore-pools.js';
import { backupAbortArgs } from './guide-args.js';

/** A repeatable option's values, as given (`--storpool-rename a=b --storpool-rename c=d,e=f`). */
const collect = (v: string, prev: string[] = []) => [...prev, v];

/** The Status column: LINSTOR's words (Success, Shipping, Not restorable), plus Failed / Aborted with the operation to look at. */
function backupStatusText(b: BackupJson): string {
  if (b.status === 'shipping') return `Shipping (${b.workflow_id ?? ''})`;
  if (b.status === 'failed' || b.status === 'aborted') return `${b.status === 'failed' ? 'Failed' : 'Aborted'} (${b.workflow_id ?? ''})`;
  return b.restorable ? 'Success' : 'Not restorable';
}

/** `--storpool-rename` values as a map; a bad one is a usage error. */
function renameOf(values: string[]): Record<string, string> {
  try {
    return parseStorPoolRename(values);
  } catch (e) {
    throw new UsageErrorLike((e as Error).message);
  }
}

export function registerBackupCommands(program: Command, kit: CliKit): void {
  const { clientFrom, print, check } = kit;

  // ---- remote -----------------------------------------------------------------------------------
  const remote = program.command('remote').description('backup targets (S3)');
  remote.command('create').alias('c').description('create a remote: s3 NAME ENDPOINT BUCKET REGION ACCESS_KEY SECRET_KEY')
    .argument('<type>', 's3').argument('<name>').argument('<endpoint>').argument('<bucket>').argument('<region>').argument('<access-key>').argument('<secret-key>')
    .option('--use-path-style', 'path-style addressing (http://host/bucket/key)')
    .action(async (type: string, name: string, endpoint: string, bucket: string, region: string, accessKey: string, secretKey: string, o: { usePathStyle?: boolean }, cmd: Command) => {
      if (type.toLowerCase() !== 's3') throw new UsageErrorLike(`remote type '${type}' is not supported; allowed: s3`);
      const r = check(s3RemoteCreateSchema, { name, endpoint, bucket, region, accessKey, secretKey, usePathStyle: Boolean(o.usePathStyle) });
      const { client, json } = clientFrom(cmd);
      const op = await client.remotes.createS3(r);
      await op.result();
      print(json, { remote: r.name, workflow_id: op.workflowId }, () => `SUCCESS: Remote '${r.name}' created (operation ${op.workflowId}).`);
    });
  remote.command('modify').description('change a remote: s3 NAME [--endpoint E] [--bucket B] [--region R] [--access-key A] [--secret-key S] [--use-path-style|--no-use-path-style]')
    .argument('<type>', 's3').argument('<name>')
    .option('--endpoint <endpoint>').option('--bucket <bucket>').option('--region <region>').option('--access-key <key>').option('--secret-key <key>')
    .option('--use-path-style', 'path-style addressing').option('--no-use-path-style', 'virtual-hosted addressing')
    .action(async (type: string, name: string, o: { endpoint?: string; bucket?: string; region?: string; accessKey?: string; secretKey?: string; usePathStyle?: boolean }, cmd: Command) => {
      if (type.toLowerCase() !== 's3') throw new UsageErrorLike(`remote type '${type}' is not supported; allowed: s3`);
      const r = check(s3RemoteModifySchema, { name, endpoint: o.endpoint, bucket: o.bucket, region: o.region, accessKey: o.accessKey, secretKey: o.secretKey, usePathStyle: o.usePathStyle });
      const { client, json } = clientFrom(cmd);
      const op = await client.remotes.modifyS3(r);
      const res = await op.result();
      print(json, { result: res, workflow_id: op.workflowId }, () => `SUCCESS: Remote '${r.name}' modified: ${res.changed.join(', ')} (operation ${op.workflowId}).`);
    });
  remote.command('list').alias('l').description('list remotes (never their keys)').action(async (_o, cmd: Command) => {
    const { client, json } = clientFrom(cmd);
    const { s3_remotes } = await client.remotes.list();
    print(json, s3_remotes, () => renderTable(['Name', 'Type', 'Info'], s3_remotes.map((r) => [r.remote_name, 'S3', `${r.endpoint} ${r.bucket} ${r.region}${r.use_path_style ? ' (path style)' : ''}`])));
  });
  remote.command('delete').alias('d').description('delete a remote (its backups stay in the bucket)').argument('<name>')
    .action(async (name: string, _o, cmd: Command) => {
      const n = check(remoteNameSchema, name);
      const { client, json } = clientFrom(cmd);
      const op = await client.remotes.delete(n);
      await op.result();
      print(json, { remote: n, workflow_id: op.workflowId }, () => `SUCCESS: Remote '${n}' deleted.`);
    });

  // ---- backup -----------------------------------------------------------------------------------
  const backup = program.command('backup').alias('b').description('backups to S3 remotes');
  backup.command('create').alias('c').description('ship a snapshot of a resource to a remote (incremental when possible)')
    .argument('<remote>').argument('<resource>')
    .option('--full', 'a full backup even if an incremental one is possible')
    .option('--node <node>', 'ship from this node').option('-s, --snapshot <name>', 'snapshot name (default back_<UTC timestamp>)')
    .action(async (remoteName: string, rsc: string, o: { full?: boolean; node?: string; snapshot?: string }, cmd: Command) => {
      const { client, json } = clientFrom(cmd);
      const op = await client.backups.create({
        remote: check(remoteNameSchema, remoteName), resource: check(resourceDefinitionNameSchema, rsc), full: Boolean(o.full),
        ...(o.node ? { node: check(nodeNameSchema, o.node) } : {}), ...(o.snapshot ? { snapshot: check(snapshotNameSchema, o.snapshot) } : {}),
      });
      const r = await op.result();
      print(json, { result: r, workflow_id: op.workflowId }, () =>
        `SUCCESS: ${r.mode} backup ${r.id} of '${r.resource}' shipped from ${r.node} to '${r.remote}'${r.base ? ` (based on ${r.base})` : r.fullBecause ? ` (full: ${r.fullBecause})` : ''}, ${r.volumes.map((v) => `volume ${v.vlmNr}: ${formatSize(v.compressedBytes)} stored`).join(', ')} (operation ${op.workflowId}).`);
    });
  backup.command('list').alias('l').description('list the backups in a remote').argument('<remote>')
    .option('-r, --resource <rsc>', 'only this resource').option('--other', 'only the objects in the bucket that are not backups')
    .action(async (remoteName: string, o: { resource?: string; other?: boolean }, cmd: Command) => {
      const { client, json } = clientFrom(cmd);
      const l = await client.backups.list(check(remoteNameSchema, remoteName), o.resource ? { resource: check(resourceDefinitionNameSchema, o.resource) } : {});
      if (o.other) {
        print(json, l.other, () => renderTable(['Object'], l.other.files.map((f) => [f])));
        return;
      }
      print(json, l, () => renderTable(['Resource', 'Snapshot', 'Finished at', 'Based On', 'Status', 'Size'],
        l.linstor.map((b) => [b.origin_rsc, b.origin_snap, b.finished_time ?? '', b.based_on_id ?? '', backupStatusText(b), b.status === 'done' ? formatSize(b.size) : ''])));
    });
  backup.command('info').description("a backup's metadata (REMOTE ID), or as LINSTOR: what a restore needs (--resource RSC | --id ID [-n NODE] [--storpool-rename OLD=NEW])")
    .argument('<remote>').argument('[id]')
    .option('--resource <rsc>', 'the newest backup of this resource').option('--id <id>', 'this backup (and its chain)')
    .option('-n, --node <node>', 'check the target pools on this node and show the space left after a restore')
    .option('--storpool-rename <old=new>', "as for restore: the backup's pool OLD goes to the node's pool NEW (repeatable, or comma separated)", collect, [])
    .action(async (remoteName: string, id: string | undefined, o: { resource?: string; id?: string; node?: string; storpoolRename: string[] }, cmd: Command) => {
      const { client, json } = clientFrom(cmd);
      const remote = check(remoteNameSchema, remoteName);
      if (o.resource === undefined && o.id === undefined) {
        if (id === undefined) throw new UsageErrorLike('give a backup ID, or --resource RSC | --id ID');
        if (o.node !== undefined || o.storpoolRename.length > 0) throw new UsageErrorLike('-n and --storpool-rename go with --resource RSC | --id ID');
        const i = await client.backups.info(remote, id);
        const m = i.meta as { rscName: string; nodeName?: string; basedOn?: string; ferry?: { chain: string[]; volumes: Record<string, { dataKey: string; compressedBytes: number; uncompressedBytes: number; parts: unknown[] }> } };
        print(json, i, () => [
          `Backup ${i.id} of '${m.rscName}' from ${m.nodeName ?? '?'}${m.basedOn ? `, based on ${m.basedOn}` : ' (full)'}; chain: ${(m.ferry?.chain ?? []).join(' -> ')}`,
          renderTable(['Volume', 'Object', 'Stored', 'Uncompressed', 'Parts'], Object.entries(m.ferry?.volumes ?? {}).map(([n, v]) => [n, v.dataKey, formatSize(v.compressedBytes), formatSize(v.uncompressedBytes), String(v.parts.length)])),
        ].join('\n'));
        return;
      }
      if (id !== undefined || Boolean(o.resource) === Boolean(o.id)) throw new UsageErrorLike('give either --resource RSC or --id ID (and no positional ID)');
      const rename = renameOf(o.storpoolRename);
      const i = await client.backups.restoreInfo({
        remote, ...(o.resource ? { resource: check(resourceDefinitionNameSchema, o.resource) } : {}), ...(o.id ? { id: o.id } : {}),
        ...(o.node ? { node: check(nodeNameSchema, o.node) } : {}), ...(Object.keys(rename).length > 0 ? { storPoolRename: rename } : {}),
      });
      const kib = (v: number | undefined) => (v === undefined ? '' : formatSize(v * 1024));
      print(json, i, () => [
        `Resource: ${i.rsc}, full backup: ${i.full}, latest: ${i.latest}, backups in the chain: ${i.count}, download size: ${kib(i.dl_size_kib)}, allocated size: ${kib(i.alloc_size_kib)}`,
        renderTable(['Origin StorPool (Type)', 'Target Pool', 'Remaining Free Space', 'Volume to download', 'Download Size', 'Allocated Size', 'Usable Size'],
          i.storpools.flatMap((p) => p.vlms.map((v) => [`${p.name || '(not recorded)'}${p.provider_kind ? ` (${p.provider_kind})` : ''}`, p.target_name || '(node default)', kib(p.remaining_space_kib), v.name ?? '', kib(v.dl_size_kib), kib(v.alloc_size_kib), kib(v.usable_size_kib)]))),
      ].join('\n'));
    });
  backup.command('verify').description('read every object of a backup and its chain and check the checksums').argument('<remote>').argument('<id>')
    .action(async (remoteName: string, id: string, _o, cmd: Command) => {
      const { client, json } = clientFrom(cmd);
      const r = await client.backups.verify(check(remoteNameSchema, remoteName), id);
      print(json, r, () => r.ok ? `SUCCESS: backup ${r.id} verified (chain ${r.chain.join(' -> ')})` : `FAILED: backup ${r.id}: ${r.problems.map((p) => `${p.backupId}${p.key ? ` ${p.key}` : ''}: ${p.problem}`).join('; ')}`);
      if (!r.ok) throw new Error(`backup ${r.id} failed verification (${r.problems.length} problem(s))`);
    });
  // `backup delete id|filter|all|s3key REMOTE ...`, as the user's guide writes them
  const del = backup.command('delete').alias('d').description('delete backups from a remote: id, filter, all or s3key (each with --dry-run)');
  const deleteAndReport = async (cmd: Command, req: Omit<BackupDeleteRequest, 'dryRun'> & { dryRun?: boolean }) => {
    const { client, json } = clientFrom(cmd);
    const r = await client.backups.delete(req);
    if ('dry_run' in r) {
      print(json, r, () => r.keys.length === 0 ? 'Nothing would be deleted.' : `Would delete ${r.backups.length > 0 ? r.backups.join(', ') : 'the object'}:\n${r.keys.map((k) => `  ${k}`).join('\n')}`);
      return;
    }
    const res = await r.result();
    print(json, { result: res, workflow_id: r.workflowId }, () => `SUCCESS: deleted ${res.backups.length > 0 ? res.backups.join(', ') : res.keys.join(', ')} (${res.keys.length} object${res.keys.length === 1 ? '' : 's'}).`);
  };
  del.command('id').description('delete one backup by its id (--prefix: every backup whose id starts with it)').argument('<remote>').argument('<id>')
    .option('--prefix', 'delete every backup whose id starts with ID').option('--cascade', 'also delete the backups based on the deleted ones').option('--dry-run', 'only list the S3 objects that would be deleted')
    .action(async (remoteName: string, id: string, o: { prefix?: boolean; cascade?: boolean; dryRun?: boolean }, cmd: Command) => {
      await deleteAndReport(cmd, { remote: check(remoteNameSchema, remoteName), id, prefix: Boolean(o.prefix), cascade: Boolean(o.cascade), dryRun: Boolean(o.dryRun) });
    });
  del.command('filter').description('delete the backups made before a time (-t), of a resource (-r), uploaded by a node (-n); combined with AND').argument('<remote>')
    .option('-t, --time <time>', 'made before this time: yyyyMMdd_HHmmss (UTC) or ISO 8601').option('-r, --resource <rsc>', 'of this resource').option('-n, --node <node>', 'uploaded by this node')
    .option('--cascade', 'also delete the backups based on the deleted ones').option('--dry-run', 'only list the S3 objects that would be deleted')
    .action(async (remoteName: string, o: { time?: string; resource?: string; node?: string; cascade?: boolean; dryRun?: boolean }, cmd: Command) => {
      if (o.time === undefined && o.resource === undefined && o.node === undefined) throw new UsageErrorLike('backup delete filter needs at least one of -t TIME, -r RESOURCE, -n NODE (delete everything with `backup delete all`)');
      await deleteAndReport(cmd, {
        remote: check(remoteNameSchema, remoteName),
        filter: { ...(o.time !== undefined ? { before: o.time } : {}), ...(o.resource !== undefined ? { resource: check(resourceDefinitionNameSchema, o.resource) } : {}), ...(o.node !== undefined ? { node: check(nodeNameSchema, o.node) } : {}) },
        cascade: Boolean(o.cascade), dryRun: Boolean(o.dryRun),
      });
    });
  del.command('all').description('delete every backup in the remote (--cluster: only those this cluster made)').argument('<remote>')
    .option('--cluster', 'only the backups made by this cluster').option('--cascade', 'also delete backups of other clusters based on the deleted ones').option('--dry-run', 'only list the S3 objects that would be deleted')
    .action(async (remoteName: string, o: { cluster?: boolean; cascade?: boolean; dryRun?: boolean }, cmd: Command) => {
      await deleteAndReport(cmd, { remote: check(remoteNameSchema, remoteName), all: o.cluster ? 'cluster' : true, cascade: Boolean(o.cascade), dryRun: Boolean(o.dryRun) });
    });
  del.command('s3key').description('delete one object of the bucket by its key, whatever it is (breaks a backup it belongs to)').argument('<remote>').argument('<key>')
    .option('--dry-run', 'only say what would be deleted')
    .action(async (remoteName: string, key: string, o: { dryRun?: boolean }, cmd: Command) => {
      await deleteAndReport(cmd, { remote: check(remoteNameSchema, remoteName), s3key: key, dryRun: Boolean(o.dryRun) });
    });
  backup.command('abort').description('cancel the running backup of a resource: abort REMOTE RSC (or RSC: to any remote); upload aborted, snapshot removed')
    .argument('<remote-or-resource...>', 'REMOTE RSC, or RSC alone')
    .action(async (args: string[], _o, cmd: Command) => {
      const a = backupAbortArgs(args);
      if (!a.ok) throw new UsageErrorLike(a.message);
      const rsc = check(resourceDefinitionNameSchema, a.value.resource);
      const remote = a.value.remote === undefined ? undefined : check(remoteNameSchema, a.value.remote);
      const { client, json } = clientFrom(cmd);
      const r = await client.backups.abort(rsc, remote);
      if (!waitRequested(cmd)) {
        print(json, r, () => r.map((x) => `${x.message}; follow it: ferry op watch ${x.workflow_id}`).join('\n'));
        return;
      }
      // an abort is done when its clean-up is: wait for each cancelled backup to end
      const ended: OperationInfo[] = [];
      for (const x of r) ended.push(await followOperation(client, x.workflow_id, { out: json ? process.stderr : process.stdout }));
      print(json, ended, () => ended.map((e) => (e.status === 'CANCELLED'
        ? `SUCCESS: backup ${e.workflow_id} aborted: upload aborted, snapshot removed.`
        : `backup ${e.workflow_id} ended ${e.status} before the abort reached it.`)).join('\n'));
      if (ended.some((e) => e.status !== 'CANCELLED')) process.exitCode = 1;
    });
  backup.command('restore').description('restore a backup into a new resource: restore REMOTE NODE TARGET_RSC --resource RSC | --id ID [--download-only] [--storpool-rename OLD=NEW]')
    .argument('<remote>').argument('<node>').argument('<target-resource>')
    .option('--resource <rsc>', 'the newest backup of this resource').option('--id <id>', 'this backup (and the chain it is based on)')
    .option('--storpool-rename <old=new>', "receive the backup's pool OLD into the node's pool NEW (repeatable, or OLD=NEW,OLD2=NEW2); pools not named keep their name", collect, [])
    .option('--storage-pool <pool>', 'storage pool on the node for every pool not renamed (default: the same name; backups that do not record their pool: the first LVM_THIN pool)')
    .option('--download-only', 'only download: snapshots of TARGET_RSC on NODE, one per backup of the chain, no resource (then `snapshot resource restore`)')
    .action(async (remoteName: string, node: string, target: string, o: { resource?: string; id?: string; storagePool?: string; storpoolRename: string[]; downloadOnly?: boolean }, cmd: Command) => {
      if (Boolean(o.resource) === Boolean(o.id)) throw new UsageErrorLike('give either --resource RSC or --id ID');
      const rename = renameOf(o.storpoolRename);
      const { client, json } = clientFrom(cmd);
      const op = await client.backups.restore({
        remote: check(remoteNameSchema, remoteName), node: check(nodeNameSchema, node), targetResource: check(resourceDefinitionNameSchema, target),
        ...(o.resource ? { resource: check(resourceDefinitionNameSchema, o.resource) } : {}), ...(o.id ? { id: o.id } : {}),
        ...(o.storagePool ? { storagePool: check(storagePoolNameSchema, o.storagePool) } : {}),
        ...(Object.keys(rename).length > 0 ? { storPoolRename: rename } : {}), ...(o.downloadOnly ? { downloadOnly: true } : {}),
      });
      const r = await op.result();
      print(json, { result: r, workflow_id: op.workflowId }, () => r.snapshots
        ? `SUCCESS: ${r.chain.join(' -> ')} downloaded to ${r.node} (pool ${r.storagePool ?? '?'}) as snapshot(s) ${r.snapshots.join(', ')} of '${r.resource}'; no resource deployed: \`ferry snapshot resource restore --from-resource ${r.resource} --from-snapshot ${r.snapshots.at(-1)} --to-resource NEW\` (operation ${op.workflowId}).`
        : `SUCCESS: '${r.resource}' restored on ${r.node}${r.storagePool ? ` (pool ${r.storagePool})` : ''} from ${r.chain.join(' -> ')} (operation ${op.workflowId}).`);
    });

  // ---- encryption -------------------------------------------------------------------------------
  const encryption = program.command('encryption').description("the controller's master passphrase (seals remote keys)");
  const passphraseOf = (o: { passphrase?: string }): string => {
    const p = o.passphrase ?? process.env.FERRY_MASTER_PASSPHRASE;
    if (!p) throw new UsageErrorLike('give --passphrase or set FERRY_MASTER_PASSPHRASE');
    return p;
  };
  encryption.command('create-passphrase').description('set the master passphrase of a controller that has none')
    .option('--passphrase <p>', 'the passphrase (default $FERRY_MASTER_PASSPHRASE)')
    .action(async (o: { passphrase?: string }, cmd: Command) => {
      const { client, json } = clientFrom(cmd);
      const r = await client.encryption.createPassphrase(passphraseOf(o));
      print(json, r, () => `SUCCESS: ${r[0]?.message ?? ''}`);
    });
  encryption.command('enter-passphrase').description('give a restarted controller its master passphrase')
    .option('--passphrase <p>', 'the passphrase (default $FERRY_MASTER_PASSPHRASE)')
    .action(async (o: { passphrase?: string }, cmd: Command) => {
      const { client, json } = clientFrom(cmd);
      const r = await client.encryption.enterPassphrase(passphraseOf(o));
      print(json, r, () => `SUCCESS: ${r[0]?.message ?? ''}`);
    });
}
