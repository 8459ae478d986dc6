// ferry's error vocabulary, shared by the CLI, the REST API, the SDK, workflows and activities.
//
// Every error ferry raises on purpose is a FerryError with a `kind`. One table (errorKinds) maps
// a kind to the CLI exit code (LINSTOR client's ExitCode values), the HTTP status of the REST API
// and whether Temporal should retry it. Workflows and activities throw
// ApplicationFailure.create({ type: err.name, message, details: [err.toDetails()],
// nonRetryable: !errorKinds[err.kind].retryable }); retry policies list
// `nonRetryableErrorTypes`. The type string is the class name, so `errorKindOfType(type)`
// and `errorFromFailure(...)` turn a failure back into the same error on the client side.
//
// Pure module: no imports, safe in bundled workflow code.

export type ErrorKind =
  | 'validation'
  | 'not-found'
  | 'conflict'
  | 'placement'
  | 'unavailable'
  | 'host-command'
  | 'internal';

export interface ErrorKindInfo {
  /** The class name used as ApplicationFailure.type for this kind. */
  readonly type: string;
  /** Exit code of the `ferry` CLI (LINSTOR client's ExitCode values where one fits). */
  readonly exitCode: number;
  /** Status code of the REST API. */
  readonly httpStatus: number;
  /** Whether Temporal should retry an activity/workflow that failed with this kind. */
  readonly retryable: boolean;
}

/** kind -> exit code / HTTP status / retryable. The one place these decisions live. */
export const errorKinds: Readonly<Record<ErrorKind, ErrorKindInfo>> = {
  // bad input: argparse error in LINSTOR's client; never retried, nothing changed
  validation: { type: 'ValidationError', exitCode: 2, httpStatus: 400, retryable: false },
  // OBJECT_NOT_FOUND
  'not-found': { type: 'NotFoundError', exitCode: 3, httpStatus: 404, retryable: false },
  // already exists / in use: ILLEGAL_STATE
  conflict: { type: 'ConflictError', exitCode: 5, httpStatus: 409, retryable: false },
  // the cluster cannot satisfy the placement now: API_ERROR; the caller (e.g. auto-evict) decides when to try again
  placement: { type: 'PlacementError', exitCode: 10, httpStatus: 422, retryable: false },
  // a node's agent is not reachable: NO_SATELLITE_CONNECTION; transient
  unavailable: { type: 'UnavailableError', exitCode: 11, httpStatus: 503, retryable: true },
  // a host command failed (class lives in activities/node/host/run.ts); retried, activities are idempotent
  'host-command': { type: 'HostCommandError', exitCode: 10, httpStatus: 502, retryable: true },
  // anything else: UNKNOWN_ERROR; Temporal's default is to retry
  internal: { type: 'InternalError', exitCode: 1, httpStatus: 500, retryable: true },
};

/** ApplicationFailure types that retry policies must not retry (`nonRetryableErrorTypes`). */
export const nonRetryableErrorTypes: readonly string[] = Object.values(errorKinds)
  .filter((k) => !k.retryable)
  .map((k) => k.type);

/** JSON-safe payload of an error: goes into ApplicationFailure details and REST error bodies. */
export interface ErrorDetails {
  readonly kind: ErrorKind;
  readonly [key: string]: unknown;
}

export abstract class FerryError extends Error {
  abstract readonly kind: ErrorKind;

  get exitCode(): number {
    return errorKinds[this.kind].exitCode;
  }

  get httpStatus(): number {
    return errorKinds[this.kind].httpStatus;
  }

  get retryable(): boolean {
    return errorKinds[this.kind].retryable;
  }

  /** JSON-safe details (for ApplicationFailure details[0] and REST bodies). */
  toDetails(): ErrorDetails {
    return { kind: this.kind };
  }
}

export interface FieldIssue {
  /** Dotted path of the offending input field, e.g. `autoPlace.replicasOnSame[0]`. */
  readonly field: string;
  readonly message: string;
}

/** Bad input. `field` names the (first) offending input, `message` says what is allowed. */
export class ValidationError extends FerryError {
  readonly kind = 'validation' as const;
  readonly field: string;
  /** Every problem found, the first one is `field` / the message. */
  readonly issues: readonly FieldIssue[];

  constructor(field: string, message: string, issues?: readonly FieldIssue[]) {
    super(field ? `${field}: ${message}` : message);
    this.name = 'ValidationError';
    this.field = field;
    this.issues = issues && issues.length > 0 ? issues : [{ field, message }];
    if (this.issues.length > 1) {
      this.message = this.issues.map((i) => (i.field ? `${i.field}: ${i.message}` : i.message)).join('; ');
    }
  }

  override toDetails(): ErrorDetails {
    return { kind: this.kind, field: this.field, issues: this.issues.map((i) => ({ ...i })) };
  }
}

