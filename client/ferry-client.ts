// FerryClient: the typed SDK for other services. Reads return data; mutations return an
// Operation (a Temporal workflow run by the controller) with result() and progress().
import type { ErrorReport } from '../core/error-report.js';
import type { DoctorReport } from '../core/doctor.js';
import type { DoctorRepairResult } from '../workflows/doctor.js';
import type { BackupCreateResult, BackupRestoreResult } from '../workflows/backups.js';
import type { RestoreNodeResult } from '../workflows/node-restore.js';
import type { PlannedMove } from '../activities/controller/evacuation.js';
import type { NodeJson, ResourceDefinitionJson, ResourceJson, StoragePoolJson, VolumeDefinitionJson } from '../api/linstor-shapes.js';
import { httpCall, type HttpAnswer, type TransportOptions } from './transport.js';
import type { EffectivePropertyJson, ResourceGroupJson } from '../api/resource-group-routes.js';

export class FerryApiError extends Error {
  constructor(readonly status: number, message: string, readonly body?: unknown) {
    super(message);
    this.name = 'FerryApiError';
  }
}

export class FerryUnreachableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FerryUnreachableError';
  }
}

interface ApiCallRc {
  ret_code: number;
  message: string;
  workflow_id?: string;
  correction?: string;
}

export interface OperationInfo {
  workflow_id: string;
  type: string;
  status: string;
  start_time: string;
  close_time: string | null;
  progress: unknown;
}

export class Operation<T = unknown> {
  constructor(private readonly client: FerryClient, readonly workflowId: string, readonly message: string) {}
  /** Waits until the workflow has finished; throws FerryApiError with its failure. */
  async result(): Promise<T> {
    const r = await this.client.request<{ result: T }>('GET', `/v1/ferry/operations/${this.workflowId}/result`);
    return r.result;
  }
  describe(): Promise<OperationInfo> {
    return this.client.request<OperationInfo>('GET', `/v1/ferry/operations/${this.workflowId}`);
  }
  async progress(): Promise<unknown> {
    return (await this.describe()).progress;
  }
}

export interface FerryClientOptions extends TransportOptions {
  /** REST endpoints of the controllers (http:// or https://); the first that answers is used. */
  controllers: string[];
  timeoutMs?: number;
}

export class FerryClient {
  private readonly controllers: string[];
  private readonly timeoutMs: number;
  private readonly transport: TransportOptions;

  constructor(opts: FerryClientOptions) {
    if (!opts.controllers.length) throw new Error('FerryClient needs at least one controller URL');
    this.controllers = opts.controllers.map((c) => c.replace(/\/+$/, ''));
    this.timeoutMs = opts.timeoutMs ?? 10 * 60_000;
    this.transport = { token: opts.token, ca: opts.ca, cert: opts.cert, key: opts.key };
  }

  async request<T>(method: string, path: string, body?: unknown): Promise<T> {
    let lastError = '';
    for (const base of this.controllers) {
      let res: HttpAnswer;
      try {
        res = await httpCall(`${base}${path}`, {
          method,
          // the operation handle, not LINSTOR's wait-until-done answer (api/linstor-compat-routes.ts)
          headers: { 'x-ferry-async': 'true' },
          body,
          timeoutMs: this.timeoutMs,
          ...this.transport,
        });
      } catch (e) {
        lastError = `${base}: ${(e as Error).cause instanceof Error ? ((e as Error).cause as Error).message : (e as Error).message}`;
        continue;
      }
      const text = res.text;
      let data: unknown;
      try {
        data = text ? JSON.parse(text) : undefined;
      } catch {
        throw new FerryApiError(res.status, `${base} answered HTTP ${res.status} with a body that is not JSON: ${text.slice(0, 200)}`);
      }
      if (!res.ok) {
        const rc = Array.isArray(data) ? (data[0] as ApiCallRc | undefined) : undefined;
        const msg = rc ? `${rc.message}${rc.correction ? ` (${rc.correction})` : ''}` : `HTTP ${res.status}`;
        throw new FerryApiError(res.status, msg, data);
      }
      return data as T;
    }
    throw new FerryUnreachableError(`no controller reachable (${lastError}); set --controllers or FERRY_CONTROLLERS`);
  }

  private async mutate<T>(method: string, path: string, body?: unknown): Promise<Operation<T>> {
    const rcs = await this.request<ApiCallRc[]>(method, path, body);
    const rc = rcs[0];
    if (!rc?.workflow_id) throw new Error(`controller answered without an operation id: ${JSON.stringify(rcs)}`);
    return new Operation<T>(this, rc.workflow_id, rc.message);
  }

  operation<T = unknown>(workflowId: string): Operation<T> {
    return new Operation<T>(this, workflowId, '');
  }

  /** Operations (workflows) over Temporal visibility, filtered by ferry's search attributes. */
  readonly operations = {
    list: (f: { node?: string; resource?: string; operation?: string; running?: boolean; failed?: boolean; limit?: number } = {}): Promise<OperationSummary[]> => {
      const q = Object.entries(f).filter(([, v]) => v !== undefined && v !== false).map(([k, v]) => `${k}=${encodeURIComponent(String(v))}`);
      return this.request('GET', `/v1/ferry/operations${q.length ? `?${q.join('&')}` : ''}`);
    },
    get: (workflowId: string): Promise<OperationInfo & Partial<OperationSummary>> => this.request('GET', `/v1/ferry/operations/${workflowId}`),
    /** Requests cancellation; the workflow cleans up and ends CANCELED. */
    cancel: (workflowId: string): Promise<ApiCallRc[]> => this.request('POST', `/v1/ferry/operations/${workflowId}/cancel`),
  };

