// REST routes of remotes and backups, on LINSTOR's paths: /v1/remotes, /v1/remotes/{remote}/backups
// (list, create, delete, restore), plus ferry's info, verify and abort. A remote's keys are sealed
// with the master passphrase here, before anything else sees them: the catalog, workflow inputs
// and logs only ever hold the sealed form, and no answer contains them.
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { Client } from '@temporalio/client';
import { z } from 'zod';
import type { FerryConfig } from '../core/config.js';
import { ConflictError, FerryError, NotFoundError, ValidationError } from '../core/errors.js';
import { createHash, randomUUID } from 'node:crypto';
import type { BackupSelector } from '../core/backup-selection.js';
import { baseBackupIdOf, dataKeysOf, ferryVolumeOf, sourcePoolsOf, type BackupMeta } from '../core/backup-meta.js';
import { resolveRestorePools, storPoolMapFromJson } from '../core/backup-restore-pools.js';
import { linstorFlags, shipmentsToList, type Shipment } from '../core/backup-status.js';
import { decodeFromPayloadsAtIndex } from '@temporalio/common/lib/internal-non-workflow/index.js';
import { backupWorkflowIds, type BackupCreateInput } from '../core/backup-operations.js';
import { backupId, backupIdOf, defaultSnapshotName, parseBackupId, parseBackupTimestamp } from '../core/backup-names.js';
import { backupCreateSchema, backupRestoreSchema, nodeNameSchema, parseInput, remoteNameSchema, resourceDefinitionNameSchema, snapshotNameSchema, s3RemoteCreateSchema, s3RemoteModifySchema } from '../core/validation.js';
import { DISKLESS_POOL, type Catalog, type RemoteRecord } from '../catalog/index.js';
import { CLUSTER_ID_PROP, remoteAccess, s3ForRemote } from '../activities/controller/backups.js';
import { listBackups, objectSize, planBackupDelete, readBackupMeta, verifyBackup } from '../bucket/index.js';
import { enterMasterPassphrase, masterPassphrase, MasterPassphraseMissingError, openSecret, sealSecret } from '../bucket/secret-box.js';
import { S3OperationError } from '../bucket/s3.js';
import { apiError, refuse as refuseFerry } from './linstor-shapes.js';
import { ferryAttributes } from './operations.js';
import { errorRetCode } from './ret-codes.js';
import type { Mutate } from './resource-routes.js';

interface Ctx {
  cfg: FerryConfig;
  catalog: Catalog;
  client: Client;
  now: () => number;
  mutate: Mutate;
}

type Wait = { Querystring: { wait?: string } };

export function remoteJson(r: RemoteRecord) {
  // never the keys, not even sealed
  return { remote_name: r.name, endpoint: r.endpoint, bucket: r.bucket, region: r.region, use_path_style: r.usePathStyle, type: r.type };
}

function refuse(reply: FastifyReply, e: unknown) {
  if (e instanceof FerryError) return refuseFerry(reply, e);
  if (e instanceof MasterPassphraseMissingError) return reply.code(409).send(apiError(e.message));
  if (e instanceof S3OperationError) {
    const status = e.kind === 'access-denied' ? 403 : e.kind === 'no-such-bucket' || e.kind === 'no-such-key' ? 404 : 502;
    return reply.code(status).send(apiError(e.message));
  }
  const method = reply.request?.method;
  if (e instanceof Error && e.name === 'BackupNotFoundError') return reply.code(404).send(apiError(e.message, { ret_code: errorRetCode('FAIL_NOT_FOUND_BACKUP', { objectType: 'backup', method }) }));
  if (e instanceof Error && e.name === 'BackupHasDependentsError') return reply.code(409).send(apiError(e.message, { ret_code: errorRetCode('FAIL_IN_USE', { objectType: 'backup', method }), correction: 'use --cascade to delete the dependent backups too' }));
  if (e instanceof Error && e.name === 'BackupNameError') return reply.code(400).send(apiError(e.message, { ret_code: errorRetCode('FAIL_INVLD_REQUEST', { objectType: 'backup', method }) }));
  throw e;
}

const bool = (v: unknown) => v === true || v === 'true' || v === '1';