/** LINSTOR's object types, as words used in messages ("resource definition 'db0' not found"). */
export type ObjectType =
  | 'node'
  | 'storage pool'
  | 'resource group'
  | 'volume group'
  | 'resource definition'
  | 'volume definition'
  | 'resource'
  | 'volume'
  | 'snapshot'
  | 'remote'
  | 'backup'
  | 'schedule'
  | 'property'
  | 'key-value store'
  | 'workflow';

export class NotFoundError extends FerryError {
  readonly kind = 'not-found' as const;
  readonly objectType: ObjectType;
  readonly objectName: string;

  constructor(objectType: ObjectType, objectName: string, message?: string) {
    super(message ?? `${objectType} '${objectName}' not found`);
    this.name = 'NotFoundError';
    this.objectType = objectType;
    this.objectName = objectName;
  }

  override toDetails(): ErrorDetails {
    return { kind: this.kind, objectType: this.objectType, objectName: this.objectName };
  }
}

export type ConflictReason = 'exists' | 'in-use' | 'state';

/** The object already exists, is in use, or is in a state that forbids the operation. */
export class ConflictError extends FerryError {
  readonly kind = 'conflict' as const;
  readonly objectType: ObjectType;
  readonly objectName: string;
  readonly reason: ConflictReason;

  constructor(objectType: ObjectType, objectName: string, reason: ConflictReason, message?: string) {
    super(
      message ??
        (reason === 'exists'
          ? `${objectType} '${objectName}' already exists`
          : reason === 'in-use'
            ? `${objectType} '${objectName}' is in use`
            : `${objectType} '${objectName}' is not in a state that allows this`),
    );
    this.name = 'ConflictError';
    this.objectType = objectType;
    this.objectName = objectName;
    this.reason = reason;
  }

  override toDetails(): ErrorDetails {
    return { kind: this.kind, objectType: this.objectType, objectName: this.objectName, reason: this.reason };
  }
}

/** One step of the autoplacer's funnel: how many candidates were left after a constraint. */
export interface PlacementStep {
  /** e.g. `online`, `storage-pool 'pool1'`, `free space >= 64 MiB`, `replicas-on-different Aux/rack` */
  readonly constraint: string;
  /** number of candidate nodes left after this step */
  readonly nodesLeft: number;
  /** examples of nodes this step removed and why, e.g. `node3: 10 MiB free` */
  readonly rejected?: readonly string[];
}

export interface PlacementExplanation {
  readonly resource?: string;
  /** diskful replicas the request needed to add */
  readonly needed: number;
  /** diskful replicas that already existed and count towards the place count */
  readonly existing: number;
  readonly steps: readonly PlacementStep[];
  /** a final remark, e.g. what the replicas-on-* search tried */
  readonly note?: string;
}

/** The autoplacer could not satisfy the request; `explanation` says which constraint left how many candidates. */
export class PlacementError extends FerryError {
  readonly kind = 'placement' as const;
  readonly explanation: PlacementExplanation;

  constructor(explanation: PlacementExplanation, message?: string) {
    super(message ?? formatPlacementExplanation(explanation));
    this.name = 'PlacementError';
    this.explanation = explanation;
  }

  override toDetails(): ErrorDetails {
    return { kind: this.kind, explanation: this.explanation };
  }
}

/**
 * One line for humans: the first step, then only the steps that removed nodes, up to the first
 * that left none. The full funnel stays in `explanation.steps`.
 */
export function formatPlacementExplanation(e: PlacementExplanation): string {
  const what = e.resource ? ` for '${e.resource}'` : '';
  const head =
    e.existing > 0
      ? `Not enough available nodes${what}: needed ${e.needed} more node${e.needed === 1 ? '' : 's'} (${e.existing} already placed)`
      : `Not enough available nodes${what}: needed ${e.needed} node${e.needed === 1 ? '' : 's'}`;
  const parts: string[] = [];
  let prev: number | undefined;
  for (const s of e.steps) {
    if (prev !== undefined && s.nodesLeft >= prev) continue;
    const rej = s.rejected && s.rejected.length > 0 ? ` (${s.rejected.join(', ')})` : '';
    parts.push(`${s.nodesLeft} ${s.constraint}${rej}`);
    prev = s.nodesLeft;
    if (s.nodesLeft === 0) break;
  }
  // the funnel reads from all nodes down: "needed 3 nodes; 4 nodes, 2 online (...)"; a funnel that
  // removed nobody is just too few nodes: "needed 9 nodes; only 4 nodes" (or says nothing when the note explains)
  const funnel = parts.length !== 1 ? parts.join(', ') : e.steps[0]!.nodesLeft < e.needed ? `only ${parts[0]}` : '';
  return (funnel ? `${head}; ${funnel}` : head) + (e.note ? `; ${e.note}` : '');
}