  /** `ferry doctor`: catalog against hosts and buckets; repair of what is safe to repair. */
  readonly doctor = {
    /** Runs the check and returns its report (drift empty: catalog, hosts and buckets agree). */
    check: (o: { grace?: string } = {}): Promise<DoctorReport & { workflow_id: string }> =>
      this.request('GET', `/v1/ferry/doctor${o.grace !== undefined ? `?grace=${encodeURIComponent(o.grace)}` : ''}`),
    /** The repair plan, changing nothing. */
    plan: (o: { grace?: string } = {}): Promise<DoctorRepairResult & { workflow_id: string }> =>
      this.request('POST', '/v1/ferry/doctor/repair', { dry_run: true, ...(o.grace !== undefined ? { grace: o.grace } : {}) }),
    /** Starts the repair (a `doctor-repair/<ts>-<nonce>` workflow). */
    repair: (o: { grace?: string } = {}): Promise<Operation<DoctorRepairResult>> =>
      this.mutate('POST', '/v1/ferry/doctor/repair', { dry_run: false, ...(o.grace !== undefined ? { grace: o.grace } : {}) }),
  };

  /** Error reports (LINSTOR's `error-reports`): one per distinct failure of an activity or workflow. */
  readonly errorReports = {
    list: (f: { node?: string; since?: number; limit?: number } = {}): Promise<ErrorReport[]> => {
      const q = Object.entries(f).filter(([, v]) => v !== undefined).map(([k, v]) => `${k}=${encodeURIComponent(String(v))}`);
      return this.request('GET', `/v1/error-reports${q.length ? `?${q.join('&')}` : ''}`);
    },
    get: (id: string): Promise<ErrorReport> => this.request('GET', `/v1/error-reports/${encodeURIComponent(id)}`),
    delete: (id: string): Promise<ApiCallRc[]> => this.request('DELETE', `/v1/error-reports/${encodeURIComponent(id)}`),
  };

  readonly nodes = {
    list: (): Promise<NodeJson[]> => this.request<NodeJson[]>('GET', '/v1/nodes'),
    get: (name: string): Promise<NodeJson & { inventory: unknown }> => this.request('GET', `/v1/nodes/${encodeURIComponent(name)}`),
    create: (n: { name: string; address: string; port?: number }): Promise<Operation<{ node: string }>> =>
      this.mutate('POST', '/v1/nodes', {
        name: n.name,
        type: 'SATELLITE',
        net_interfaces: [{ name: 'default', address: n.address, satellite_port: n.port ?? 3366 }],
      }),
    delete: (name: string): Promise<Operation<{ node: string; deleted: boolean }>> =>
      this.mutate('DELETE', `/v1/nodes/${encodeURIComponent(name)}`),
  };

  readonly storagePools = {
    /** Every pool of every node (DfltDisklessStorPool included); filters as in LINSTOR's view. */
    list: (f: { nodes?: string[]; storagePools?: string[] } = {}): Promise<StoragePoolJson[]> =>
      this.request('GET', `/v1/view/storage-pools${query({ nodes: f.nodes, storage_pools: f.storagePools })}`),
    /** An LVM thin pool `vg/thinpool` that exists on the node's host. */
    createLvmThin: (p: { node: string; name: string; vg: string; thinPool: string }): Promise<Operation<{ node: string; storagePool: string; freeBytes: number; totalBytes: number }>> =>
      this.mutate('POST', `/v1/nodes/${encodeURIComponent(p.node)}/storage-pools`, {
        storage_pool_name: p.name,
        provider_kind: 'LVM_THIN',
        props: { 'StorDriver/LvmVg': p.vg, 'StorDriver/ThinPool': p.thinPool },
      }),
    /** Refused (409, FAIL_IN_USE) while a resource or snapshot uses the pool; the thin pool on the host stays. */
    delete: (node: string, name: string): Promise<Operation<{ node: string; storagePool: string; deleted: boolean }>> =>
      this.mutate('DELETE', `/v1/nodes/${encodeURIComponent(node)}/storage-pools/${encodeURIComponent(name)}`),
  };

  readonly resourceDefinitions = {
    list: (): Promise<ResourceDefinitionJson[]> => this.request('GET', '/v1/resource-definitions'),
    get: (name: string): Promise<ResourceDefinitionJson> => this.request('GET', `/v1/resource-definitions/${encodeURIComponent(name)}`),
    create: (d: { name: string; resourceGroup?: string; port?: number }): Promise<Operation<{ name: string; port: number }>> =>
      this.mutate('POST', '/v1/resource-definitions', {
        resource_definition: { name: d.name, ...(d.resourceGroup ? { resource_group_name: d.resourceGroup } : {}) },
        ...(d.port !== undefined ? { drbd_port: d.port } : {}),
      }),
    /** Moves the definition to another resource group (`rd modify RSC --resource-group RG`); `changes` set (string) or delete (null) properties in the same operation. */
    modify: (d: { name: string; resourceGroup: string; changes?: Record<string, string | null> }): Promise<Operation<{ resource: string; resourceGroup?: string; moved: boolean; changed: string[] }>> =>
      this.mutate('PUT', `/v1/resource-definitions/${encodeURIComponent(d.name)}`, { resource_group: d.resourceGroup, ...(d.changes ? propsBody(d.changes) : {}) }),
    /** Removes the resource from every node (drbdadm down, LVs removed), then the definition. */
    delete: (name: string): Promise<Operation<{ resource: string; deleted: boolean }>> =>
      this.mutate('DELETE', `/v1/resource-definitions/${encodeURIComponent(name)}`),
  };

