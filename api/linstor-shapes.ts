// JSON shapes of LINSTOR's REST API (/v1/...) that ferry answers with, so LINSTOR clients can read them.
import { connectionStatus, type NodeRecord } from '../core/node-state.js';

/** LINSTOR's ApiCallRc severity masks (64-bit, sent as signed numbers). */
export const RC_MASK_ERROR = -4611686018427387904; // 0xC000000000000000
export const RC_SUCCESS = 0;

export interface ApiCallRc {
  ret_code: number;
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

export function apiError(message: string, extra: Partial<ApiCallRc> = {}): ApiCallRc[] {
  return [{ ret_code: RC_MASK_ERROR, message, ...extra }];
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
