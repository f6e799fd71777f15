// The cron parser and schedule computation the CronJob controller uses, with
// fixed instants for a clock: syntax, day-of-month/day-of-week rules, time
// zones, both DST transitions, missed-run counting and deadlines.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { CronSyntaxError, nextAfter, parseCron, scheduledTimes } from '../../../src/api/cron/cron-schedule.js';
import { validTimeZone } from '../../../src/api/cron/time-zone.js';

const at = (iso: string) => Date.parse(iso);
const iso = (t: number | undefined) => (t === undefined ? undefined : new Date(t).toISOString());

function nexts(spec: string, from: string, n: number, tz = 'UTC'): string[] {
  const s = parseCron(spec);
  const out: string[] = [];
  let t = at(from);
  for (let i = 0; i < n; i++) {
    const x = nextAfter(s, t, tz);
    assert.ok(x !== undefined);
    out.push(iso(x)!);
    t = x;
  }
  return out;
}

describe('cron syntax', () => {
  test('fields, ranges, steps, lists and names', () => {
    const s = parseCron('*/15 9-17 1,15 JAN-mar MON-FRI');
    assert.deepEqual([...s.minutes], [0, 15, 30, 45]);
    assert.deepEqual([...s.hours], [9, 10, 11, 12, 13, 14, 15, 16, 17]);
    assert.deepEqual([...s.days], [1, 15]);
    assert.deepEqual([...s.months], [1, 2, 3]);
    assert.deepEqual([...s.weekdays], [1, 2, 3, 4, 5]);
    assert.deepEqual([...parseCron('5/20 * * * *').minutes], [5, 25, 45], 'N/step runs to the end of the field');
    // robfig/cron (upstream's parser) takes 0-6 only: 7 for Sunday is refused as upstream's 422 says
    assert.throws(() => parseCron('0 0 * * 7'), { message: 'end of range (7) above maximum (6): 7' });
    assert.throws(() => parseCron('0 0 * * 5-7'), { message: 'end of range (7) above maximum (6): 5-7' });
    assert.deepEqual([...parseCron('0 0 ? * sun').weekdays], [0]);
    assert.deepEqual([...parseCron('1-10/3 * * * *').minutes], [1, 4, 7, 10]);
  });

  test('macros', () => {
    assert.deepEqual(nexts('@hourly', '2024-05-01T10:20:00Z', 2), ['2024-05-01T11:00:00.000Z', '2024-05-01T12:00:00.000Z']);
    assert.deepEqual(nexts('@daily', '2024-05-01T10:20:00Z', 1), ['2024-05-02T00:00:00.000Z']);
    assert.deepEqual(nexts('@weekly', '2024-05-01T10:20:00Z', 1), ['2024-05-05T00:00:00.000Z']);
    assert.deepEqual(nexts('@monthly', '2024-05-01T10:20:00Z', 1), ['2024-06-01T00:00:00.000Z']);
    assert.deepEqual(nexts('@yearly', '2024-05-01T10:20:00Z', 1), ['2025-01-01T00:00:00.000Z']);
    assert.deepEqual(nexts('@annually', '2024-05-01T10:20:00Z', 1), ['2025-01-01T00:00:00.000Z']);
  });

  test('@every takes a Go duration: whole seconds, at least one, from the previous activation', () => {
    assert.deepEqual(nexts('@every 1h30m', '2024-05-01T10:20:00.400Z', 2), ['2024-05-01T11:50:00.000Z', '2024-05-01T13:20:00.000Z']);
    assert.deepEqual(nexts('@every 1.5s', '2024-05-01T10:20:00Z', 2), ['2024-05-01T10:20:01.000Z', '2024-05-01T10:20:02.000Z'], 'rounded down to a second');
    assert.deepEqual(nexts('@every 10ms', '2024-05-01T10:20:00Z', 1), ['2024-05-01T10:20:01.000Z'], 'at least a second');
    assert.equal(parseCron('@every 2m').every, 120_000);
    assert.throws(() => parseCron('@every 5'), { message: 'failed to parse duration @every 5: time: invalid duration "5"' });
  });

  test('bad schedules are errors', () => {
    for (const bad of ['', '* * * *', '* * * * * *', '60 * * * *', '* 24 * * *', '* * 0 * *', '* * * 13 *', '* * * * 8', '5-1 * * * *', '*/0 * * * *', 'a * * * *', '@every', '@every 5', '@every 5x', '@every m', '1-2-3 * * * *', '1/2/3 * * * *', ', * * * *']) {
      assert.throws(() => parseCron(bad), CronSyntaxError, bad);
    }
  });
});