  readonly volumeDefinitions = {
    list: (resource: string): Promise<VolumeDefinitionJson[]> =>
      this.request('GET', `/v1/resource-definitions/${encodeURIComponent(resource)}/volume-definitions`),
    /** `sizeBytes` is rounded up to KiB, as LINSTOR's size_kib. */
    get: (resource: string, volumeNumber: number): Promise<VolumeDefinitionJson> =>
      this.request('GET', `/v1/resource-definitions/${encodeURIComponent(resource)}/volume-definitions/${volumeNumber}`),
    /** `props` are kept and listed (FileSystem/*, Aux/*); ferry does not act on FileSystem/*. */
    create: (v: { resource: string; sizeBytes: number; volumeNumber?: number; minor?: number; props?: Record<string, string> }): Promise<Operation<{ volumeNumber: number; minor: number; sizeBytes: number }>> =>
      this.mutate('POST', `/v1/resource-definitions/${encodeURIComponent(v.resource)}/volume-definitions`, {
        volume_definition: { size_kib: Math.ceil(v.sizeBytes / 1024), ...(v.volumeNumber !== undefined ? { volume_number: v.volumeNumber } : {}), ...(v.props ? { props: v.props } : {}) },
        ...(v.minor !== undefined ? { drbd_minor_number: v.minor } : {}),
      }),
    /** Grows a volume (never shrinks): every diskful replica's LV, then DRBD (`vd set-size`). */
    setSize: (v: { resource: string; volumeNumber: number; sizeBytes: number }): Promise<Operation<{ resource: string; volumeNumber: number; sizeBytes: number; deviceBytes: number | null }>> =>
      this.mutate('PUT', `/v1/resource-definitions/${encodeURIComponent(v.resource)}/volume-definitions/${v.volumeNumber}`, { size_kib: Math.ceil(v.sizeBytes / 1024) }),
    /** Sets (string) or deletes (null) properties of one volume definition. */
    setProperties: (v: { resource: string; volumeNumber: number; changes: Record<string, string | null> }): Promise<Operation<unknown>> =>
      this.mutate('PUT', `/v1/resource-definitions/${encodeURIComponent(v.resource)}/volume-definitions/${v.volumeNumber}`, propsBody(v.changes)),
    /** Refused (409, FAIL_IN_USE) while the resource is deployed. */
    delete: (resource: string, volumeNumber: number): Promise<Operation<{ resource: string; volumeNumber: number; deleted: boolean }>> =>
      this.mutate('DELETE', `/v1/resource-definitions/${encodeURIComponent(resource)}/volume-definitions/${volumeNumber}`),
  };

  /** LINSTOR's key-value store: named maps of text kept by the controller (linstor-csi keeps its backup mapping there). */
  readonly keyValueStore = {
    list: (): Promise<{ name: string; props: Record<string, string> }[]> => this.request('GET', '/v1/key-value-store'),
    get: async (name: string): Promise<{ name: string; props: Record<string, string> }> =>
      (await this.request<{ name: string; props: Record<string, string> }[]>('GET', `/v1/key-value-store/${encodeURIComponent(name)}`))[0]!,
    /** Sets (string) or deletes (null) keys; the first key creates the instance. */
    modify: (name: string, changes: Record<string, string | null>): Promise<Operation<{ name: string; keys: number }>> =>
      this.mutate('PUT', `/v1/key-value-store/${encodeURIComponent(name)}`, propsBody(changes)),
    delete: (name: string): Promise<Operation<{ name: string; deleted: boolean }>> => this.mutate('DELETE', `/v1/key-value-store/${encodeURIComponent(name)}`),
  };

  /** Resource groups: templates with an autoplacer select filter; `spawn` defines and places a resource in one operation. */
  readonly resourceGroups = {
    list: (): Promise<ResourceGroupJson[]> => this.request('GET', '/v1/resource-groups'),
    get: (name: string): Promise<ResourceGroupJson> => this.request('GET', `/v1/resource-groups/${encodeURIComponent(name)}`),
    create: (g: { name: string; description?: string } & SelectFilterRequest): Promise<Operation<{ name: string; created: boolean }>> =>
      this.mutate('POST', '/v1/resource-groups', { name: g.name, ...(g.description !== undefined ? { description: g.description } : {}), select_filter: selectFilterBody(g) }),
    /** Changes the fields given (null clears one) and the properties in `changes` (null deletes), in one operation. */
    modify: (g: { name: string; description?: string; changes?: Record<string, string | null> } & { [K in keyof SelectFilterRequest]?: SelectFilterRequest[K] | null }): Promise<Operation<unknown>> =>
      this.mutate('PUT', `/v1/resource-groups/${encodeURIComponent(g.name)}`, {
        ...(g.description !== undefined ? { description: g.description } : {}), select_filter: selectFilterBody(g), ...(g.changes ? propsBody(g.changes) : {}),
      }),
    delete: (name: string): Promise<Operation<{ name: string; deleted: boolean }>> => this.mutate('DELETE', `/v1/resource-groups/${encodeURIComponent(name)}`),
    /** A resource definition in the group, its volumes (`sizesBytes`) and its replicas by the group's select filter. */
    spawn: (s: { resourceGroup: string; resource: string; sizesBytes: number[] }): Promise<Operation<CreateResourceResult>> =>
      this.mutate('POST', `/v1/resource-groups/${encodeURIComponent(s.resourceGroup)}/spawn`, { resource_definition_name: s.resource, volume_sizes: s.sizesBytes.map((b) => Math.ceil(b / 1024)) }),
  };

