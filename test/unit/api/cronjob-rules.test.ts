// CronJob (batch/v1) validation: the causes upstream's ValidateCronJobCreate and
// ValidateCronJobUpdate refuse a CronJob with (422 at the API edge), including
// robfig/cron's schedule messages and the rules that only look at changed fields.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cronJobStrategy, scheduleError } from '../../../src/api/kinds/cronjob-rules.js';
import type { KubeObject } from '../../../src/api/object.js';

type Obj = Record<string, any>;

const cronJob = (spec: Obj = {}, name = 'nightly'): KubeObject =>
  ({
    metadata: { name, namespace: 'default' },
    spec: { schedule: '*/5 * * * *', jobTemplate: { spec: { template: { spec: { restartPolicy: 'OnFailure', containers: [{ name: 'c', image: 'busybox' }] } } } }, ...spec },
  }) as unknown as KubeObject;

function causes(o: KubeObject, old?: KubeObject): string[] {
  cronJobStrategy.defaults!(o);
  return cronJobStrategy.validate!(o, old).map((c) => `${c.field}: ${c.message}`);
}

test('a valid CronJob passes, with upstream defaults', () => {
  const o = cronJob({ timeZone: 'Europe/Berlin', startingDeadlineSeconds: 0 });
  assert.deepEqual(causes(o), []);
  const s = o.spec as Obj;
  assert.deepEqual([s.concurrencyPolicy, s.suspend, s.successfulJobsHistoryLimit, s.failedJobsHistoryLimit], ['Allow', false, 3, 1]);
  assert.deepEqual(causes(cronJob({ schedule: '@hourly' })), []);
  assert.deepEqual(causes(cronJob({}, 'x'.repeat(52))), [], '52 characters is the longest name');
});

test('schedules that do not parse carry robfig/cron messages', () => {
  assert.deepEqual(causes(cronJob({ schedule: 'bad' })), ['spec.schedule: Invalid value: "bad": expected exactly 5 fields, found 1: [bad]']);
  assert.deepEqual(causes(cronJob({ schedule: '61 * * * *' })), ['spec.schedule: Invalid value: "61 * * * *": end of range (61) above maximum (59): 61']);
  assert.equal(scheduleError('* * 0 * *'), 'beginning of range (0) below minimum (1): 0');
  assert.equal(scheduleError('5-1 * * * *'), 'beginning of range (5) beyond end of range (1): 5-1');
  assert.equal(scheduleError('*/0 * * * *'), 'step of range should be a positive number: */0');
  assert.equal(scheduleError('0 0 * * 7'), 'end of range (7) above maximum (6): 7');
  assert.equal(scheduleError('@every 90s'), undefined, 'robfig\'s descriptors include @every');
  assert.equal(scheduleError('@every soon'), 'failed to parse duration @every soon: time: invalid duration "soon"');
  assert.equal(scheduleError('x * * * *'), 'failed to parse int from x: strconv.Atoi: parsing "x": invalid syntax');
  assert.equal(scheduleError('@fortnightly'), 'unrecognized descriptor: @fortnightly');
  assert.deepEqual(causes(cronJob({ schedule: '' })), ['spec.schedule: Required value']);
});

test('TZ and CRON_TZ in the schedule are refused on create, kept on update when already there', () => {
  const want = 'spec.schedule: Invalid value: "CRON_TZ=UTC * * * * *": cannot use TZ or CRON_TZ in schedule, use timeZone field instead';
  assert.deepEqual(causes(cronJob({ schedule: 'CRON_TZ=UTC * * * * *' })), [want]);
  assert.deepEqual(causes(cronJob({ schedule: 'TZ=Nowhere/Land * * * * *' })), [
    'spec.schedule: Invalid value: "TZ=Nowhere/Land * * * * *": provided bad location Nowhere/Land: unknown time zone Nowhere/Land',
    'spec.schedule: Invalid value: "TZ=Nowhere/Land * * * * *": cannot use TZ or CRON_TZ in schedule, use timeZone field instead',
  ]);
  const legacy = cronJob({ schedule: 'TZ=UTC 0 * * * *' });
  assert.deepEqual(causes(cronJob({ schedule: 'TZ=UTC 0 * * * *', suspend: true }), legacy), [], 'an object stored earlier stays updatable');
  assert.deepEqual(causes(cronJob({ schedule: 'TZ=UTC 0 * * * *', timeZone: 'UTC' }), legacy), ['spec.schedule: Invalid value: "TZ=UTC 0 * * * *": cannot use both timeZone field and TZ or CRON_TZ in schedule']);
  assert.deepEqual(causes(cronJob({ schedule: 'TZ=UTC 0 * * * *' }), cronJob()), ['spec.schedule: Invalid value: "TZ=UTC 0 * * * *": cannot use TZ or CRON_TZ in schedule, use timeZone field instead']);
});