describe('schedule computation', () => {
  test('every minute, strictly after the given instant', () => {
    assert.deepEqual(nexts('*/1 * * * *', '2024-05-01T10:20:00Z', 2), ['2024-05-01T10:21:00.000Z', '2024-05-01T10:22:00.000Z']);
    assert.deepEqual(nexts('* * * * *', '2024-05-01T10:20:59.999Z', 1), ['2024-05-01T10:21:00.000Z']);
  });

  test('day-of-month and day-of-week: either when both are restricted, both when one is *', () => {
    // 13th or Friday
    assert.deepEqual(nexts('0 0 13 * 5', '2024-09-01T00:00:00Z', 3), ['2024-09-06T00:00:00.000Z', '2024-09-13T00:00:00.000Z', '2024-09-20T00:00:00.000Z']);
    // every Friday in any month (dom is *)
    assert.deepEqual(nexts('0 0 * * FRI', '2024-09-01T00:00:00Z', 2), ['2024-09-06T00:00:00.000Z', '2024-09-13T00:00:00.000Z']);
    // a */2 day-of-month is not a star: OR with the weekday
    assert.deepEqual(nexts('0 0 */10 * 3', '2024-09-01T00:00:00Z', 3), ['2024-09-04T00:00:00.000Z', '2024-09-11T00:00:00.000Z', '2024-09-18T00:00:00.000Z']);
  });

  test('month ends and leap days', () => {
    assert.deepEqual(nexts('0 12 31 * *', '2024-04-01T00:00:00Z', 2), ['2024-05-31T12:00:00.000Z', '2024-07-31T12:00:00.000Z']);
    assert.deepEqual(nexts('0 0 29 2 *', '2024-03-01T00:00:00Z', 1), ['2028-02-29T00:00:00.000Z']);
    assert.equal(nextAfter(parseCron('0 0 30 2 *'), at('2024-01-01T00:00:00Z')), undefined, 'never: Feb 30');
  });

  test('time zones', () => {
    assert.ok(validTimeZone('Europe/Berlin'));
    assert.ok(!validTimeZone('Mars/Olympus_Mons'));
    // 09:00 in Tokyo (UTC+9, no DST) is 00:00 UTC
    assert.deepEqual(nexts('0 9 * * *', '2024-05-01T01:00:00Z', 1, 'Asia/Tokyo'), ['2024-05-02T00:00:00.000Z']);
    // India's half-hour offset
    assert.deepEqual(nexts('0 9 * * *', '2024-05-01T00:00:00Z', 1, 'Asia/Kolkata'), ['2024-05-01T03:30:00.000Z']);
    // Berlin: winter UTC+1, summer UTC+2
    assert.deepEqual(nexts('30 8 * * *', '2024-01-10T00:00:00Z', 1, 'Europe/Berlin'), ['2024-01-10T07:30:00.000Z']);
    assert.deepEqual(nexts('30 8 * * *', '2024-07-10T00:00:00Z', 1, 'Europe/Berlin'), ['2024-07-10T06:30:00.000Z']);
  });

  test('spring forward: a skipped wall time runs once, just after the gap', () => {
    // New York, 2024-03-10: 02:00 EST jumps to 03:00 EDT
    assert.deepEqual(nexts('30 2 * * *', '2024-03-09T12:00:00Z', 3, 'America/New_York'), [
      '2024-03-10T07:30:00.000Z', // 03:30 EDT
      '2024-03-11T06:30:00.000Z', // 02:30 EDT
      '2024-03-12T06:30:00.000Z',
    ]);
    // an hourly schedule at :30 runs at 01:30 EST, then 03:30 EDT once
    assert.deepEqual(nexts('30 * * * *', '2024-03-10T06:00:00Z', 3, 'America/New_York'), ['2024-03-10T06:30:00.000Z', '2024-03-10T07:30:00.000Z', '2024-03-10T08:30:00.000Z']);
  });

  test('fall back: a repeated wall time runs once, at its first occurrence', () => {
    // New York, 2024-11-03: 02:00 EDT falls back to 01:00 EST
    assert.deepEqual(nexts('30 1 * * *', '2024-11-02T12:00:00Z', 2, 'America/New_York'), ['2024-11-03T05:30:00.000Z', '2024-11-04T06:30:00.000Z']);
    assert.deepEqual(nexts('0 * * * *', '2024-11-03T04:30:00Z', 3, 'America/New_York'), [
      '2024-11-03T05:00:00.000Z', // 01:00 EDT
      '2024-11-03T07:00:00.000Z', // 02:00 EST (01:00 EST is the same wall time again)
      '2024-11-03T08:00:00.000Z',
    ]);
  });

  test('missed activations: the most recent, the count, the next', () => {
    const s = parseCron('*/5 * * * *');
    const r = scheduledTimes(s, at('2024-05-01T10:00:00Z'), at('2024-05-01T10:17:00Z'));
    assert.equal(iso(r.mostRecent), '2024-05-01T10:15:00.000Z');
    assert.equal(r.missed, 3);
    assert.equal(iso(r.next), '2024-05-01T10:20:00.000Z');
    const none = scheduledTimes(s, at('2024-05-01T10:15:00Z'), at('2024-05-01T10:19:59Z'));
    assert.equal(none.mostRecent, undefined);
    assert.equal(none.missed, 0);
    assert.equal(iso(none.next), '2024-05-01T10:20:00.000Z');
    // a month of missed minutes: "too many", and still the right most recent one, quickly
    const began = Date.now();
    const many = scheduledTimes(parseCron('* * * * *'), at('2024-04-01T00:00:00Z'), at('2024-05-01T10:17:30Z'));
    assert.ok(many.missed > 100);
    assert.equal(iso(many.mostRecent), '2024-05-01T10:17:00.000Z');
    assert.ok(Date.now() - began < 2000, 'bounded work');
  });
});
