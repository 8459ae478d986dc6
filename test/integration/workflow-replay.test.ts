// Upgrades keep running workflows alive: histories recorded by an older ferry (test/fixtures/
// histories/, made by the build of 8381c3d: r create --auto-place 2, r create on two nodes, an
// evacuation of node2 with two resources, r delete) replay without a nondeterminism error against
// today's workflow bundle. A change to a workflow's commands that is not behind patched() fails here
// (checked: withResourceLock without its patch fails all four). Made with scripts/capture-histories.ts.
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import protoPkg from '@temporalio/proto';
import { Worker } from '@temporalio/worker';
import { REPO_ROOT } from '../../scripts/stack.js';

const { temporal } = protoPkg;
const dir = join(REPO_ROOT, 'test', 'fixtures', 'histories');
const files = readdirSync(dir).filter((f) => f.endsWith('.pb')).sort();

describe('workflow histories of an older ferry replay against this build', () => {
  it('has histories of every workflow changed since (createResource, evacuateNode, deleteResource)', () => {
    const types = new Set(files.map((f) => f.split('-')[0]));
    expect([...types].sort()).toEqual(['createResource', 'deleteResource', 'evacuateNode']);
  });

  it.each(files)('%s replays deterministically', async (file) => {
    const history = temporal.api.history.v1.History.decode(readFileSync(join(dir, file)));
    const started = history.events?.[0]?.workflowExecutionStartedEventAttributes;
    expect(started?.workflowType?.name).toBe(file.split('-')[0]);
    await Worker.runReplayHistory({ workflowBundle: { codePath: join(REPO_ROOT, 'dist', 'workflow-bundle.js') } }, history, file);
  }, 60_000);
});
