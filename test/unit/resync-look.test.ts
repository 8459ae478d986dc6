// How soon a node looks again at a resync it waits for (core/resync.ts): soon near the end, seldom
// early in a long one, a steady 200 ms when there is no rate to go by.
import { describe, expect, it } from '@jest/globals';
import { nextResyncLookMs } from '../../core/resync.js';

describe('nextResyncLookMs', () => {
  it.each([
    ['first look', null, { at: 1000, pct: 10 }, 200],
    ['no progress since the last look', { at: 1000, pct: 40 }, { at: 1200, pct: 40 }, 200],
    ['a long resync at its start: at most a second', { at: 0, pct: 1 }, { at: 200, pct: 2 }, 1000],
    ['half of the 2 s left', { at: 0, pct: 50 }, { at: 1000, pct: 75 }, 500],
    ['almost done: no sooner than 50 ms', { at: 0, pct: 98 }, { at: 200, pct: 99.9 }, 50],
  ] as const)('%s', (_what, prev, cur, ms) => {
    expect(nextResyncLookMs(prev, cur)).toBe(ms);
  });
});
