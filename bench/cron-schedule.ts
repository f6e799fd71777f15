// Cron schedule computation: next activations per second for typical schedules
// (UTC and a DST zone), and the cost of the "too many missed" search over a
// month of every-minute activations. Run: node --import tsx bench/cron-schedule.ts
import { nextAfter, parseCron, scheduledTimes } from '../src/api/cron/cron-schedule.js';

const from = Date.parse('2024-03-01T00:00:00Z');
for (const [spec, tz] of [['*/1 * * * *', 'UTC'], ['30 2 * * *', 'America/New_York'], ['0 9 * * MON-FRI', 'Europe/Berlin'], ['0 0 29 2 *', 'UTC']] as const) {
  const s = parseCron(spec);
  const n = 2000;
  let t = from;
  const t0 = performance.now();
  for (let i = 0; i < n; i++) t = nextAfter(s, t, tz) ?? from;
  const ms = performance.now() - t0;
  console.log(`nextAfter ${spec.padEnd(16)} ${tz.padEnd(17)} ${((n / ms) * 1000).toFixed(0).padStart(7)} /s  (${((ms / n) * 1000).toFixed(1)} µs each)`);
}
const t0 = performance.now();
const r = scheduledTimes(parseCron('* * * * *'), Date.parse('2024-04-01T00:00:00Z'), Date.parse('2024-05-01T00:00:00Z'));
console.log(`scheduledTimes over a month of every-minute runs: ${(performance.now() - t0).toFixed(1)} ms (missed > 100: ${r.missed > 100})`);
