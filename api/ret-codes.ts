// LINSTOR's ApiCallRc return codes: a 64-bit mask of severity (error), operation (create, modify,
// delete), object type (resource definition, volume definition...) and a code (FAIL_NOT_FOUND_*,
// FAIL_EXISTS_*, FAIL_IN_USE...). Clients decide by them: golinstor's ApiCallRc.Is compares
// `ret_code & (MASK_ERROR | MASK_BITS_CODE)` with e.g. FAIL_EXISTS_RSC_DFN, and linstor-csi treats
// FAIL_EXISTS_* on create as "someone else made it first". The values are LINSTOR's (sharedconsts of
// linstor-common); they need 64 bits, so they are BigInts here and printed exactly in JSON.
import type { ErrorKind, FerryError, ObjectType } from '../core/errors.js';

/** Signed 64-bit, as LINSTOR (Java long) sends it. */
const signed = (v: bigint): bigint => BigInt.asIntN(64, v);

export const MASK_ERROR = 0xc000000000000000n;
export const MASK_CRT = 0x1000000n;
export const MASK_MOD = 0x2000000n;
export const MASK_DEL = 0x3000000n;

/** Object type masks (MASK_BITS_OBJ). */
const OBJ_MASK: Partial<Record<ObjectType | 'kvs' | 'controller', bigint>> = {
  node: 0x3c0000n,
  'resource definition': 0x380000n,
  resource: 0x340000n,
  'volume definition': 0x300000n,
  volume: 0x2c0000n,
  'storage pool': 0x140000n,
  'resource group': 0x440000n,
  'volume group': 0x480000n,
  snapshot: 0x0c0000n,
  backup: 0x080000n,
  remote: 0x040000n,
  schedule: 0x540000n,
  kvs: 0x400000n,
  controller: 0x100000n,
};

/** LINSTOR's codes (MASK_BITS_CODE), by name. */
export const CODES = {
  FAIL_INVLD_NODE_NAME: 200n,
  FAIL_INVLD_RSC_NAME: 202n,
  FAIL_INVLD_VLM_NR: 205n,
  FAIL_INVLD_VLM_SIZE: 206n,
  FAIL_INVLD_STOR_POOL_NAME: 208n,
  FAIL_INVLD_PROP: 213n,
  FAIL_INVLD_PLACE_COUNT: 219n,
  FAIL_INVLD_KVS_NAME: 223n,
  FAIL_INVLD_LAYER_STACK: 225n,
  FAIL_INVLD_REQUEST: 234n,
  FAIL_INVLD_RSC_GRP_NAME: 237n,
  FAIL_NOT_FOUND_NODE: 300n,
  FAIL_NOT_FOUND_RSC_DFN: 301n,
  FAIL_NOT_FOUND_RSC: 302n,
  FAIL_NOT_FOUND_VLM_DFN: 303n,
  FAIL_NOT_FOUND_VLM: 304n,
  FAIL_NOT_FOUND_STOR_POOL: 310n,
  FAIL_NOT_FOUND_SNAPSHOT_DFN: 313n,
  FAIL_NOT_FOUND_KVS: 316n,
  FAIL_NOT_FOUND_RSC_GRP: 317n,
  FAIL_NOT_FOUND_VLM_GRP: 318n,
  FAIL_NOT_FOUND_REMOTE: 321n,
  FAIL_NOT_FOUND_BACKUP: 322n,
  FAIL_NOT_FOUND_SCHEDULE: 323n,
  FAIL_EXISTS_NODE: 500n,
  FAIL_EXISTS_RSC_DFN: 501n,
  FAIL_EXISTS_RSC: 502n,
  FAIL_EXISTS_VLM_DFN: 503n,
  FAIL_EXISTS_VLM: 504n,
  FAIL_EXISTS_STOR_POOL: 510n,
  FAIL_EXISTS_SNAPSHOT_DFN: 514n,
  FAIL_EXISTS_RSC_GRP: 522n,
  FAIL_EXISTS_VLM_GRP: 523n,
  FAIL_EXISTS_REMOTE: 527n,
  FAIL_EXISTS_SCHEDULE: 528n,
  FAIL_NOT_CONNECTED: 995n,
  FAIL_NOT_ENOUGH_NODES: 996n,
  FAIL_IN_USE: 997n,
  FAIL_UNKNOWN_ERROR: 998n,
} as const;
export type CodeName = keyof typeof CODES;

const NOT_FOUND: Partial<Record<ObjectType, CodeName>> = {
  node: 'FAIL_NOT_FOUND_NODE',
  'resource definition': 'FAIL_NOT_FOUND_RSC_DFN',
  resource: 'FAIL_NOT_FOUND_RSC',
  'volume definition': 'FAIL_NOT_FOUND_VLM_DFN',
  volume: 'FAIL_NOT_FOUND_VLM',
  'storage pool': 'FAIL_NOT_FOUND_STOR_POOL',
  'resource group': 'FAIL_NOT_FOUND_RSC_GRP',
  'volume group': 'FAIL_NOT_FOUND_VLM_GRP',
  snapshot: 'FAIL_NOT_FOUND_SNAPSHOT_DFN',
  remote: 'FAIL_NOT_FOUND_REMOTE',
  backup: 'FAIL_NOT_FOUND_BACKUP',
  schedule: 'FAIL_NOT_FOUND_SCHEDULE',
  'key-value store': 'FAIL_NOT_FOUND_KVS',
};

