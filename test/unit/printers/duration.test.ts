import { test } from 'node:test';
import assert from 'node:assert/strict';
import { humanDuration, shortHumanDuration, since } from '../../../src/api/printers/duration.js';

const s = 1000;
const m = 60 * s;
const h = 60 * m;
const d = 24 * h;

test('HumanDuration keeps two or three significant figures, as upstream', () => {
  const cases: Array<[number, string]> = [
    [0, '0s'],
    [999, '0s'],
    [1 * s, '1s'],
    [5 * s, '5s'],
    [70 * s, '70s'],
    [119 * s, '119s'],
    [120 * s, '2m'],
    [150 * s, '2m30s'],
    [190 * s, '3m10s'],
    [9 * m + 59 * s, '9m59s'],
    [10 * m, '10m'],
    [10 * m + 30 * s, '10m'],
    [70 * m, '70m'],
    [179 * m, '179m'],
    [3 * h, '3h'],
    [3 * h + 5 * m, '3h5m'],
    [7 * h + 59 * m, '7h59m'],
    [8 * h + 30 * m, '8h'],
    [47 * h, '47h'],
    [48 * h, '2d'],
    [49 * h, '2d1h'],
    [2 * d + 3 * h, '2d3h'],
    [7 * d + 23 * h, '7d23h'],
    [8 * d + 2 * h, '8d'],
    [10 * d, '10d'],
    [367 * d, '367d'],
    [729 * d, '729d'],
    [730 * d, '2y'],
    [365 * 2 * d + 25 * h, '2y1d'],
    [365 * 2 * d + 45 * d, '2y45d'],
    [365 * 8 * d + 2 * h, '8y'],
    [365 * 20 * d, '20y'],
  ];
  for (const [ms, want] of cases) assert.equal(humanDuration(ms), want, `${ms}ms`);
});

test('clock skew of up to two seconds reads as now, more as <invalid>', () => {
  assert.equal(humanDuration(-500), '0s');
  assert.equal(humanDuration(-1999), '0s');
  assert.equal(humanDuration(-2000), '<invalid>');
  assert.equal(shortHumanDuration(-1500), '0s');
  assert.equal(shortHumanDuration(-3000), '<invalid>');
});

test('ShortHumanDuration keeps one unit', () => {
  const cases: Array<[number, string]> = [
    [59 * s, '59s'],
    [60 * s, '1m'],
    [59 * m, '59m'],
    [60 * m, '1h'],
    [23 * h, '23h'],
    [24 * h, '1d'],
    [364 * d, '364d'],
    [365 * d, '1y'],
    [800 * d, '2y'],
  ];
  for (const [ms, want] of cases) assert.equal(shortHumanDuration(ms), want, `${ms}ms`);
});

test('ages from timestamps, <unknown> without one', () => {
  const now = new Date('2025-03-01T12:00:00Z');
  assert.equal(since('2025-03-01T11:55:00Z', now), '5m');
  assert.equal(since('2025-02-27T09:00:00Z', now), '2d3h');
  assert.equal(since('2025-03-01T11:59:59.500000Z', now), '0s');
  assert.equal(since(undefined, now), '<unknown>');
  assert.equal(since('', now), '<unknown>');
  assert.equal(since(null, now), '<unknown>');
  assert.equal(since('0001-01-01T00:00:00Z', now), '<unknown>');
});
