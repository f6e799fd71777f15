// Pull durations in the Pulled event read as Go prints a time.Duration
// truncated to milliseconds, the way upstream's kubelet writes them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { goDuration } from '../../../src/kubelet/images.js';

test('durations as Go prints them', () => {
  const cases: [number, string][] = [
    [0, '0s'],
    [0.4, '0s'],
    [7, '7ms'],
    [999, '999ms'],
    [1000, '1s'],
    [1234, '1.234s'],
    [1200, '1.2s'],
    [60_000, '1m0s'],
    [65_020, '1m5.02s'],
    [3_600_000, '1h0m0s'],
    [3_723_500, '1h2m3.5s'],
  ];
  for (const [ms, want] of cases) assert.equal(goDuration(ms), want, String(ms));
});
