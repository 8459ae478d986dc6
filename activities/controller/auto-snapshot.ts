// Controller activities of AutoSnapshot: the reconcile that gives every resource definition with
// DrbdOptions/AutoSnapshot/RunEvery in effect (rd > rg) one Temporal Schedule `auto-snapshot/<rsc>`
// firing every RunEvery minutes (and none to any other), and what a firing needs: the settings,
// the next snapshot name and the automatic snapshots that exist.
import { Context } from '@temporalio/activity';
import { ScheduleAlreadyRunning, ScheduleNotFoundError, ScheduleOverlapPolicy, type Client } from '@temporalio/client';
import type { Catalog } from '../../catalog/index.js';
import { AUTO_SNAPSHOT_SCHEDULE_PREFIX, autoSnapshotIds, autoSnapshotSettings, isAutoSnapshot, nextAutoSnapshotName, type AutoSnapshotSettings } from '../../core/auto-snapshot.js';
import { operationMetadata } from '../../core/operations.js';

/** A snapshot still being taken when the next one is due: the next one is skipped; firings missed while Temporal was down: only the last one within 10 minutes runs. */
export const AUTO_SNAPSHOT_POLICIES = { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: '10 minutes' } as const;

export interface AutoSnapshotTarget {
  settings: AutoSnapshotSettings;
  /** the name the next automatic snapshot gets */
  next: string;
  /** the automatic snapshots of the resource now (by holder), oldest first */
  auto: { name: string; createdAt: number }[];
}

export function createAutoSnapshotActivities(deps: { catalog: Catalog; temporal?: () => Client }) {
  const { catalog } = deps;
  const temporal = deps.temporal ?? (() => Context.current().client);

  async function settingsOf(resource: string): Promise<AutoSnapshotSettings | null> {
    const rd = await catalog.resources.getDefinition(resource);
    if (!rd) return null;
    const rg = await catalog.resourceGroups.get(rd.resourceGroup);
    return autoSnapshotSettings({ 'resource-definition': rd.props, 'resource-group': rg?.props });
  }

  return {
    /**
     * Makes Temporal's `auto-snapshot/*` Schedules match the catalog: created or updated in place
     * (keeping a pause made in the Web UI) for each resource definition with RunEvery in effect,
     * deleted for any other. Idempotent.
     */
    async autoSnapshotReconcile(_input: Record<string, never> = {}): Promise<{ created: string[]; updated: string[]; deleted: string[] }> {
      const client = temporal();
      const taskQueue = Context.current().info.taskQueue;
      const desired = new Map<string, { rsc: string; minutes: number; keep: number; from: string }>();
      for (const rd of await catalog.resources.listDefinitions()) {
        const s = await settingsOf(rd.name);
        if (s?.runEveryMinutes) desired.set(autoSnapshotIds.schedule(rd.name), { rsc: rd.name, minutes: s.runEveryMinutes, keep: s.keep, from: s.from ?? '' });
      }
      const existing = new Set<string>();
      for await (const s of client.schedule.list()) if (s.scheduleId.startsWith(AUTO_SNAPSHOT_SCHEDULE_PREFIX)) existing.add(s.scheduleId);
      const report = { created: [] as string[], updated: [] as string[], deleted: [] as string[] };
      for (const id of [...new Set([...existing, ...desired.keys()])].sort()) {
        const handle = client.schedule.getHandle(id);
        const want = desired.get(id);
        if (!want) {
          await handle.delete().catch((e: unknown) => { if (!(e instanceof ScheduleNotFoundError)) throw e; });
          report.deleted.push(id);
          continue;
        }
        const spec = { intervals: [{ every: `${want.minutes} minutes` as const }] };
        const action = { type: 'startWorkflow' as const, workflowType: 'autoSnapshotRun', taskQueue, workflowId: autoSnapshotIds.run(want.rsc), args: [{ resource: want.rsc }],
          ...operationMetadata('autoSnapshotRun', autoSnapshotIds.run(want.rsc), { Resource: want.rsc }) };
        if (!existing.has(id)) {
          try {
            await client.schedule.create({
              scheduleId: id, spec, action, policies: { ...AUTO_SNAPSHOT_POLICIES },
              state: { note: `ferry: AutoSnapshot of '${want.rsc}' every ${want.minutes} minute(s) (RunEvery from the ${want.from}), keeping ${want.keep}` },
            });
            report.created.push(id);
            continue;
          } catch (e) {
            if (!(e instanceof ScheduleAlreadyRunning)) throw e;
          }
        }
        await handle.update((prev) => ({ ...prev, spec, action, policies: { ...prev.policies, ...AUTO_SNAPSHOT_POLICIES } }));
        report.updated.push(id);
      }
      return report;
    },

    /** What a firing needs; null when the resource definition is gone or RunEvery is no longer in effect. */
    async autoSnapshotTarget(input: { resource: string }): Promise<AutoSnapshotTarget | null> {
      const settings = await settingsOf(input.resource);
      if (!settings?.runEveryMinutes) return null;
      const snaps = await catalog.snapshots.list({ resource: input.resource });
      return {
        settings,
        next: nextAutoSnapshotName(snaps.map((s) => s.name)),
        auto: snaps.filter((s) => isAutoSnapshot(input.resource, s.holder) && s.state === 'Successful').map((s) => ({ name: s.name, createdAt: s.createdAt })),
      };
    },
  };
}

export type AutoSnapshotControllerActivities = ReturnType<typeof createAutoSnapshotActivities>;