  /**
   * Properties of resource groups, resource definitions, resources and storage pools (a null value
   * deletes the key); `list` with `effective` adds inherited values with the level they come from.
   */
  readonly properties = {
    set: (target: PropertyTargetRequest, changes: Record<string, string | null>): Promise<Operation<{ changed: string[]; adjusted: string[] }>> => {
      const body = {
        override_props: Object.fromEntries(Object.entries(changes).filter(([, v]) => v !== null)),
        delete_props: Object.entries(changes).filter(([, v]) => v === null).map(([k]) => k),
      };
      const e = encodeURIComponent;
      const path = 'resourceGroup' in target ? `/v1/resource-groups/${e(target.resourceGroup)}`
        : 'storagePool' in target ? `/v1/nodes/${e(target.node)}/storage-pools/${e(target.storagePool)}`
        : 'node' in target ? `/v1/resource-definitions/${e(target.resource)}/resources/${e(target.node)}`
        : `/v1/resource-definitions/${e(target.resource)}`;
      return this.mutate('PUT', path, body);
    },
    list: (target: PropertyTargetRequest, opts: { effective?: boolean } = {}): Promise<EffectivePropertyJson[]> => {
      const q = 'resourceGroup' in target ? { resource_group: target.resourceGroup }
        : 'storagePool' in target ? { node: target.node, storage_pool: target.storagePool }
        : 'node' in target ? { resource: target.resource, node: target.node } : { resource: target.resource };
      const qs = Object.entries({ ...q, ...(opts.effective ? { effective: 'true' } : {}) }).map(([k, v]) => `${k}=${encodeURIComponent(v)}`).join('&');
      return this.request('GET', `/v1/ferry/properties?${qs}`);
    },
  };

  readonly resources = {
    list: (f: { nodes?: string[]; resources?: string[] } = {}): Promise<ResourceJson[]> =>
      this.request('GET', `/v1/view/resources${query({ nodes: f.nodes, resources: f.resources })}`),
    /** On the given nodes, from one storage pool (or diskless). */
    create: (r: { resource: string; nodes: string[]; storagePool?: string; diskless?: boolean }): Promise<Operation<CreateResourceResult>> =>
      this.mutate('POST', `/v1/resource-definitions/${encodeURIComponent(r.resource)}/resources`, r.nodes.map((node) => ({
        resource: { node_name: node, props: r.storagePool ? { StorPoolName: r.storagePool } : {}, flags: r.diskless ? ['DISKLESS'] : [] },
      }))),
    /**
     * The autoplacer makes sure `placeCount` diskful replicas exist (`+N`: add N), honouring the
     * constraints (LINSTOR's AutoSelectFilter). A placement it cannot satisfy is refused (HTTP 422)
     * with its explanation before anything changes.
     */
    autoPlace: (r: AutoPlaceRequest): Promise<Operation<CreateResourceResult>> => {
      const rel = typeof r.placeCount === 'string' && r.placeCount.trim().startsWith('+');
      return this.mutate('POST', `/v1/resource-definitions/${encodeURIComponent(r.resource)}/autoplace`, {
        select_filter: {
          ...(rel ? { additional_place_count: Number(String(r.placeCount).trim().slice(1)) } : { place_count: r.placeCount }),
          ...(r.storagePool ? { storage_pool: r.storagePool } : {}),
          ...(r.storagePools ? { storage_pool_list: r.storagePools } : {}),
          ...(r.replicasOnSame ? { replicas_on_same: r.replicasOnSame } : {}),
          ...(r.replicasOnDifferent ? { replicas_on_different: r.replicasOnDifferent } : {}),
          ...(r.doNotPlaceWith ? { not_place_with_rsc: r.doNotPlaceWith } : {}),
          ...(r.doNotPlaceWithRegex !== undefined ? { not_place_with_rsc_regex: r.doNotPlaceWithRegex } : {}),
          ...(r.disklessOnRemaining ? { diskless_on_remaining: true } : {}),
        },
      });
    },
    delete: (r: { resource: string; node: string }): Promise<Operation<{ resource: string; node: string; deleted: boolean }>> =>
      this.mutate('DELETE', `/v1/resource-definitions/${encodeURIComponent(r.resource)}/resources/${encodeURIComponent(r.node)}`),
  };