test('timeZone must be a known IANA zone, checked when it changes', () => {
  assert.deepEqual(causes(cronJob({ timeZone: 'Mars/Olympus_Mons' })), ['spec.timeZone: Invalid value: "Mars/Olympus_Mons": unknown time zone Mars/Olympus_Mons']);
  assert.deepEqual(causes(cronJob({ timeZone: '../etc/passwd' })), ['spec.timeZone: Invalid value: "../etc/passwd": unknown time zone ../etc/passwd']);
  assert.deepEqual(causes(cronJob({ timeZone: '' })), ['spec.timeZone: Invalid value: "": timeZone must be nil or non-empty string']);
  assert.deepEqual(causes(cronJob({ timeZone: 'Local' })), ['spec.timeZone: Invalid value: "Local": timeZone must be an explicit time zone as defined in https://www.iana.org/time-zones']);
  const stored = cronJob({ timeZone: 'Mars/Olympus_Mons' });
  assert.deepEqual(causes(cronJob({ timeZone: 'Mars/Olympus_Mons', suspend: true }), stored), [], 'an unchanged zone is not looked up again');
});

test('negative deadline and history limits, unknown concurrencyPolicy, long names', () => {
  assert.deepEqual(causes(cronJob({ startingDeadlineSeconds: -1, successfulJobsHistoryLimit: -1, failedJobsHistoryLimit: -2, concurrencyPolicy: 'Sometimes' })), [
    'spec.startingDeadlineSeconds: Invalid value: -1: must be greater than or equal to 0',
    'spec.concurrencyPolicy: Unsupported value: "Sometimes": supported values: "Allow", "Forbid", "Replace"',
    'spec.successfulJobsHistoryLimit: Invalid value: -1: must be greater than or equal to 0',
    'spec.failedJobsHistoryLimit: Invalid value: -2: must be greater than or equal to 0',
  ]);
  const long = 'x'.repeat(53);
  assert.deepEqual(causes(cronJob({}, long)), [`metadata.name: Invalid value: "${long}": must be no more than 52 characters`]);
  assert.deepEqual(causes(cronJob({}, long), cronJob({}, long)), [], 'the length is a create rule, as upstream');
});

test('the job template must make pods that end, and leaves the selector to the Job API', () => {
  const o = cronJob();
  const js = (o.spec as Obj).jobTemplate.spec;
  js.template.spec.restartPolicy = 'Always';
  js.selector = { matchLabels: { a: 'b' } };
  js.manualSelector = true;
  assert.deepEqual(causes(o), [
    'spec.jobTemplate.spec.template.spec.restartPolicy: Unsupported value: "Always": supported values: "OnFailure", "Never"',
    'spec.jobTemplate.spec.selector: Invalid value: {"matchLabels":{"a":"b"}}: `selector` will be auto-generated',
    'spec.jobTemplate.spec.manualSelector: Unsupported value: true: supported values: "nil", "false"',
  ]);
  const none = cronJob();
  delete (none.spec as Obj).jobTemplate.spec.template.spec.restartPolicy;
  assert.match(causes(none).join('\n'), /restartPolicy: Unsupported value: "Always"/, 'the pod default (Always) is refused as upstream');
});