export function registerBackupRoutes(app: FastifyInstance, ctx: Ctx): void {
  const { catalog, client, mutate } = ctx;

  async function requireRemote(name: string): Promise<RemoteRecord> {
    const r = await catalog.remotes.get(parseInput(remoteNameSchema, name, 'remote'));
    if (!r) throw new NotFoundError('remote', name);
    return r;
  }

  async function withS3<T>(r: RemoteRecord, fn: (s3: ReturnType<typeof s3ForRemote>) => Promise<T>): Promise<T> {
    const s3 = s3ForRemote(remoteAccess(r));
    try {
      return await fn(s3);
    } finally {
      s3.destroy();
    }
  }

  // ---- master passphrase -------------------------------------------------------------------------
  // LINSTOR's `encryption create-passphrase` / `enter-passphrase`. The passphrase is kept in this
  // controller's memory only (never in the catalog, never in a workflow); the catalog keeps a sealed
  // check value so that a wrong passphrase is refused. Agents still need FERRY_MASTER_PASSPHRASE.
  const CHECK_PROP = 'Ferry/MasterPassphraseCheck';
  const passphraseBody = z.object({ passphrase: z.string().min(8, 'passphrase: at least 8 characters') });
  const checkPassphrase = async (p: string): Promise<boolean> => {
    const check = await catalog.remotes.setControllerPropOnce(CHECK_PROP, sealSecret('ferry master passphrase check', p));
    try {
      return openSecret(check, p) === 'ferry master passphrase check';
    } catch {
      return false;
    }
  };
  app.post('/v1/encryption/passphrase', async (req, reply) => {
    const b = passphraseBody.safeParse(req.body ?? {});
    if (!b.success) return reply.code(400).send(apiError(b.error.issues.map((i) => i.message).join('; ')));
    if (masterPassphrase() !== undefined && masterPassphrase() !== b.data.passphrase) return reply.code(409).send(apiError('the controller has a master passphrase already; use enter-passphrase after a restart'));
    if (!(await checkPassphrase(b.data.passphrase))) return reply.code(409).send(apiError('a different master passphrase was created for this catalog before'));
    enterMasterPassphrase(b.data.passphrase);
    return [{ ret_code: 0, message: 'Master passphrase created.' }];
  });
  app.patch('/v1/encryption/passphrase', async (req, reply) => {
    const b = passphraseBody.safeParse(req.body ?? {});
    if (!b.success) return reply.code(400).send(apiError(b.error.issues.map((i) => i.message).join('; ')));
    if (!(await checkPassphrase(b.data.passphrase))) return reply.code(403).send(apiError('wrong master passphrase'));
    enterMasterPassphrase(b.data.passphrase);
    return [{ ret_code: 0, message: 'Master passphrase entered.' }];
  });

  // ---- remotes ----------------------------------------------------------------------------------

  app.get('/v1/remotes', async () => ({
    s3_remotes: (await catalog.remotes.list()).map(remoteJson),
    linstor_remotes: [],
    ebs_remotes: [],
  }));

  app.post<Wait>('/v1/remotes/s3', async (req, reply) => {
    try {
      const b = (req.body ?? {}) as Record<string, unknown>;
      const r = parseInput(s3RemoteCreateSchema, {
        name: b.remote_name, endpoint: b.endpoint, bucket: b.bucket, region: b.region ?? undefined,
        accessKey: b.access_key, secretKey: b.secret_key, usePathStyle: b.use_path_style === undefined ? undefined : bool(b.use_path_style),
      });
      if (await catalog.remotes.get(r.name)) throw new ConflictError('remote', r.name, 'exists');
      const passphrase = masterPassphrase();
      if (passphrase === undefined) throw new MasterPassphraseMissingError("storing a remote's keys");
      if (!(await checkPassphrase(passphrase))) throw new ConflictError('remote', r.name, 'state', "this controller's master passphrase is not the one the catalog's secrets were sealed with; run `ferry encryption enter-passphrase`");
      const endpoint = /^https?:\/\//.test(r.endpoint) ? r.endpoint : `https://${r.endpoint}`;
      const sealed = { accessKeySealed: sealSecret(r.accessKey), secretKeySealed: sealSecret(r.secretKey) };
      return await mutate(reply, req.query.wait === 'true', 'createRemote', backupWorkflowIds.createRemote(r.name),
        [{ name: r.name, endpoint, bucket: r.bucket, region: r.region, usePathStyle: r.usePathStyle, ...sealed }],
        `Remote '${r.name}' created.`, { Remote: r.name });
    } catch (e) {
      return refuse(reply, e);
    }
  });

  /** LINSTOR: PUT /v1/remotes/s3/NAME with the fields to change (python-linstor remote_modify_s3). */
  app.put<{ Params: { remote: string } } & Wait>('/v1/remotes/s3/:remote', async (req, reply) => {
    try {
      const b = (req.body ?? {}) as Record<string, unknown>;
      const r = parseInput(s3RemoteModifySchema, {
        name: req.params.remote, endpoint: b.endpoint ?? undefined, bucket: b.bucket ?? undefined, region: b.region ?? undefined,
        accessKey: b.access_key ?? undefined, secretKey: b.secret_key ?? undefined, usePathStyle: b.use_path_style === undefined || b.use_path_style === null ? undefined : bool(b.use_path_style),
      });
      await requireRemote(r.name);
      const newKeys = r.accessKey !== undefined || r.secretKey !== undefined;
      if (newKeys) {
        const passphrase = masterPassphrase();
        if (passphrase === undefined) throw new MasterPassphraseMissingError("storing a remote's keys");
        if (!(await checkPassphrase(passphrase))) throw new ConflictError('remote', r.name, 'state', "this controller's master passphrase is not the one the catalog's secrets were sealed with; run `ferry encryption enter-passphrase`");
      }
      const changes = {
        ...(r.endpoint !== undefined ? { endpoint: /^https?:\/\//.test(r.endpoint) ? r.endpoint : `https://${r.endpoint}` } : {}),
        ...(r.bucket !== undefined ? { bucket: r.bucket } : {}),
        ...(r.region !== undefined ? { region: r.region } : {}),
        ...(r.usePathStyle !== undefined ? { usePathStyle: r.usePathStyle } : {}),
        ...(r.accessKey !== undefined ? { accessKeySealed: sealSecret(r.accessKey) } : {}),
        ...(r.secretKey !== undefined ? { secretKeySealed: sealSecret(r.secretKey) } : {}),
      };
      return await mutate(reply, req.query.wait === 'true', 'modifyRemote', backupWorkflowIds.modifyRemote(r.name, ctx.now()), [{ name: r.name, changes }],
        `Remote '${r.name}' modified.`, { Remote: r.name });
    } catch (e) {
      return refuse(reply, e);
    }
  });

  const deleteRemote = async (name: string, wait: boolean, reply: FastifyReply) => {
    try {
      const r = await requireRemote(name);
      return await mutate(reply, wait, 'deleteRemote', backupWorkflowIds.deleteRemote(r.name), [{ name: r.name }], `Remote '${r.name}' deleted.`, { Remote: r.name });
    } catch (e) {
      return refuse(reply, e);
    }
  };
  app.delete<{ Querystring: { remote_name?: string; wait?: string } }>('/v1/remotes', async (req, reply) => deleteRemote(req.query.remote_name ?? '', req.query.wait === 'true', reply));
  app.delete<{ Params: { remote: string } } & Wait>('/v1/remotes/:remote', async (req, reply) => deleteRemote(req.params.remote, req.query.wait === 'true', reply));

  // ---- backups ----------------------------------------------------------------------------------

  /** How many shipments that did not commit (running, failed, aborted) `backup list` looks at, newest first. */
  const SHIPMENTS_LISTED = 200;

  /**
   * The backupCreate workflows of a remote (of one resource) that did not complete: running,
   * failed, aborted, as long as Temporal keeps them. The backup id is computed from the workflow's
   * input (resource, start timestamp, snapshot), as the workflow computes it.
   */
  async function shipmentsOf(remote: string, rsc: string | undefined): Promise<Shipment[]> {
    const q = (v: string) => `"${v.replace(/["\\]/g, '')}"`;
    const query = `FerryOperation = "backup-create" AND FerryRemote = ${q(remote)}${rsc ? ` AND FerryResource = ${q(rsc)}` : ''} AND ExecutionStatus != "Completed"`;
    const out: Shipment[] = [];
    for await (const wf of client.workflow.list({ query, pageSize: SHIPMENTS_LISTED })) {
      if (out.length >= SHIPMENTS_LISTED) break;
      const history = await client.workflow.getHandle(wf.workflowId, wf.runId).fetchHistory().catch(() => null);
      const started = history?.events?.[0]?.workflowExecutionStartedEventAttributes;
      const input = started ? await decodeFromPayloadsAtIndex<BackupCreateInput>(client.options.loadedDataConverter, 0, started.input?.payloads).catch(() => null) : null;
      if (!input || typeof input.resource !== 'string' || typeof input.snapshot !== 'string' || typeof input.startTimestamp !== 'number') continue;
      let id: string;
      try {
        id = backupId({ rsc: input.resource, startTimestamp: input.startTimestamp, snapName: input.snapshot });
      } catch {
        continue; // a name the workflow could not have used either
      }
      const node = ferryAttributes(wf.searchAttributes as Record<string, unknown>).node[0];
      out.push({
        id, rsc: input.resource, snapshot: input.snapshot, startMs: input.startTimestamp, workflowId: wf.workflowId, workflowStatus: wf.status.name,
        ...(node ? { node } : {}), ...(wf.closeTime ? { closeMs: wf.closeTime.getTime() } : {}),
      });
    }
    return out;
  }

  /**
   * LINSTOR's backup list entries (`linstor`), plus ferry's fields; `other` keys. The committed
   * backups of the bucket, then the shipments that did not commit (running, failed, aborted) with
   * LINSTOR's `success`/`shipping` and ferry's `status` and `workflow_id`.
   */
  app.get<{ Params: { remote: string }; Querystring: { rsc_name?: string; snap_name?: string } }>('/v1/remotes/:remote/backups', async (req, reply) => {
    try {
      const r = await requireRemote(req.params.remote);
      const rsc = req.query.rsc_name ? parseInput(resourceDefinitionNameSchema, req.query.rsc_name, 'rsc_name') : undefined;
      if (req.query.snap_name) parseInput(snapshotNameSchema, req.query.snap_name, 'snap_name');
      return await withS3(r, async (s3) => {
        const listing = await listBackups({ s3, bucket: r.bucket, ...(rsc ? { rsc } : {}) });
        const linstor = [];
        for (const b of listing.backups) {
          if (!b.committed) continue; // an unfinished shipment is not a backup
          if (req.query.snap_name && b.snapName !== req.query.snap_name) continue;
          const meta = (await readBackupMeta(s3, r.bucket, b.id).catch(() => null))?.meta;
          const based = meta ? baseBackupIdOf(meta) : undefined;
          linstor.push({
            id: b.id,
            start_time: new Date(b.timestampMs).toISOString(),
            start_timestamp: meta?.startTimestamp ?? b.timestampMs,
            finished_time: meta?.finishTimestamp ? new Date(meta.finishTimestamp).toISOString() : undefined,
            finished_timestamp: meta?.finishTimestamp,
            origin_rsc: b.rsc,
            origin_snap: b.snapName,
            origin_node: meta?.nodeName,
            ...linstorFlags('done'),
            restorable: b.dataObjects.length > 0,
            based_on_id: based,
            vlms: b.dataObjects.map((d) => ({ vlm_nr: d.vlmNr, s3: { key: d.key }, size: d.size })),
            // ferry
            status: 'done' as const,
            size: b.size,
            uncompressed_size: meta?.ferry ? Object.values(meta.ferry.volumes).reduce((a, v) => a + v.uncompressedBytes, 0) : undefined,
            chain: meta?.ferry?.chain,
          });
        }
        // shipments under way, failed or aborted: what Temporal knows of them, LINSTOR's flags
        const committed = new Set(listing.backups.filter((b) => b.committed).map((b) => b.id));
        for (const sh of shipmentsToList(committed, await shipmentsOf(r.name, rsc))) {
          if (req.query.snap_name && sh.snapshot !== req.query.snap_name) continue;
          linstor.push({
            id: sh.id,
            start_time: new Date(sh.startMs).toISOString(),
            start_timestamp: sh.startMs,
            finished_time: undefined,
            finished_timestamp: undefined,
            origin_rsc: sh.rsc,
            origin_snap: sh.snapshot,
            origin_node: sh.node,
            ...linstorFlags(sh.status),
            restorable: false,
            based_on_id: undefined,
            vlms: [],
            // ferry
            status: sh.status,
            workflow_id: sh.workflowId,
            ...(sh.closeMs !== undefined ? { ended_time: new Date(sh.closeMs).toISOString() } : {}),
            size: 0,
            uncompressed_size: undefined,
            chain: undefined,
          });
        }
        return { linstor, other: { files: listing.other.map((o) => o.key) } };
      });
    } catch (e) {
      return refuse(reply, e);
    }
  });

  app.post<{ Params: { remote: string } } & Wait>('/v1/remotes/:remote/backups', async (req, reply) => {
    try {
      const b = (req.body ?? {}) as Record<string, unknown>;
      const startTimestamp = ctx.now();
      const input = parseInput(backupCreateSchema, {
        remote: req.params.remote, resource: b.rsc_name, snapshot: b.snap_name ?? undefined, node: b.node_name ?? undefined,
        full: b.incremental === false || bool(b.full),
      });
      await requireRemote(input.remote);
      const rd = await catalog.resources.getDefinition(input.resource);
      if (!rd) throw new NotFoundError('resource definition', input.resource);
      const diskful = (await catalog.resources.list({ resource: input.resource })).filter((x) => !x.flags.includes('DISKLESS'));
      if (diskful.length === 0) throw new NotFoundError('resource', input.resource, `resource '${input.resource}' has no diskful replica to back up`);
      if (input.node && !diskful.some((x) => x.node === input.node)) throw new NotFoundError('resource', input.resource, `resource '${input.resource}' has no diskful replica on node '${input.node}'`);
      const snapshot = input.snapshot ?? defaultSnapshotName(startTimestamp);
      return await mutate(reply, req.query.wait === 'true', 'backupCreate', backupWorkflowIds.createBackup(input.resource, snapshot),
        [{ resource: input.resource, remote: input.remote, snapshot, startTimestamp, full: input.full, ...(input.node ? { node: input.node } : {}) }],
        `Backup of '${input.resource}' to remote '${input.remote}' (snapshot ${snapshot}) done.`, { RscDfn: input.resource, Remote: input.remote, Snapshot: snapshot });
    } catch (e) {
      return refuse(reply, e);
    }
  });

  /**
   * The backup a restore or `backup info` starts from (`--id`, or the newest committed backup of
   * `--resource`) and its `.meta`; NotFoundError when there is none.
   */
  async function targetBackup(r: RemoteRecord, sel: { id?: string; resource?: string }): Promise<{ id: string; meta: BackupMeta }> {
    return withS3(r, async (s3) => {
      let id = sel.id !== undefined ? backupIdOf(sel.id) : undefined;
      if (id === undefined) {
        const { backups } = await listBackups({ s3, bucket: r.bucket, rsc: sel.resource! });
        id = backups.filter((b) => b.committed).at(-1)?.id;
        if (id === undefined) throw new NotFoundError('backup', sel.resource!, `no backup of resource '${sel.resource}' in remote '${r.name}'`);
      }
      return { id, meta: (await readBackupMeta(s3, r.bucket, id)).meta };
    });
  }

  /** The target pool of every volume of a backup on a node (`--storpool-rename`, `--storage-pool`), checked. */
  async function restorePools(node: string, meta: BackupMeta, rename: Record<string, string>, storagePool: string | undefined) {
    const sources = sourcePoolsOf(meta);
    const volumes = Object.keys(meta.backups).map(Number).sort((a, b) => a - b).map((vlmNr) => ({ vlmNr, ...(sources.has(vlmNr) ? { source: sources.get(vlmNr)! } : {}) }));
    const targetPools = [...(await catalog.storagePools.list(node)), { name: DISKLESS_POOL, provider: 'DISKLESS', freeBytes: null }];
    return resolveRestorePools({ node, volumes, rename, ...(storagePool !== undefined ? { storagePool } : {}), targetPools });
  }

  /**
   * LINSTOR's restore (python-linstor `backup_restore`: node_name, target_rsc_name, src_rsc_name |
   * last_backup, stor_pool_map, download_only), plus ferry's stor_pool_name. Everything is checked
   * here, before the workflow downloads or creates anything: names, the target pools of every volume.
   */
  app.post<{ Params: { remote: string } } & Wait>('/v1/remotes/:remote/backups/restore', async (req, reply) => {
    try {
      const b = (req.body ?? {}) as Record<string, unknown>;
      const input = parseInput(backupRestoreSchema, {
        remote: req.params.remote, targetNode: b.node_name, targetResource: b.target_rsc_name,
        resource: b.src_rsc_name ?? undefined, backupId: b.last_backup ?? undefined, storagePool: b.stor_pool_name ?? undefined,
      });
      if ((input.resource === undefined) === (input.backupId === undefined)) throw new ValidationError('src_rsc_name', 'give either the source resource (--resource) or a backup id (--id), not both or neither');
      if (input.backupId !== undefined) parseBackupId(input.backupId);
      const rename = storPoolMapFromJson(b.stor_pool_map);
      const downloadOnly = bool(b.download_only);
      const r = await requireRemote(input.remote);
      const node = await catalog.nodes.get(input.targetNode);
      if (!node) throw new NotFoundError('node', input.targetNode);
      if (await catalog.resources.getDefinition(input.targetResource)) throw new ConflictError('resource definition', input.targetResource, 'exists', `resource definition '${input.targetResource}' already exists; restore into a new name`);
      const target = await targetBackup(r, { ...(input.backupId !== undefined ? { id: input.backupId } : {}), ...(input.resource !== undefined ? { resource: input.resource } : {}) });
      const pools = await restorePools(input.targetNode, target.meta, rename, input.storagePool);
      return await mutate(reply, req.query.wait === 'true', 'backupRestore', backupWorkflowIds.restoreBackup(input.targetResource),
        [{ remote: input.remote, targetNode: input.targetNode, targetResource: input.targetResource, storagePool: pools.storagePool, id: target.id,
          ...(downloadOnly ? { downloadOnly: true } : {}) }],
        downloadOnly ? `Backup ${target.id} downloaded to '${input.targetNode}' as snapshots of '${input.targetResource}'.` : `Resource '${input.targetResource}' restored on '${input.targetNode}'.`,
        { RscDfn: input.targetResource, Node: input.targetNode, Remote: input.remote });
    } catch (e) {
      return refuse(reply, e);
    }
  });

  /**
   * LINSTOR's DELETE /v1/remotes/R/backups with exactly one selection: `id` (+ `id_prefix`), the
   * filters `timestamp` (yyyyMMdd_HHmmss UTC or ISO 8601: made before), `resource_name`,
   * `node_name` (combinable), `all` (+ `all_local_cluster`), or `s3key`; `cascading`, `dryrun`.
   */
  app.delete<{ Params: { remote: string }; Querystring: Record<string, string | undefined> }>('/v1/remotes/:remote/backups', async (req, reply) => {
    try {
      const r = await requireRemote(req.params.remote);
      const q = req.query;
      const cascade = bool(q.cascading);
      const filterGiven = q.timestamp !== undefined || q.resource_name !== undefined || q.node_name !== undefined;
      const kinds = [q.id !== undefined || q.id_prefix !== undefined ? 'id' : '', filterGiven ? 'filter' : '', bool(q.all) || bool(q.all_local_cluster) ? 'all' : '', q.s3key !== undefined ? 's3key' : ''].filter(Boolean);
      if (kinds.length !== 1) {
        throw new ValidationError('selection', kinds.length === 0
          ? 'say which backups to delete: id (optionally as a prefix), a filter (timestamp, resource_name, node_name), all, or s3key'
          : `give one kind of selection, not ${kinds.join(' and ')}`);
      }
      if (kinds[0] === 's3key') {
        const key = z.string().min(1, 's3key: give the object key').parse(q.s3key);
        if (await withS3(r, (s3) => objectSize(s3, r.bucket, key)) === undefined) throw new NotFoundError('backup', key, `object '${key}' not found in bucket '${r.bucket}'`);
        if (bool(q.dryrun)) return { dry_run: true, backups: [], keys: [key] };
        return await mutate(reply, q.wait === 'true', 'backupDelete', backupWorkflowIds.deleteBackup(r.name, `s3key-${createHash('sha256').update(key).digest('hex').slice(0, 16)}`), [{ remote: r.name, s3key: key, cascade: false }],
          `Object ${key} deleted.`, { Remote: r.name, S3Key: key });
      }
      let selector: BackupSelector;
      if (kinds[0] === 'id') {
        const raw = z.string().min(1, 'id: give the backup id').parse(q.id ?? q.id_prefix ?? '');
        if (q.id_prefix !== undefined || bool(q.prefix)) {
          selector = { kind: 'prefix', prefix: raw };
        } else {
          parseBackupId(raw);
          selector = { kind: 'id', id: backupIdOf(raw) };
        }
      } else if (kinds[0] === 'filter') {
        let beforeMs: number | undefined;
        if (q.timestamp !== undefined) {
          beforeMs = parseBackupTimestamp(q.timestamp) ?? (/^\d{4}-\d{2}-\d{2}/.test(q.timestamp) ? Date.parse(q.timestamp) : NaN);
          if (!Number.isFinite(beforeMs)) throw new ValidationError('timestamp', `'${q.timestamp}' is not a time: give yyyyMMdd_HHmmss (UTC, e.g. 20210914_120000) or ISO 8601`);
        }
        selector = {
          kind: 'filter',
          ...(beforeMs !== undefined ? { beforeMs } : {}),
          ...(q.resource_name !== undefined ? { resource: parseInput(resourceDefinitionNameSchema, q.resource_name, 'resource_name') } : {}),
          ...(q.node_name !== undefined ? { node: parseInput(nodeNameSchema, q.node_name, 'node_name') } : {}),
        };
      } else {
        const clusterId = bool(q.all_local_cluster) ? await catalog.remotes.setControllerPropOnce(CLUSTER_ID_PROP, randomUUID()) : undefined;
        selector = { kind: 'all', ...(clusterId ? { clusterId } : {}) };
      }
      const plan = await withS3(r, (s3) => planBackupDelete({ s3, bucket: r.bucket, selector, cascade }));
      if (bool(q.dryrun)) return { dry_run: true, backups: plan.backups, keys: plan.keys };
      const opId = selector.kind === 'id' ? selector.id : `${selector.kind}-${createHash('sha256').update(JSON.stringify(selector)).digest('hex').slice(0, 16)}`;
      return await mutate(reply, q.wait === 'true', 'backupDelete', backupWorkflowIds.deleteBackup(r.name, opId), [{ remote: r.name, selector, cascade }],
        `Deleted ${plan.selected}${plan.dependents.length > 0 ? ` with ${plan.dependents.length} dependent backup(s)` : ''}.`, { Remote: r.name, Selection: plan.selected });
    } catch (e) {
      if (e instanceof z.ZodError) return reply.code(400).send(apiError(e.issues.map((i) => i.message).join('; ')));
      return refuse(reply, e);
    }
  });

  /**
   * LINSTOR's `backup info` (POST /v1/remotes/R/backups/info, python-linstor `backup_info`:
   * src_rsc_name | last_backup, node_name, stor_pool_map): the chain a restore would download, its
   * download size and the space the volumes need, per source storage pool with the pool it would
   * be restored into; with node_name, the pools are checked as a restore checks them and each one's
   * free space after the restore is given (the download is streamed, so only the volumes count).
   */
  app.post<{ Params: { remote: string } }>('/v1/remotes/:remote/backups/info', async (req, reply) => {
    try {
      const b = (req.body ?? {}) as Record<string, unknown>;
      const resource = b.src_rsc_name === undefined || b.src_rsc_name === null ? undefined : parseInput(resourceDefinitionNameSchema, b.src_rsc_name, 'src_rsc_name');
      const id = typeof b.last_backup === 'string' && b.last_backup !== '' ? b.last_backup : undefined;
      if ((resource === undefined) === (id === undefined)) throw new ValidationError('src_rsc_name', 'give either the source resource (--resource) or a backup id (--id), not both or neither');
      if (id !== undefined) parseBackupId(id);
      const node = b.node_name === undefined || b.node_name === null ? undefined : parseInput(nodeNameSchema, b.node_name, 'node_name');
      const rename = storPoolMapFromJson(b.stor_pool_map);
      const r = await requireRemote(req.params.remote);
      if (node !== undefined && !(await catalog.nodes.get(node))) throw new NotFoundError('node', node);
      const target = await targetBackup(r, { ...(id !== undefined ? { id } : {}), ...(resource !== undefined ? { resource } : {}) });
      const chain = await withS3(r, async (s3) => {
        const out: { id: string; meta: BackupMeta }[] = [];
        for (let cur: string | undefined = target.id, meta: BackupMeta | undefined = target.meta; cur !== undefined;) {
          if (out.some((x) => x.id === cur)) throw new ConflictError('backup', target.id, 'state', `backup chain of ${target.id} loops at ${cur}`);
          meta ??= (await readBackupMeta(s3, r.bucket, cur)).meta;
          out.unshift({ id: cur, meta });
          cur = baseBackupIdOf(meta);
          meta = undefined;
        }
        return out;
      });
      const dlKib = await withS3(r, async (s3) => {
        const sizes = new Map<number, number>();
        for (const { meta } of chain) {
          for (const { vlmNr, key } of dataKeysOf(meta)) {
            const bytes = ferryVolumeOf(meta, key)?.compressedBytes ?? (await objectSize(s3, r.bucket, key)) ?? 0;
            sizes.set(vlmNr, (sizes.get(vlmNr) ?? 0) + Math.ceil(bytes / 1024));
          }
        }
        return sizes;
      });
      const sources = sourcePoolsOf(target.meta);
      const vlmNrs = Object.keys(target.meta.backups).map(Number).sort((a, c) => a - c);
      const allocKib = (n: number) => target.meta.rscDfn?.vlmDfns?.[String(n)]?.size ?? 0;
      const plan = node !== undefined ? await restorePools(node, target.meta, rename, undefined) : undefined;
      const nodePools = node !== undefined ? await catalog.storagePools.list(node) : [];
      const groups = new Map<string, { name: string; provider_kind?: string; target_name: string; remaining_space_kib?: number; vlms: unknown[] }>();
      for (const n of vlmNrs) {
        const src = sources.get(n);
        const name = src?.storagePool ?? '';
        const targetName = plan?.volumes.find((v) => v.vlmNr === n)?.targetPool ?? (src ? rename[src.storagePool] ?? src.storagePool : '');
        const g = groups.get(name) ?? { name, ...(src?.provider ? { provider_kind: src.provider } : {}), target_name: targetName, vlms: [] };
        const key = target.meta.backups[String(n)]?.[0]?.name;
        g.vlms.push({ ...(key ? { name: key } : {}), layer_type: 'STORAGE', dl_size_kib: dlKib.get(n) ?? 0, alloc_size_kib: allocKib(n), usable_size_kib: allocKib(n) });
        groups.set(name, g);
      }
      if (node !== undefined) {
        for (const g of groups.values()) {
          const free = nodePools.find((p) => p.name === g.target_name)?.freeBytes;
          const used = [...groups.values()].filter((x) => x.target_name === g.target_name).flatMap((x) => x.vlms as { alloc_size_kib: number }[]).reduce((a, v) => a + v.alloc_size_kib, 0);
          if (free !== null && free !== undefined) g.remaining_space_kib = Math.floor(free / 1024) - used;
        }
      }
      const parsed = parseBackupId(target.id);
      return {
        rsc: parsed.rsc, snap: parsed.snapName, full: chain[0]!.id, latest: target.id, count: chain.length,
        dl_size_kib: [...dlKib.values()].reduce((a, v) => a + v, 0), alloc_size_kib: vlmNrs.reduce((a, n) => a + allocKib(n), 0),
        storpools: [...groups.values()],
      };
    } catch (e) {
      return refuse(reply, e);
    }
  });

  /** ferry: one backup's metadata and chain. */
  app.get<{ Params: { remote: string; id: string } }>('/v1/remotes/:remote/backups/:id', async (req, reply) => {
    try {
      const r = await requireRemote(req.params.remote);
      const id = backupIdOf(req.params.id);
      parseBackupId(id);
      return await withS3(r, async (s3) => {
        const { meta } = await readBackupMeta(s3, r.bucket, id);
        return { id, meta };
      });
    } catch (e) {
      return refuse(reply, e);
    }
  });

  /** ferry: reads every object of a backup and its chain and checks the checksums. */
  app.post<{ Params: { remote: string; id: string } }>('/v1/remotes/:remote/backups/:id/verify', async (req, reply) => {
    try {
      const r = await requireRemote(req.params.remote);
      const id = backupIdOf(req.params.id);
      parseBackupId(id);
      return await withS3(r, (s3) => verifyBackup({ s3, bucket: r.bucket, id }));
    } catch (e) {
      return refuse(reply, e);
    }
  });

  /** Cancels the running backups of a resource (to one remote, if given); each workflow cleans up after itself. */
  async function abortBackups(rsc: string, remote?: string) {
    const ids: string[] = [];
    const toRemote = remote ? ` AND FerryRemote = "${remote}"` : '';
    for await (const wf of client.workflow.list({ query: `FerryResource = "${rsc}" AND FerryOperation = "backup-create"${toRemote} AND ExecutionStatus = "Running"` })) ids.push(wf.workflowId);
    if (ids.length === 0) throw new NotFoundError('backup', rsc, `no backup of resource '${rsc}'${remote ? ` to remote '${remote}'` : ''} is running`);
    for (const id of ids) await client.workflow.getHandle(id).cancel();
    // requested, not done: the workflow aborts the upload and removes the snapshot, then ends CANCELLED
    return ids.map((id) => ({ ret_code: 0, message: `Backup ${id} of '${rsc}': abort requested`, obj_refs: { RscDfn: rsc, ...(remote ? { Remote: remote } : {}) }, workflow_id: id }));
  }

  /** ferry: cancels the running backup of a resource (`backup abort RSC`); the workflow cleans up. */
  app.post<{ Params: { rsc: string } }>('/v1/resource-definitions/:rsc/backups/abort', async (req, reply) => {
    try {
      return await abortBackups(parseInput(resourceDefinitionNameSchema, req.params.rsc, 'rsc_name'));
    } catch (e) {
      return refuse(reply, e);
    }
  });

  /** LINSTOR's `backup abort REMOTE RSC` (BackupAbort: rsc_name; ferry aborts shipments, `create`, of which it has only one kind). */
  app.post<{ Params: { remote: string } }>('/v1/remotes/:remote/backups/abort', async (req, reply) => {
    try {
      const r = await requireRemote(req.params.remote);
      const body = (req.body ?? {}) as { rsc_name?: unknown; restore?: unknown };
      const rsc = parseInput(resourceDefinitionNameSchema, body.rsc_name, 'rsc_name');
      if (body.restore === true) throw new ValidationError('restore', 'aborting a restore is not supported by ferry: cancel its operation (ferry op cancel ID)');
      return await abortBackups(rsc, r.name);
    } catch (e) {
      return refuse(reply, e);
    }
  });
}