  /** Snapshots of resources: consistent thin snapshots of every diskful replica. */
  readonly snapshots = {
    list: (f: { resources?: string[] } = {}): Promise<SnapshotInfo[]> => this.request('GET', `/v1/view/snapshots${query({ resources: f.resources })}`),
    get: (resource: string, snapshot: string): Promise<SnapshotInfo> =>
      this.request('GET', `/v1/resource-definitions/${encodeURIComponent(resource)}/snapshots/${encodeURIComponent(snapshot)}`),
    create: (s: { resource: string; snapshot: string }): Promise<Operation<SnapshotCreateResult>> =>
      this.mutate('POST', `/v1/resource-definitions/${encodeURIComponent(s.resource)}/snapshots`, { name: s.snapshot }),
    delete: (s: { resource: string; snapshot: string }): Promise<Operation<{ resource: string; snapshot: string; nodes: string[] }>> =>
      this.mutate('DELETE', `/v1/resource-definitions/${encodeURIComponent(s.resource)}/snapshots/${encodeURIComponent(s.snapshot)}`),
    /** Only to the most recent snapshot; the resource must be unused everywhere. */
    rollback: (s: { resource: string; snapshot: string }): Promise<Operation<{ resource: string; snapshot: string; nodes: string[] }>> =>
      this.mutate('POST', `/v1/resource-definitions/${encodeURIComponent(s.resource)}/snapshot-rollback/${encodeURIComponent(s.snapshot)}`),
    /** A new resource definition `target` with the snapshot's content, on the snapshot's nodes. */
    restore: (s: { resource: string; snapshot: string; target: string }): Promise<Operation<{ resource: string; nodes: string[]; from: string }>> =>
      this.mutate('POST', `/v1/resource-definitions/${encodeURIComponent(s.resource)}/snapshot-restore-resource/${encodeURIComponent(s.snapshot)}`, { to_resource: s.target }),
  };

  /** S3 remotes: keys go in, never come out. */
  readonly remotes = {
    list: (): Promise<{ s3_remotes: RemoteJson[] }> => this.request('GET', '/v1/remotes'),
    createS3: (r: { name: string; endpoint: string; bucket: string; region: string; accessKey: string; secretKey: string; usePathStyle?: boolean }): Promise<Operation<{ remote: string }>> =>
      this.mutate('POST', '/v1/remotes/s3', { remote_name: r.name, endpoint: r.endpoint, bucket: r.bucket, region: r.region, access_key: r.accessKey, secret_key: r.secretKey, use_path_style: r.usePathStyle ?? true }),
    /** Changes only the fields given (new keys are sealed by the controller). */
    modifyS3: (r: { name: string; endpoint?: string; bucket?: string; region?: string; accessKey?: string; secretKey?: string; usePathStyle?: boolean }): Promise<Operation<{ remote: string; changed: string[] }>> =>
      this.mutate('PUT', `/v1/remotes/s3/${encodeURIComponent(r.name)}`, {
        ...(r.endpoint !== undefined ? { endpoint: r.endpoint } : {}), ...(r.bucket !== undefined ? { bucket: r.bucket } : {}), ...(r.region !== undefined ? { region: r.region } : {}),
        ...(r.accessKey !== undefined ? { access_key: r.accessKey } : {}), ...(r.secretKey !== undefined ? { secret_key: r.secretKey } : {}),
        ...(r.usePathStyle !== undefined ? { use_path_style: r.usePathStyle } : {}),
      }),
    delete: (name: string): Promise<Operation<{ remote: string; deleted: boolean }>> => this.mutate('DELETE', `/v1/remotes/${encodeURIComponent(name)}`),
  };

