// The agent's reports to the controller (heartbeat, LVM usage): a POST to the first controller that
// takes it, over the authenticated internal path (FERRY_API_TOKEN, FERRY_CA_FILE through `transport`).
import { httpCall, type transportFromEnv } from '../client/transport.js';

/** POSTs `body` to `path` of each controller in turn until one takes it; '' then, else the last problem. */
export async function reportToController(o: { controllers: string[]; path: string; body: unknown; timeoutMs: number; transport: ReturnType<typeof transportFromEnv> }): Promise<string> {
  let problem = '';
  for (const base of o.controllers) {
    try {
      const res = await httpCall(`${base}${o.path}`, { method: 'POST', body: o.body, timeoutMs: o.timeoutMs, ...o.transport });
      if (res.ok) return '';
      problem = `${base}: HTTP ${res.status} ${apiMessage(res.text) ?? ''}`.trim();
    } catch (e) {
      problem = `${base}: ${(e as Error).message}`;
    }
  }
  return problem;
}

/** The message of a LINSTOR-shaped error answer, if the body is one. */
function apiMessage(text: string): string | undefined {
  try {
    const data = JSON.parse(text) as unknown;
    const rc = (Array.isArray(data) ? data[0] : data) as { message?: unknown } | undefined;
    return typeof rc?.message === 'string' ? rc.message : undefined;
  } catch {
    return undefined;
  }
}
