// JSON shapes of LINSTOR's REST API (/v1/...) that ferry answers with, so LINSTOR clients can read them.
import type { FastifyReply } from 'fastify';
import { FerryError } from '../core/errors.js';
import { errorRetCode, retCodeOf } from './ret-codes.js';
import { connectionStatus, type NodeRecord } from '../core/node-state.js';
import type { StoragePoolRecord } from '../catalog/pools.js';
import type { ResourceDefinitionRecord, ResourceRecord, VolumeDefinitionRecord } from '../catalog/resources.js';

/** LINSTOR's ApiCallRc severity masks (64-bit, sent as signed numbers). */
export const RC_MASK_ERROR = -4611686018427387904; // 0xC000000000000000
export const RC_SUCCESS = 0;

export interface ApiCallRc {
  /** A 64-bit mask (api/ret-codes.ts); BigInt where a double cannot hold it, printed exactly in JSON. */
  ret_code: number | bigint;
  message: string;
  cause?: string;
  details?: string;
  correction?: string;
  obj_refs?: Record<string, string>;
  /** ferry: the workflow that carries out a mutation. */
  workflow_id?: string;
}

export function apiSuccess(message: string, objRefs: Record<string, string> = {}, workflowId?: string): ApiCallRc[] {
  return [{ ret_code: RC_SUCCESS, message, obj_refs: objRefs, ...(workflowId ? { workflow_id: workflowId } : {}) }];
}

/** An error without a LINSTOR code of its own (FAIL_UNKNOWN_ERROR unless `extra.ret_code` says). */
export function apiError(message: string, extra: Partial<ApiCallRc> = {}): ApiCallRc[] {
  return [{ ret_code: errorRetCode('FAIL_UNKNOWN_ERROR'), message, ...extra }];
}

/** The ApiCallRc of a ferry error: LINSTOR's code for its kind and object, the operation of `method`. */
export function apiErrorOf(e: FerryError, method?: string, extra: Partial<ApiCallRc> = {}): ApiCallRc[] {
  return [{ ret_code: retCodeOf(e, method), message: e.message, details: JSON.stringify(e.toDetails()), ...extra }];
}

/** Answers a ferry error with its HTTP status and ApiCallRc; anything else is rethrown (a 500). */
export function refuse(reply: FastifyReply, e: unknown, extra: Partial<ApiCallRc> = {}) {
  if (e instanceof FerryError) return reply.code(e.httpStatus).send(apiErrorOf(e, reply.request?.method, extra));
  throw e;
}

export function nodeJson(n: NodeRecord, now: number, offlineAfterMs: number) {
  return {
    name: n.name,
    type: n.nodeType,
    flags: n.flags,
    props: n.props,
    net_interfaces: [
      { name: 'default', address: n.address, satellite_port: n.port, satellite_encryption_type: 'PLAIN', is_active: true },
    ],
    connection_status: connectionStatus(n, now, offlineAfterMs),
    storage_providers: ['DISKLESS', 'LVM_THIN'],
    resource_layers: ['DRBD', 'STORAGE'],
    unsupported_providers: {},
    unsupported_layers: {},
    // ferry's additions
    last_seen: n.lastSeenAt,
  };
}

export type NodeJson = ReturnType<typeof nodeJson>;

// ---- storage pools, resource definitions, volume definitions, resources ------------------------


const kib = (bytes: number | null) => (bytes === null ? null : Math.floor(bytes / 1024));

/**
 * A storage pool as LINSTOR shows it. Its capacity is the agent's last report; while the node is
 * OFFLINE (`usageStale`) that report is old, and the pool has no capacity, as LINSTOR shows a pool
 * of a satellite it has no connection to (the client prints '').
 */
export function storagePoolJson(p: StoragePoolRecord, nodeOnline: boolean, usageStale = !nodeOnline) {
  const thin = p.provider === 'LVM_THIN';
  return {
    storage_pool_name: p.name,
    node_name: p.node,
    provider_kind: p.provider,
    props: p.props,
    static_traits: thin ? { Provisioning: 'Thin', SupportsSnapshots: 'true' } : { SupportsSnapshots: 'false' },
    // LINSTOR reports capacities in KiB; a diskless pool has none
    ...(thin && !usageStale ? { free_capacity: kib(p.freeBytes), total_capacity: kib(p.totalBytes) } : {}),
    free_space_mgr_name: `${p.node};${p.name}`,
    supports_snapshots: thin,
    external_locking: false,
    reports: nodeOnline ? [] : [{ ret_code: RC_MASK_ERROR, message: `No active connection to satellite '${p.node}'` }],
    // ferry's additions: when the capacity was taken on the host, and whether it is out of date
    capacity_reported_at: thin ? p.updatedAt : null,
    capacity_stale: thin && usageStale,
  };
}
export type StoragePoolJson = ReturnType<typeof storagePoolJson>;

export function resourceDefinitionJson(rd: ResourceDefinitionRecord, vds: VolumeDefinitionRecord[]) {
  return {
    name: rd.name,
    resource_group_name: rd.resourceGroup,
    flags: rd.flags,
    props: rd.props,
    layer_data: [{ type: 'DRBD', data: { port: rd.port, transport_type: 'IP', peer_slots: 7 } }],
    volume_definitions: vds.map(volumeDefinitionJson),
  };
}
export type ResourceDefinitionJson = ReturnType<typeof resourceDefinitionJson>;

export function volumeDefinitionJson(v: VolumeDefinitionRecord) {
  return {
    volume_number: v.volumeNumber,
    size_kib: kib(v.sizeBytes)!,
    props: v.props,
    flags: [] as string[],
    layer_data: [{ type: 'DRBD', data: { volume_number: v.volumeNumber, minor_number: v.minor } }],
  };
}
export type VolumeDefinitionJson = ReturnType<typeof volumeDefinitionJson>;

/** A resource as LINSTOR shows it; `usageStale` (its node is OFFLINE): no Allocated, the last report is old. */
export function resourceJson(r: ResourceRecord, vds: VolumeDefinitionRecord[], provider: string, usageStale = false) {
  const diskless = r.flags.includes('DISKLESS');
  return {
    name: r.resource,
    node_name: r.node,
    props: { StorPoolName: r.storagePool },
    flags: r.flags,
    layer_object: { type: 'DRBD', drbd: { node_id: r.nodeId } },
    state: { in_use: r.volumes.some((v) => v.inUse) },
    volumes: vds.map((vd) => {
      const v = r.volumes.find((x) => x.volumeNumber === vd.volumeNumber);
      return {
        volume_number: vd.volumeNumber,
        storage_pool_name: r.storagePool,
        provider_kind: diskless ? 'DISKLESS' : provider,
        device_path: `/dev/drbd${vd.minor}`,
        allocated_size_kib: usageStale ? null : kib(v?.allocatedBytes ?? null),
        usable_size_kib: kib(vd.sizeBytes),
        state: { disk_state: v?.diskState ?? 'Unknown' },
        // ferry's additions: when the allocation was taken on the host, and whether it is out of date
        allocated_reported_at: v?.updatedAt ?? null,
        allocated_stale: usageStale,
        layer_data_list: [
          { type: 'DRBD', data: { drbd_volume_definition: { volume_number: vd.volumeNumber, minor_number: vd.minor }, device_path: `/dev/drbd${vd.minor}`, backing_device: v?.backingDisk ?? null } },
        ],
      };
    }),
  };
}
export type ResourceJson = ReturnType<typeof resourceJson>;
