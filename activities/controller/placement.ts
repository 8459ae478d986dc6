// Placement of new diskful replicas from catalog state.
//
// TODO(engineer C): core/autoplacer.ts had not landed when this was written; this adapter keeps
// the controller's side (candidates from the catalog, a PlacementError with its funnel) and
// uses a minimal rule until it is replaced by the shared autoplacer: online nodes that have the
// storage pool, without the resource, with enough free space, most free space first.
import { ApplicationFailure } from '@temporalio/activity';
import { formatPlacementExplanation, type PlacementExplanation, type PlacementStep } from '../../core/errors.js';

export interface PlacementCandidate {
  node: string;
  storagePool: string;
  online: boolean;
  freeBytes: number;
  /** the node already has a replica of the resource */
  hasResource: boolean;
}

export interface PlacementRequest {
  resource: string;
  count: number;
  sizeBytes: number;
  storagePool?: string;
  existing: number;
  candidates: PlacementCandidate[];
}

/** The chosen (node, pool) pairs, one per node; throws a non-retryable PlacementError. */
export function placeReplicas(req: PlacementRequest): { node: string; storagePool: string }[] {
  const steps: PlacementStep[] = [];
  const nodesOf = (cs: PlacementCandidate[]) => new Set(cs.map((c) => c.node)).size;
  let cs = req.candidates.filter((c) => c.storagePool !== 'DfltDisklessStorPool');
  const step = (constraint: string, keep: (c: PlacementCandidate) => boolean, why: (c: PlacementCandidate) => string) => {
    const rejected = cs.filter((c) => !keep(c)).map(why);
    cs = cs.filter(keep);
    steps.push({ constraint, nodesLeft: nodesOf(cs), ...(rejected.length ? { rejected: [...new Set(rejected)].slice(0, 5) } : {}) });
  };
  steps.push({ constraint: 'nodes with a diskful storage pool', nodesLeft: nodesOf(cs) });
  step('online', (c) => c.online, (c) => `${c.node}: offline`);
  if (req.storagePool) step(`with storage pool '${req.storagePool}'`, (c) => c.storagePool === req.storagePool, (c) => `${c.node}: no pool '${req.storagePool}'`);
  step('without the resource', (c) => !c.hasResource, (c) => `${c.node}: has it`);
  step(`free space >= ${req.sizeBytes} bytes`, (c) => c.freeBytes >= req.sizeBytes, (c) => `${c.node}/${c.storagePool}: ${c.freeBytes} bytes free`);
  const best = new Map<string, PlacementCandidate>();
  for (const c of cs) {
    const b = best.get(c.node);
    if (!b || c.freeBytes > b.freeBytes) best.set(c.node, c);
  }
  const ranked = [...best.values()].sort((a, b) => b.freeBytes - a.freeBytes || a.node.localeCompare(b.node));
  if (ranked.length < req.count) {
    const explanation: PlacementExplanation = { resource: req.resource, needed: req.count, existing: req.existing, steps };
    throw ApplicationFailure.create({ type: 'PlacementError', nonRetryable: true, message: formatPlacementExplanation(explanation), details: [{ kind: 'placement', explanation }] });
  }
  return ranked.slice(0, req.count).map((c) => ({ node: c.node, storagePool: c.storagePool }));
}
