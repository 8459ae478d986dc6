// Checks the operator's stories share: which LVs a simulated node has, where each resource has
// replicas, that the data verifies on every replica, a command that must have succeeded, a
// Temporal Schedule's run triggered now, and what a /metrics endpoint says.
import { expect } from '@jest/globals';
import { Client as TemporalClient, Connection, type Client } from '@temporalio/client';
import { Worker } from '@temporalio/worker';
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import type { TestCluster } from './cluster.js';
import { agentMetricsPortFile } from '../../sim/launcher.js';

/** The names of the thin LVs (volumes and snapshots) on a simulated node, sorted. */
export async function lvNames(cluster: TestCluster, node: string): Promise<string[]> {
  const r = await cluster.sim(['state', node]);
  const s = JSON.parse(String(r.stdout)) as { thinVolumes: Record<string, unknown> };
  return Object.keys(s.thinVolumes).map((k) => k.split('/')[1]!).filter((n) => /_\d{5}/.test(n)).sort();
}

/** resource -> the nodes that have a replica of it (sorted), from the catalog. */
export async function placement(cluster: TestCluster): Promise<Record<string, string[]>> {
  const out: Record<string, string[]> = {};
  for (const r of await cluster.client.resources.list()) (out[r.name] ??= []).push(r.node_name);
  for (const k of Object.keys(out)) out[k]!.sort();
  return out;
}

/** The pattern written to `resource` reads back on every node that has a replica. */
export async function verifyEverywhere(cluster: TestCluster, resource: string, pattern: string, length: string): Promise<void> {
  const where = (await placement(cluster))[resource] ?? [];
  expect(where.length).toBeGreaterThan(0);
  for (const n of where) {
    const r = await cluster.sim(['io', 'verify', '--node', n, '--resource', resource, '--pattern', pattern, '--length', length]);
    expect({ resource, n, code: r.exitCode, err: r.stderr }).toEqual({ resource, n, code: 0, err: '' });
  }
}

/** Throws with the command's output unless it exited 0. */
export function ok(r: { exitCode?: number; stderr: unknown; stdout?: unknown }): void {
  if (r.exitCode !== 0) throw new Error(`exit code ${r.exitCode}: ${String(r.stderr)}${String(r.stdout ?? '')}`);
}

/**
 * Triggers a Temporal Schedule now and resolves with the result of the run it starts; `onStarted`
 * gets that run's workflow id as soon as it is known (to act while it runs).
 */
export async function triggerSchedule<T>(cluster: TestCluster, temporal: Client, scheduleId: string, onStarted?: (workflowId: string) => Promise<void>): Promise<T> {
  const handle = temporal.schedule.getHandle(scheduleId);
  const before = (await handle.describe()).info.recentActions.length;
  await handle.trigger();
  let workflowId = '';
  await cluster.eventually('the triggered run started', async () => {
    const d = await handle.describe();
    if (d.info.recentActions.length <= before) return false;
    workflowId = d.info.recentActions.at(-1)!.action.workflow.workflowId;
    return true;
  }, 30_000);
  if (onStarted) await onStarted(workflowId);
  return temporal.workflow.getHandle(workflowId).result() as Promise<T>;
}

/** The Prometheus text of a /metrics endpoint (which must answer 200). */
/**
 * Replays a closed workflow's history against this build's workflow bundle, as a worker does after a
 * restart or when its cache lost the run: throws on a nondeterminism error.
 */
export async function replayOf(cluster: TestCluster, workflowId: string): Promise<void> {
  const connection = await Connection.connect({ address: cluster.env.temporalAddress });
  try {
    const history = await new TemporalClient({ connection, namespace: cluster.env.namespace }).workflow.getHandle(workflowId).fetchHistory();
    await Worker.runReplayHistory({ workflowBundle: { codePath: join(process.cwd(), 'dist', 'workflow-bundle.js') } }, history, workflowId);
  } finally {
    await connection.close();
  }
}

export async function scrapeMetrics(url: string): Promise<string> {
  const res = await fetch(url);
  expect(res.status).toBe(200);
  return res.text();
}

/** The /metrics URL of a simulated node's agent (its port announced in the cluster's log dir). */
export function agentMetricsUrl(cluster: TestCluster, node: string): string {
  return `http://127.0.0.1:${readFileSync(agentMetricsPortFile(cluster.env, node), 'utf8').trim()}/metrics`;
}

/** The value of the first `name{...}` line whose labels include `labels`, or undefined. */
export function metricValue(text: string, name: string, labels: Record<string, string>): number | undefined {
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`)) continue;
    const body = line.slice(name.length + 1, line.indexOf('}'));
    if (Object.entries(labels).every(([k, v]) => body.includes(`${k}="${v}"`))) return Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return undefined;
}
