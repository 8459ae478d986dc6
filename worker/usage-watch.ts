// The agent's watch of its host's LVM usage: `lvs` every `intervalMs` (and right after an activity
// of this agent ran, which may have changed LVs), reported to the controller when a figure changed
// or every `resendEvery` periods. Each report is a full picture, so a restarted agent or controller
// is whole again with the next one.
import type { ActivityInboundCallsInterceptor, ActivityInterceptorsFactory } from '@temporalio/worker';
import { shouldSendUsage, usageFromLvs, usageKey, type UsageSendState } from '../core/host-usage.js';
import { listLogicalVolumes } from '../activities/node/host/lvm.js';
import { transportFromEnv } from '../client/transport.js';
import { reportToController } from './report.js';
import type { Logger } from './logger.js';

const POKE_DELAY_MS = 200;

export interface UsageWatch {
  /** Read the usage soon (an activity may have changed LVs) instead of at the next period. */
  poke(): void;
  stop(): void;
}

export function startUsageWatch(o: { node: string; startedAt: number; controllers: string[]; intervalMs: number; resendEvery: number; log: Logger }): UsageWatch {
  const transport = transportFromEnv();
  const state: UsageSendState = { lastKey: '', periodsSince: 0 };
  let timer: NodeJS.Timeout | undefined;
  let nextAt = Infinity;
  let running = false;
  let again = false;
  let stopped = false;
  let lastProblem = '';
  /** Runs the next read in `ms` unless one is due sooner. */
  const schedule = (ms: number) => {
    if (stopped || Date.now() + ms >= nextAt) return;
    clearTimeout(timer);
    nextAt = Date.now() + ms;
    timer = setTimeout(() => void tick(), ms);
  };

  const send = (body: unknown): Promise<string> =>
    reportToController({ controllers: o.controllers, path: `/v1/internal/agents/${encodeURIComponent(o.node)}/usage`, body, timeoutMs: Math.max(1000, o.intervalMs), transport });

  const tick = async () => {
    nextAt = Infinity;
    if (running) {
      again = true;
      return;
    }
    running = true;
    let problem = '';
    try {
      const usage = usageFromLvs(await listLogicalVolumes(), o.startedAt, Date.now());
      const key = usageKey(usage);
      if (shouldSendUsage(state, key, o.resendEvery)) {
        problem = await send(usage);
        // not taken: the next period sends it again, whatever it holds
        if (problem) state.lastKey = '';
        else Object.assign(state, { lastKey: key, periodsSince: 0 });
      } else {
        state.periodsSince++;
      }
    } catch (e) {
      problem = `lvs: ${(e as Error).message}`;
    }
    if (problem !== lastProblem) {
      if (problem) o.log.warn({ problem }, 'LVM usage not reported; retrying');
      else o.log.info('reporting LVM usage to the controller');
      lastProblem = problem;
    }
    running = false;
    schedule(again ? 0 : o.intervalMs);
    again = false;
  };
  schedule(0);
  return {
    // activities come in bursts (a create runs several): one read shortly after, not one each
    poke: () => schedule(POKE_DELAY_MS),
    stop: () => {
      stopped = true;
      clearTimeout(timer);
    },
  };
}

/** Pokes the watch after every activity of this agent, failed or not. */
export function usageWatchInterceptor(watch: () => UsageWatch | undefined): ActivityInterceptorsFactory {
  return () => {
    const inbound: ActivityInboundCallsInterceptor = {
      async execute(input, next) {
        try {
          return await next(input);
        } finally {
          watch()?.poke();
        }
      },
    };
    return { inbound };
  };
}
