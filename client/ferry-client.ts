// FerryClient: the typed SDK for other services. Reads return data; mutations return an
// Operation (a Temporal workflow run by the controller) with result() and progress().
import type { NodeJson } from '../api/linstor-shapes.js';

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

export interface FerryClientOptions {
  /** REST endpoints of the controllers; the first that answers is used. */
  controllers: string[];
  timeoutMs?: number;
}

export class FerryClient {
  private readonly controllers: string[];
  private readonly timeoutMs: number;

  constructor(opts: FerryClientOptions) {
    if (!opts.controllers.length) throw new Error('FerryClient needs at least one controller URL');
    this.controllers = opts.controllers.map((c) => c.replace(/\/+$/, ''));
    this.timeoutMs = opts.timeoutMs ?? 10 * 60_000;
  }

  async request<T>(method: string, path: string, body?: unknown): Promise<T> {
    let lastError = '';
    for (const base of this.controllers) {
      let res: Response;
      try {
        res = await fetch(`${base}${path}`, {
          method,
          headers: body === undefined ? {} : { 'content-type': 'application/json' },
          body: body === undefined ? undefined : JSON.stringify(body),
          signal: AbortSignal.timeout(this.timeoutMs),
        });
      } catch (e) {
        lastError = `${base}: ${(e as Error).cause instanceof Error ? ((e as Error).cause as Error).message : (e as Error).message}`;
        continue;
      }
      const text = await res.text();
      const data: unknown = text ? JSON.parse(text) : undefined;
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
}
