// Progress reporting for workflows: answers the `progress` query with core/progress's shape and
// mirrors the phase into the Web UI's "current details" (setCurrentDetails, SDK >= 1.24).
import { defineQuery, setCurrentDetails, setHandler } from '@temporalio/workflow';
import { formatProgressLine, PROGRESS_QUERY, type OperationProgress } from '../core/progress.js';

export const progressQuery = defineQuery<OperationProgress>(PROGRESS_QUERY);

export interface ProgressTracker {
  /** Replaces fields of the current progress (phase, done, total...). */
  update(p: Partial<OperationProgress>): void;
  get(): OperationProgress;
}

export function trackProgress(initial: OperationProgress): ProgressTracker {
  let current: OperationProgress = { ...initial };
  const show = () => setCurrentDetails(`**${current.phase}**\n\n${formatProgressLine(current)}`);
  setHandler(progressQuery, () => current);
  show();
  return {
    update(p) {
      current = { ...current, ...p };
      show();
    },
    get: () => current,
  };
}