const EXISTS: Partial<Record<ObjectType, CodeName>> = {
  node: 'FAIL_EXISTS_NODE',
  'resource definition': 'FAIL_EXISTS_RSC_DFN',
  resource: 'FAIL_EXISTS_RSC',
  'volume definition': 'FAIL_EXISTS_VLM_DFN',
  volume: 'FAIL_EXISTS_VLM',
  'storage pool': 'FAIL_EXISTS_STOR_POOL',
  'resource group': 'FAIL_EXISTS_RSC_GRP',
  'volume group': 'FAIL_EXISTS_VLM_GRP',
  snapshot: 'FAIL_EXISTS_SNAPSHOT_DFN',
  remote: 'FAIL_EXISTS_REMOTE',
  schedule: 'FAIL_EXISTS_SCHEDULE',
};

/** A bad field -> LINSTOR's FAIL_INVLD_* for it (by the field's name); FAIL_INVLD_REQUEST otherwise. */
function invalidCode(field: string): CodeName {
  const f = field.toLowerCase();
  if (/prop/.test(f)) return 'FAIL_INVLD_PROP';
  if (/layer/.test(f)) return 'FAIL_INVLD_LAYER_STACK';
  if (/place_?count|placecount|autoplace/.test(f)) return 'FAIL_INVLD_PLACE_COUNT';
  if (/size/.test(f)) return 'FAIL_INVLD_VLM_SIZE';
  if (/volume_?number|vlm_?nr|vlmnr/.test(f)) return 'FAIL_INVLD_VLM_NR';
  if (/storage_?pool|storpool/.test(f)) return 'FAIL_INVLD_STOR_POOL_NAME';
  if (/key-value|kvs|instance/.test(f)) return 'FAIL_INVLD_KVS_NAME';
  if (/resource_group|rscgrp/.test(f)) return 'FAIL_INVLD_RSC_GRP_NAME';
  if (/^node|node_name/.test(f)) return 'FAIL_INVLD_NODE_NAME';
  if (/resource|rsc/.test(f)) return 'FAIL_INVLD_RSC_NAME';
  return 'FAIL_INVLD_REQUEST';
}

/** The code name of a ferry error, as LINSTOR would answer it. */
export function codeNameOf(e: FerryError): CodeName {
  const d = e.toDetails() as { kind: ErrorKind; objectType?: ObjectType; reason?: string; field?: string };
  switch (d.kind) {
    case 'validation':
      return invalidCode(d.field ?? '');
    case 'not-found':
      return (d.objectType && NOT_FOUND[d.objectType]) || 'FAIL_UNKNOWN_ERROR';
    case 'conflict':
      if (d.reason === 'exists') return (d.objectType && EXISTS[d.objectType]) || 'FAIL_IN_USE';
      return 'FAIL_IN_USE';
    case 'placement':
      return 'FAIL_NOT_ENOUGH_NODES';
    case 'unavailable':
      return 'FAIL_NOT_CONNECTED';
    default:
      return 'FAIL_UNKNOWN_ERROR';
  }
}

function opMask(method: string | undefined): bigint {
  switch (method?.toUpperCase()) {
    case 'POST':
      return MASK_CRT;
    case 'PUT':
    case 'PATCH':
      return MASK_MOD;
    case 'DELETE':
      return MASK_DEL;
    default:
      return 0n;
  }
}

/** An error ret_code: MASK_ERROR | code | the object's mask | the operation's mask (as LINSTOR's ResponseConverter adds them). */
export function errorRetCode(code: CodeName, opts: { objectType?: ObjectType | 'kvs' | 'controller'; method?: string } = {}): bigint {
  const type = opts.objectType === 'key-value store' ? 'kvs' : opts.objectType;
  const obj = (type && OBJ_MASK[type]) ?? 0n;
  return signed(MASK_ERROR | CODES[code] | obj | opMask(opts.method));
}

/** The ret_code of a ferry error, for a request of `method`. */
export function retCodeOf(e: FerryError, method?: string): bigint {
  const objectType = (e.toDetails() as { objectType?: ObjectType }).objectType;
  return errorRetCode(codeNameOf(e), { ...(objectType ? { objectType } : {}), ...(method ? { method } : {}) });
}

/** True when a ret_code (number or bigint, as a client parsed it) carries `code` with the error mask (golinstor's Is). */
export function hasCode(retCode: number | bigint | string, code: CodeName): boolean {
  const v = BigInt.asUintN(64, BigInt(retCode));
  return (v & (MASK_ERROR | 0x7fffn)) === (MASK_ERROR | CODES[code]);
}
