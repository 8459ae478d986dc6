// Placement of new replicas from catalog state, by the shared autoplacer (core/autoplacer.ts):
// this module only builds its view of the cluster from the catalog — nodes with their connection
// state, flags and properties; storage pools with their capacity; every placed resource with its
// size; the controller's properties — and turns its errors into Temporal failures.
import { ApplicationFailure } from '@temporalio/activity';
import { placeReplicas, prepareCluster, type PlacementCluster, type PlacementRequest, type PlacementResult, type PlacedResource, type PlacementStoragePool } from '../../core/autoplacer.js';
import { FerryError } from '../../core/errors.js';
import { connectionStatus } from '../../core/node-state.js';
import type { Catalog } from '../../catalog/index.js';

export type { PlacementRequest, PlacementResult } from '../../core/autoplacer.js';

/** The catalog as the autoplacer sees it at time `t`. */
export async function placementCluster(catalog: Catalog, t: number, offlineAfterMs: number): Promise<PlacementCluster> {
  const nodes = await catalog.nodes.list();
  const storagePools: PlacementStoragePool[] = [];
  for (const n of nodes) {
    storagePools.push({ node: n.name, name: 'DfltDisklessStorPool', provider: 'DISKLESS', props: {} });
    for (const sp of await catalog.storagePools.list(n.name)) {
      storagePools.push({ node: n.name, name: sp.name, provider: sp.provider, totalBytes: sp.totalBytes ?? null, freeBytes: sp.freeBytes ?? null, props: sp.props });
    }
  }
  const sizeOf = new Map<string, number>();
  for (const vd of await catalog.resources.listVolumeDefinitions()) sizeOf.set(vd.resource, (sizeOf.get(vd.resource) ?? 0) + vd.sizeBytes);
  const resources: PlacedResource[] = (await catalog.resources.list()).map((r) => ({
    resource: r.resource,
    node: r.node,
    storagePool: r.storagePool,
    diskless: r.flags.includes('DISKLESS'),
    sizeBytes: sizeOf.get(r.resource) ?? 0,
    flags: r.flags,
  }));
  const rows = await catalog.db.all<{ key: string; value: string }>(`SELECT key, value FROM controller_props`);
  return {
    nodes: nodes.map((n) => ({ name: n.name, online: connectionStatus(n, t, offlineAfterMs) === 'ONLINE', flags: n.flags, props: n.props })),
    storagePools,
    resources,
    controllerProps: Object.fromEntries(rows.map((r) => [String(r.key), String(r.value)])),
  };
}

/**
 * Runs the autoplacer on the catalog's current state. Throws core/errors' PlacementError (with
 * its constraint-by-constraint explanation) or ValidationError: the REST API answers them as they
 * are (422 / 400); activities turn them into failures with `asFailure`.
 */
export async function planPlacement(catalog: Catalog, request: PlacementRequest, t: number, offlineAfterMs: number): Promise<PlacementResult> {
  const view = await placementCluster(catalog, t, offlineAfterMs);
  // ferry does not turn a diskless replica into a diskful one (LINSTOR's toggle-disk): such
  // nodes are left out, and the explanation says so when that is what makes placement fail
  const disklessHolders = view.resources.filter((r) => r.resource === request.resource && r.diskless).map((r) => r.node);
  const req = disklessHolders.length ? { ...request, excludeNodes: [...(request.excludeNodes ?? []), ...disklessHolders] } : request;
  return placeReplicas(req, prepareCluster(view));
}

/** A FerryError as a Temporal ApplicationFailure of its type (non-retryable for bad input and placement). */
export function asFailure(e: unknown): unknown {
  if (!(e instanceof FerryError)) return e;
  return ApplicationFailure.create({ type: e.name, message: e.message, nonRetryable: !e.retryable, details: [e.toDetails()] });
}

// ---------------------------------------------------------------------------------------------
// The earlier candidate-list interface, kept for callers written against it (evacuation): the
// same autoplacer underneath, on a cluster made of the candidates alone. New code: planPlacement.

export interface PlacementCandidate {
  node: string;
  storagePool: string;
  online: boolean;
  freeBytes: number;
  /** the node already has a replica of the resource */
  hasResource: boolean;
}

/** Every (node, diskful pool) of the cluster as the placement sees it. */
export async function placementCandidates(catalog: Catalog, resource: string, t: number, offlineAfterMs: number): Promise<PlacementCandidate[]> {
  const have = new Set((await catalog.resources.list({ resource })).map((r) => r.node));
  const candidates: PlacementCandidate[] = [];
  for (const n of await catalog.nodes.list()) {
    const online = connectionStatus(n, t, offlineAfterMs) === 'ONLINE' && !n.flags.includes('EVICTED') && !n.flags.includes('EVACUATE');
    for (const sp of await catalog.storagePools.list(n.name)) {
      candidates.push({ node: n.name, storagePool: sp.name, online, freeBytes: sp.freeBytes ?? 0, hasResource: have.has(n.name) });
    }
  }
  return candidates;
}

/** `count` more diskful replicas among `candidates`; throws a non-retryable PlacementError failure. */
export function placeReplicasAmong(req: { resource: string; count: number; sizeBytes: number; storagePool?: string; existing: number; candidates: PlacementCandidate[] }): { node: string; storagePool: string }[] {
  const nodes = [...new Map(req.candidates.map((c) => [c.node, { name: c.node, online: c.online }])).values()];
  const cluster: PlacementCluster = {
    nodes,
    storagePools: req.candidates.filter((c) => c.storagePool !== 'DfltDisklessStorPool').map((c) => ({ node: c.node, name: c.storagePool, provider: 'LVM_THIN', freeBytes: c.freeBytes, totalBytes: c.freeBytes })),
    resources: [...new Set(req.candidates.filter((c) => c.hasResource).map((c) => c.node))].map((node) => ({ resource: req.resource, node, sizeBytes: 0 })),
  };
  try {
    const r = placeReplicas({ resource: req.resource, additional: req.count, sizeBytes: req.sizeBytes, ...(req.storagePool ? { storagePools: [req.storagePool] } : {}) }, cluster);
    return r.diskful.map((c) => ({ node: c.node, storagePool: c.storagePool }));
  } catch (e) {
    throw asFailure(e);
  }
}
