// Progress reporting for workflows: answers the `progress` query with core/progress's shape (plus
// any fields of the workflow's own, e.g. an evacuation's moves) and mirrors it into the Web UI's
// "current details" (setCurrentDetails, SDK >= 1.24). Neither the query handler nor the current
// details are commands of the history: adding them to a workflow does not break replay.
import { defineQuery, setCurrentDetails, setHandler } from '@temporalio/workflow';
import { formatProgressLine, PROGRESS_QUERY, type OperationProgress } from '../core/progress.js';

export const progressQuery = defineQuery<OperationProgress>(PROGRESS_QUERY);

export interface ProgressTracker<T extends OperationProgress = OperationProgress> {
  /** Replaces fields of the current progress (phase, done, total...). */
  update(p: Partial<T>): void;
  get(): T;
}

/** Sets the Web UI's current details of this workflow to `p`. */
export function showProgress(p: OperationProgress): void {
  setCurrentDetails(`**${p.phase}**\n\n${formatProgressLine(p)}`);
}

export function trackProgress<T extends OperationProgress = OperationProgress>(initial: NoInfer<T>): ProgressTracker<T> {
  let current: T = { ...initial };
  setHandler(progressQuery, () => current);
  showProgress(current);
  return {
    update(p) {
      current = { ...current, ...p };
      showProgress(current);
    },
    get: () => current,
  };
}

/**
 * Answers the `progress` query from `read()`, computed when asked (a workflow whose progress lives
 * in several structures); `show()` refreshes the current details at the moments that matter.
 */
export function computedProgress<T extends OperationProgress>(read: () => T): { show(): void } {
  setHandler(progressQuery, read);
  return { show: () => showProgress(read()) };
}
