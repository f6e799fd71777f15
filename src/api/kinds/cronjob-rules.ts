// batch/v1 CronJob defaults and validation, as upstream's ValidateCronJobCreate/
// Update: a schedule the controller can parse (robfig/cron's messages), no TZ= or
// CRON_TZ= inside it (spec.timeZone says that), a known IANA zone, non-negative
// deadline and history limits, a known concurrencyPolicy, a job template whose
// pods end (OnFailure/Never) and whose selector the Job API generates, and a name
// short enough for "<name>-<minutes>" Job names (63 - 11 = 52). A CronJob the
// controller could never run is refused with 422 instead of only an event later.
import { field, type StatusCause } from '../errors.js';
import type { KubeObject } from '../object.js';
import type { Strategy } from '../resource.js';
import { CronSyntaxError, parseCron } from '../cron/cron-schedule.js';
import { validTimeZone } from '../cron/time-zone.js';
import { defaultPodSpec, validatePodSpec } from './pod-defaults.js';
import { validateNoEphemeralContainersInTemplate } from './ephemeral-containers-rules.js';

type Obj = Record<string, any>;

const CONCURRENCY = ['Allow', 'Forbid', 'Replace'];
/** the Job controller's own suffix: "-" and up to 10 digits of minutes since the epoch */
export const MAX_CRONJOB_NAME = 63 - 11;
// robfig/cron reads an optional "TZ=<zone> " or "CRON_TZ=<zone> " prefix before the fields
const TZ_PREFIX = /^(?:CRON_)?TZ=(\S*)\s*/;
// upstream's accepted characters per part of a zone name, before the tz database is asked
const ZONE_PART = /^[A-Za-z.\-_0-9+]{1,14}$/;

const nonNegative = (v: unknown): boolean => v === undefined || v === null || (typeof v === 'number' && Number.isInteger(v) && v >= 0);

/** robfig/cron's ParseStandard error for a schedule, or undefined when it parses. */
export function scheduleError(schedule: string): string | undefined {
  let rest = schedule.trim();
  const tz = TZ_PREFIX.exec(rest);
  if (tz) {
    if (!validTimeZone(tz[1])) return `provided bad location ${tz[1]}: unknown time zone ${tz[1]}`;
    rest = rest.slice(tz[0].length);
  }
  try {
    parseCron(rest);
    return undefined;
  } catch (e) {
    if (e instanceof CronSyntaxError) return e.message;
    throw e;
  }
}

function validateTimeZone(tz: unknown): StatusCause[] {
  const path = 'spec.timeZone';
  if (tz === undefined || tz === null) return [];
  if (typeof tz !== 'string') return [field.invalid(path, tz, 'must be a string')];
  if (tz === '') return [field.invalid(path, tz, 'timeZone must be nil or non-empty string')];
  if (tz.split('/').some((p) => p === '.' || p === '..' || p.startsWith('-') || !ZONE_PART.test(p))) return [field.invalid(path, tz, `unknown time zone ${tz}`)];
  if (tz.toLowerCase() === 'local') return [field.invalid(path, tz, 'timeZone must be an explicit time zone as defined in https://www.iana.org/time-zones')];
  return validTimeZone(tz) ? [] : [field.invalid(path, tz, `unknown time zone ${tz}`)];
}

/**
 * Spec rules; old is the stored object on update, where (as upstream) a TZ
 * prefix already in the schedule stays allowed and an unchanged timeZone is
 * not looked up again, so objects written earlier can still be updated.
 */
export function validateCronJob(o: KubeObject, old?: KubeObject): StatusCause[] {
  const s = (o.spec ?? {}) as Obj;
  const os = old ? ((old.spec ?? {}) as Obj) : undefined;
  const causes: StatusCause[] = [];
  if (!old && typeof o.metadata?.name === 'string' && o.metadata.name.length > MAX_CRONJOB_NAME) {
    causes.push(field.invalid('metadata.name', o.metadata.name, `must be no more than ${MAX_CRONJOB_NAME} characters`));
  }
  if (s.schedule === undefined || s.schedule === null || s.schedule === '') causes.push(field.required('spec.schedule'));
  else if (typeof s.schedule !== 'string') causes.push(field.invalid('spec.schedule', s.schedule, 'must be a string'));
  else {
    const err = scheduleError(s.schedule);
    if (err) causes.push(field.invalid('spec.schedule', s.schedule, err));
    const allowTz = typeof os?.schedule === 'string' && os.schedule.includes('TZ');
    if (allowTz && s.schedule.includes('TZ') && s.timeZone !== undefined && s.timeZone !== null) {
      causes.push(field.invalid('spec.schedule', s.schedule, 'cannot use both timeZone field and TZ or CRON_TZ in schedule'));
    } else if (!allowTz && s.schedule.includes('TZ')) {
      causes.push(field.invalid('spec.schedule', s.schedule, 'cannot use TZ or CRON_TZ in schedule, use timeZone field instead'));
    }
  }
  if (!nonNegative(s.startingDeadlineSeconds)) causes.push(field.invalid('spec.startingDeadlineSeconds', s.startingDeadlineSeconds, 'must be greater than or equal to 0'));
  if (!os || os.timeZone !== s.timeZone) causes.push(...validateTimeZone(s.timeZone));
  if (!s.concurrencyPolicy) causes.push(field.required('spec.concurrencyPolicy'));
  else if (!CONCURRENCY.includes(s.concurrencyPolicy)) causes.push(field.notSupported('spec.concurrencyPolicy', s.concurrencyPolicy, CONCURRENCY));
  causes.push(...validateJobTemplate(s.jobTemplate));
  for (const k of ['successfulJobsHistoryLimit', 'failedJobsHistoryLimit']) {
    if (!nonNegative(s[k])) causes.push(field.invalid(`spec.${k}`, s[k], 'must be greater than or equal to 0'));
  }
  return causes;
}

function validateJobTemplate(t: Obj | undefined): StatusCause[] {
  const js = (t?.spec ?? {}) as Obj;
  const causes: StatusCause[] = [];
  if (!js.template) causes.push(field.required('spec.jobTemplate.spec.template'));
  else causes.push(...validatePodSpec(js.template.spec, 'spec.jobTemplate.spec.template.spec', ['OnFailure', 'Never']), ...validateNoEphemeralContainersInTemplate(js.template.spec, 'spec.jobTemplate.spec.template.spec'));
  // the Job API generates the selector when the controller creates each Job
  if (js.selector !== undefined && js.selector !== null) causes.push(field.invalid('spec.jobTemplate.spec.selector', js.selector, '`selector` will be auto-generated'));
  if (js.manualSelector === true) causes.push(field.notSupported('spec.jobTemplate.spec.manualSelector', true, ['nil', 'false']));
  return causes;
}

export const cronJobStrategy: Strategy = {
  defaults(o) {
    const s = ((o.spec ??= {}) as Obj);
    s.concurrencyPolicy ??= 'Allow';
    s.suspend ??= false;
    s.successfulJobsHistoryLimit ??= 3;
    s.failedJobsHistoryLimit ??= 1;
    defaultPodSpec(s.jobTemplate?.spec?.template?.spec);
  },
  prepareForCreate(o) {
    o.status = {};
  },
  validate: (o, old) => validateCronJob(o, old),
};