  /** Backups to a remote: create (a workflow), list, info, verify, delete, restore, abort. */
  readonly backups = {
    list: (remote: string, f: { resource?: string } = {}): Promise<{ linstor: BackupJson[]; other: { files: string[] } }> =>
      this.request('GET', `/v1/remotes/${encodeURIComponent(remote)}/backups${f.resource ? `?rsc_name=${encodeURIComponent(f.resource)}` : ''}`),
    create: (b: { remote: string; resource: string; snapshot?: string; node?: string; full?: boolean }): Promise<Operation<BackupCreateResultJson>> =>
      this.mutate('POST', `/v1/remotes/${encodeURIComponent(b.remote)}/backups`, { rsc_name: b.resource, ...(b.snapshot ? { snap_name: b.snapshot } : {}), ...(b.node ? { node_name: b.node } : {}), incremental: !b.full }),
    info: (remote: string, id: string): Promise<{ id: string; meta: unknown }> => this.request('GET', `/v1/remotes/${encodeURIComponent(remote)}/backups/${encodeURIComponent(id)}`),
    /**
     * LINSTOR's `backup info --resource RSC | --id ID [-n NODE] [--storpool-rename ...]`: what a
     * restore would download and need, per source storage pool and the pool it would go to (with
     * `node`: checked as a restore checks it, and the space left there).
     */
    restoreInfo: (i: { remote: string; resource?: string; id?: string; node?: string; storPoolRename?: Record<string, string> }): Promise<BackupInfoJson> =>
      this.request('POST', `/v1/remotes/${encodeURIComponent(i.remote)}/backups/info`, {
        ...(i.resource ? { src_rsc_name: i.resource } : {}), ...(i.id ? { last_backup: i.id } : {}), ...(i.node ? { node_name: i.node } : {}),
        ...(i.storPoolRename && Object.keys(i.storPoolRename).length > 0 ? { stor_pool_map: i.storPoolRename } : {}),
      }),
    verify: (remote: string, id: string): Promise<{ id: string; ok: boolean; chain: string[]; problems: { backupId: string; key?: string; problem: string }[] }> =>
      this.request('POST', `/v1/remotes/${encodeURIComponent(remote)}/backups/${encodeURIComponent(id)}/verify`),
    /** With dryRun: only what would be deleted. */
    /**
     * `backup delete`: one selection of `id` (with `prefix`: every id starting so), `filter`
     * (made `before` a time — yyyyMMdd_HHmmss UTC or ISO 8601 —, of `resource`, uploaded by `node`),
     * `all` (`'cluster'`: only this cluster's) or `s3key` (that object, whatever it is).
     */
    delete: async (d: BackupDeleteRequest): Promise<Operation<{ backups: string[]; keys: string[] }> | { dry_run: true; backups: string[]; keys: string[] }> => {
      const q: Record<string, string> = {};
      if (d.id !== undefined) q[d.prefix ? 'id_prefix' : 'id'] = d.id;
      if (d.filter?.before !== undefined) q.timestamp = d.filter.before;
      if (d.filter?.resource !== undefined) q.resource_name = d.filter.resource;
      if (d.filter?.node !== undefined) q.node_name = d.filter.node;
      if (d.all === 'cluster') q.all_local_cluster = 'true';
      else if (d.all) q.all = 'true';
      if (d.s3key !== undefined) q.s3key = d.s3key;
      if (d.cascade) q.cascading = 'true';
      if (d.dryRun) q.dryrun = 'true';
      const path = `/v1/remotes/${encodeURIComponent(d.remote)}/backups?${Object.entries(q).map(([k, v]) => `${k}=${encodeURIComponent(v)}`).join('&')}`;
      if (d.dryRun) return this.request('DELETE', path);
      return this.mutate('DELETE', path);
    },
    /**
     * `backup restore`: the newest backup of `resource`, or backup `id` with its chain, into a new
     * resource `targetResource` on `node`. `storPoolRename` maps the backup's storage pools to the
     * node's (pools not named keep their name; `storagePool`: where those not named go instead);
     * `downloadOnly`: only snapshots of `targetResource`, one per chain element, no resource.
     */
    restore: (r: BackupRestoreRequest): Promise<Operation<BackupRestoreResult>> =>
      this.mutate('POST', `/v1/remotes/${encodeURIComponent(r.remote)}/backups/restore`, {
        node_name: r.node, target_rsc_name: r.targetResource, ...(r.resource ? { src_rsc_name: r.resource } : {}), ...(r.id ? { last_backup: r.id } : {}), ...(r.storagePool ? { stor_pool_name: r.storagePool } : {}),
        ...(r.storPoolRename && Object.keys(r.storPoolRename).length > 0 ? { stor_pool_map: r.storPoolRename } : {}), ...(r.downloadOnly ? { download_only: true } : {}),
      }),
    /** Cancels the running backup of a resource; its workflow aborts the upload and removes the snapshot. */
    abort: (resource: string, remote?: string): Promise<{ ret_code: number; message: string; workflow_id: string }[]> =>
      remote === undefined
        ? this.request('POST', `/v1/resource-definitions/${encodeURIComponent(resource)}/backups/abort`)
        : this.request('POST', `/v1/remotes/${encodeURIComponent(remote)}/backups/abort`, { rsc_name: resource, create: true }),
  };

  /** The controller's master passphrase (seals remote keys): create once, enter after a restart. */
  /** Scheduled backup shipping: schedules, their enablement per remote (controller / rg / rd level), what applies to each resource. */
  readonly schedules = {
    list: (): Promise<{ data: ScheduleJson[] }> => this.request('GET', '/v1/schedules'),
    create: (s: ScheduleInput): Promise<Operation<{ schedule: string; reconcile: unknown }>> => this.mutate('POST', '/v1/schedules', scheduleBody(s)),
    modify: (s: Partial<ScheduleInput> & { name: string }): Promise<Operation<{ schedule: string; reconcile: unknown }>> =>
      this.mutate('PUT', `/v1/schedules/${encodeURIComponent(s.name)}`, scheduleBody(s)),
    delete: (name: string): Promise<Operation<{ schedule: string; reconcile: unknown }>> => this.mutate('DELETE', `/v1/schedules/${encodeURIComponent(name)}`),
    listByResource: (): Promise<{ data: ScheduleByResourceJson[] }> => this.request('GET', '/v1/schedules/list-by-resource'),
    /** `backup schedule enable|disable|delete`: at the controller level, or for one resource group (rg) or resource definition (rd). */
    setEnabled: (e: { remote: string; schedule: string; enabled: boolean | null; rg?: string; rd?: string }): Promise<Operation<{ reconcile: unknown }>> => {
      const path = `/v1/remotes/${encodeURIComponent(e.remote)}/backups/schedule/${encodeURIComponent(e.schedule)}`;
      const body = { ...(e.rg ? { rg_name: e.rg } : {}), ...(e.rd ? { rsc_name: e.rd } : {}) };
      if (e.enabled === null) return this.mutate('DELETE', `${path}${e.rg ? `?rg_name=${encodeURIComponent(e.rg)}` : e.rd ? `?rsc_name=${encodeURIComponent(e.rd)}` : ''}`);
      return this.mutate('POST', `${path}/${e.enabled ? 'enable' : 'disable'}`, body);
    },
  };

  readonly encryption = {
    createPassphrase: (passphrase: string): Promise<{ ret_code: number; message: string }[]> => this.request('POST', '/v1/encryption/passphrase', { passphrase }),
    enterPassphrase: (passphrase: string): Promise<{ ret_code: number; message: string }[]> => this.request('PATCH', '/v1/encryption/passphrase', { passphrase }),
  };