/** A node's agent cannot be reached (OFFLINE); the operation may succeed later. */
export class UnavailableError extends FerryError {
  readonly kind = 'unavailable' as const;
  readonly node: string;

  constructor(node: string, message?: string) {
    super(message ?? `node '${node}' is not reachable`);
    this.name = 'UnavailableError';
    this.node = node;
  }

  override toDetails(): ErrorDetails {
    return { kind: this.kind, node: this.node };
  }
}

/** A bug or an unexpected state; retried by default. */
export class InternalError extends FerryError {
  readonly kind = 'internal' as const;

  constructor(message: string) {
    super(message);
    this.name = 'InternalError';
  }
}

/**
 * A failure that crossed a boundary and has no richer class here (HostCommandError lives with
 * the node activities; unknown types are `internal`). Keeps the original type as `name`.
 */
export class RemoteFailureError extends FerryError {
  readonly kind: ErrorKind;
  readonly details: unknown;

  constructor(kind: ErrorKind, type: string, message: string, details?: unknown) {
    super(message);
    this.kind = kind;
    this.name = type;
    this.details = details;
  }
}

const kindByType: ReadonlyMap<string, ErrorKind> = new Map(
  (Object.keys(errorKinds) as ErrorKind[]).map((k) => [errorKinds[k].type, k]),
);

/** The kind for an ApplicationFailure type (class name); unknown types are `internal`. */
export function errorKindOfType(type: string | undefined | null): ErrorKind {
  return (type && kindByType.get(type)) || 'internal';
}

export function isFerryError(e: unknown): e is FerryError {
  return e instanceof FerryError;
}

/**
 * The kind of any thrown value: a FerryError, something carrying `kind` (rehydrated details),
 * or something carrying `type` / `name` (an ApplicationFailure, a HostCommandError).
 * Walks `cause` chains (ActivityFailure -> ApplicationFailure) up to a few levels.
 */
export function errorKindOf(e: unknown): ErrorKind {
  let cur: unknown = e;
  for (let depth = 0; depth < 5 && cur && typeof cur === 'object'; depth++) {
    if (cur instanceof FerryError) return cur.kind;
    const o = cur as { kind?: unknown; type?: unknown; name?: unknown; cause?: unknown };
    if (typeof o.kind === 'string' && o.kind in errorKinds) return o.kind as ErrorKind;
    if (typeof o.type === 'string' && kindByType.has(o.type)) return kindByType.get(o.type)!;
    if (typeof o.name === 'string' && kindByType.has(o.name)) return kindByType.get(o.name)!;
    cur = o.cause;
  }
  return 'internal';
}

/** Exit code for the CLI, for any thrown value. */
export function exitCodeOf(e: unknown): number {
  return errorKinds[errorKindOf(e)].exitCode;
}

/** HTTP status for the REST API, for any thrown value. */
export function httpStatusOf(e: unknown): number {
  return errorKinds[errorKindOf(e)].httpStatus;
}

/**
 * Rebuilds a FerryError from what crossed a Temporal boundary (ApplicationFailure type, message
 * and details[0]) or a REST error body. Unknown types give an InternalError with the message.
 */
export function errorFromFailure(type: string, message: string, details?: unknown): FerryError {
  const d = (details && typeof details === 'object' ? details : {}) as Record<string, unknown>;
  const str = (v: unknown, dflt: string): string => (typeof v === 'string' ? v : dflt);
  switch (errorKindOfType(type)) {
    case 'validation': {
      const issues = Array.isArray(d.issues)
        ? (d.issues as unknown[])
            .filter((i): i is { field: unknown; message: unknown } => !!i && typeof i === 'object')
            .map((i) => ({ field: str(i.field, ''), message: str(i.message, '') }))
        : undefined;
      const err = new ValidationError(str(d.field, ''), message, issues);
      err.message = message;
      return err;
    }
    case 'not-found':
      return new NotFoundError(str(d.objectType, 'resource') as ObjectType, str(d.objectName, ''), message);
    case 'conflict':
      return new ConflictError(
        str(d.objectType, 'resource') as ObjectType,
        str(d.objectName, ''),
        str(d.reason, 'state') as ConflictReason,
        message,
      );
    case 'placement': {
      const ex = (d.explanation && typeof d.explanation === 'object'
        ? d.explanation
        : { needed: 0, existing: 0, steps: [] }) as PlacementExplanation;
      return new PlacementError(ex, message);
    }
    case 'unavailable':
      return new UnavailableError(str(d.node, ''), message);
    default:
      return new RemoteFailureError(errorKindOfType(type), type || 'InternalError', message, details);
  }
}