  /** Node evacuation, restore / lost, toggle-disk and disk migration, node and controller properties. */
  readonly evacuation = {
    /** Plans, then (unless `dryRun`) starts or joins one `evacuate/<node>` workflow per node. */
    evacuate: async (r: { nodes: string[]; dryRun?: boolean; maxConcurrent?: number }): Promise<EvacuationAnswer> => {
      const a = await this.request<{ dry_run: boolean; nodes: string[]; plan: EvacuationPlanEntry[]; operations?: ApiCallRc[] }>('POST', '/v1/ferry/evacuations', {
        nodes: r.nodes, dry_run: Boolean(r.dryRun), ...(r.maxConcurrent !== undefined ? { max_concurrent: r.maxConcurrent } : {}),
      });
      return { dryRun: a.dry_run, nodes: a.nodes, plan: a.plan, operations: (a.operations ?? []).map((rc) => new Operation<EvacuationResult>(this, rc.workflow_id!, rc.message)) };
    },
    /** The result's `cleaned`: leftovers of moved resources removed from an EVICTED node's host. */
    restore: (node: string): Promise<Operation<RestoreNodeResult>> =>
      this.mutate('PUT', `/v1/nodes/${encodeURIComponent(node)}/restore`),
    lost: (node: string): Promise<Operation<{ node: string; resources: string[] }>> =>
      this.mutate('DELETE', `/v1/nodes/${encodeURIComponent(node)}/lost`),
    /** Diskful in `storagePool` (optionally migrating from `migrateFrom`), or diskless when `storagePool` is null. */
    toggleDisk: (t: { resource: string; node: string; storagePool: string | null; migrateFrom?: string }): Promise<Operation<{ resource: string; node: string; diskless: boolean; removedFrom: string | null }>> =>
      this.mutate('PUT', `/v1/resource-definitions/${encodeURIComponent(t.resource)}/resources/${encodeURIComponent(t.node)}/toggle-disk/${t.storagePool === null
        ? 'diskless' : `diskful/${encodeURIComponent(t.storagePool)}${t.migrateFrom ? `?migrate_from=${encodeURIComponent(t.migrateFrom)}` : ''}`}`),
    /** Node properties (`node`) or controller properties; a null value deletes the key. */
    setProperties: (p: { node?: string; changes: Record<string, string | null> }): Promise<Operation<{ node: string | null; changed: string[] }>> => {
      const body = {
        override_props: Object.fromEntries(Object.entries(p.changes).filter(([, v]) => v !== null)),
        delete_props: Object.entries(p.changes).filter(([, v]) => v === null).map(([k]) => k),
      };
      return p.node ? this.mutate('PUT', `/v1/nodes/${encodeURIComponent(p.node)}`, body) : this.mutate('POST', '/v1/controller/properties', body);
    },
    controllerProperties: (): Promise<Record<string, string>> => this.request('GET', '/v1/controller/properties'),
  };
}

/** One line of an evacuation plan: the controller's own type, not a hand-kept copy. */
export type EvacuationPlanEntry = PlannedMove;

export interface EvacuationResult {
  node: string;
  moved: { resource: string; target: string }[];
  dropped: string[];
}

export interface EvacuationAnswer {
  dryRun: boolean;
  nodes: string[];
  plan: EvacuationPlanEntry[];
  operations: Operation<EvacuationResult>[];
}

/** LINSTOR's snapshot definition JSON, as /v1/view/snapshots returns it. */
export interface SnapshotInfo {
  name: string;
  resource_name: string;
  nodes: string[];
  flags: string[];
  state: string;
  volume_definitions: { volume_number: number; size_kib: number }[];
  snapshots: { snapshot_name: string; node_name: string; create_timestamp: number; storage_pool_name: string }[];
  create_timestamp: number;
}

export interface SnapshotCreateResult {
  resource: string;
  snapshot: string;
  nodes: string[];
  ioSuspended: boolean;
  notes: string[];
}

export interface AutoPlaceRequest {
  resource: string;
  /** N, or `+N` to add N replicas to the existing ones. */
  placeCount: number | string;
  storagePool?: string;
  storagePools?: string[];
  /** `Aux/KEY` or `Aux/KEY=VALUE` (`Aux/` is added when missing). */
  replicasOnSame?: string[];
  replicasOnDifferent?: string[];
  doNotPlaceWith?: string[];
  doNotPlaceWithRegex?: string;
  disklessOnRemaining?: boolean;
}

/** One row of `ferry operation list`. */
export interface OperationSummary {
  workflow_id: string;
  run_id: string;
  type: string;
  status: string;
  start_time: string;
  close_time: string | null;
  nodes: string[];
  resources: string[];
  operation: string | null;
}

export type { ErrorReport };

export interface CreateResourceResult {
  resource: string;
  nodes: string[];
  added: string[];
}

function query(q: Record<string, string[] | undefined>): string {
  const parts = Object.entries(q).filter(([, v]) => v && v.length).map(([k, v]) => `${k}=${encodeURIComponent(v!.join(','))}`);
  return parts.length ? `?${parts.join('&')}` : '';
}

export interface RemoteJson {
  remote_name: string;
  endpoint: string;
  bucket: string;
  region: string;
  use_path_style: boolean;
  type: string;
}

export interface BackupJson {
  id: string;
  start_time: string;
  finished_time?: string;
  origin_rsc: string;
  origin_snap: string;
  origin_node?: string;
  /** LINSTOR's: true when committed, null while shipping (not known yet), false when the shipment failed or was aborted */
  success: boolean | null;
  /** LINSTOR's: true while the shipment runs */
  shipping: boolean;
  restorable: boolean;
  based_on_id?: string;
  vlms: { vlm_nr: number; s3: { key: string }; size: number }[];
  /** ferry: done (committed), shipping, failed or aborted */
  status: 'done' | 'shipping' | 'failed' | 'aborted';
  /** ferry: the backupCreate workflow of a shipment that did not commit */
  workflow_id?: string;
  /** ferry: when a failed or aborted shipment ended */
  ended_time?: string;
  size: number;
  uncompressed_size?: number;
  chain?: string[];
}

/** What a backup create operation returns: the backup workflow's own result type. */
export type BackupCreateResultJson = BackupCreateResult;

/** LINSTOR's BackupInfo: sizes in KiB. */
export interface BackupInfoJson {
  rsc: string;
  snap?: string;
  full: string;
  latest: string;
  count: number;
  dl_size_kib: number;
  alloc_size_kib: number;
  storpools: {
    /** the backup's pool ('' when its .meta does not record one) */
    name: string;
    provider_kind?: string;
    target_name: string;
    remaining_space_kib?: number;
    vlms: { name?: string; layer_type: string; dl_size_kib: number; alloc_size_kib: number; usable_size_kib: number }[];
  }[];
}

export interface BackupRestoreRequest {
  remote: string;
  node: string;
  targetResource: string;
  resource?: string;
  id?: string;
  storagePool?: string;
  /** OLD: NEW storage pool names (python-linstor's stor_pool_map) */
  storPoolRename?: Record<string, string>;
  downloadOnly?: boolean;
}

/** The autoplacer's select filter of a resource group (LINSTOR's AutoSelectFilter). */
export interface SelectFilterRequest {
  placeCount?: number;
  storagePools?: string[];
  replicasOnSame?: string[];
  replicasOnDifferent?: string[];
  doNotPlaceWith?: string[];
  doNotPlaceWithRegex?: string;
  disklessOnRemaining?: boolean;
}

/** LINSTOR's GenericPropsModify: a string sets a key, null deletes it. */
function propsBody(changes: Record<string, string | null>): { override_props: Record<string, string>; delete_props: string[] } {
  const entries = Object.entries(changes);
  return {
    override_props: Object.fromEntries(entries.filter((e): e is [string, string] => e[1] !== null)),
    delete_props: entries.filter(([, v]) => v === null).map(([k]) => k),
  };
}

function selectFilterBody(g: { [K in keyof SelectFilterRequest]?: SelectFilterRequest[K] | null }): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const put = (k: string, v: unknown) => { if (v !== undefined) out[k] = v; };
  put('place_count', g.placeCount);
  put('storage_pool_list', g.storagePools);
  put('replicas_on_same', g.replicasOnSame);
  put('replicas_on_different', g.replicasOnDifferent);
  put('not_place_with_rsc', g.doNotPlaceWith);
  put('not_place_with_rsc_regex', g.doNotPlaceWithRegex);
  put('diskless_on_remaining', g.disklessOnRemaining);
  return out;
}

/** The object whose properties are set or listed. */
export type PropertyTargetRequest =
  | { resourceGroup: string }
  | { resource: string }
  | { resource: string; node: string }
  | { node: string; storagePool: string };

export type { EffectivePropertyJson, ResourceGroupJson };

export interface ScheduleInput {
  name: string;
  fullCron: string;
  /** null (modify): remove the incremental cron */
  incrCron?: string | null;
  keepLocal?: number | null;
  keepRemote?: number | null;
  /** e.g. 30d, 12h, 2w */
  keepWithin?: string | null;
  onFailure?: 'SKIP' | 'RETRY';
  maxRetries?: number;
}

function scheduleBody(s: Partial<ScheduleInput> & { name: string }): Record<string, unknown> {
  const b: Record<string, unknown> = { schedule_name: s.name, full_cron: s.fullCron, inc_cron: s.incrCron, keep_local: s.keepLocal, keep_remote: s.keepRemote, keep_within: s.keepWithin, on_failure: s.onFailure, max_retries: s.maxRetries };
  return Object.fromEntries(Object.entries(b).filter(([, v]) => v !== undefined));
}

export interface ScheduleJson {
  schedule_name: string;
  full_cron: string;
  inc_cron?: string;
  keep_local?: number;
  keep_remote?: number;
  keep_within?: string;
  on_failure: 'SKIP' | 'RETRY';
  max_retries: number;
  next_run: string | null;
}

export interface ScheduleByResourceJson {
  rsc_name: string;
  remote_name: string | null;
  schedule_name: string | null;
  enabled?: boolean;
  reason: string;
  level?: 'controller' | 'rg' | 'rd';
  last_run?: string | null;
  last_result?: string | null;
  last_backup?: string | null;
  next_run?: string | null;
  paused?: boolean | null;
}

export interface BackupDeleteRequest {
  remote: string;
  id?: string;
  /** with `id`: every backup whose id starts with it */
  prefix?: boolean;
  filter?: { before?: string; resource?: string; node?: string };
  all?: boolean | 'cluster';
  s3key?: string;
  cascade?: boolean;
  dryRun?: boolean;
}
