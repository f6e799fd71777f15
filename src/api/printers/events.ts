// Events, core/v1 and events.k8s.io/v1 alike: upstream prints both from the
// same internal object, so the events.k8s.io shape is converted first.
import type { KubeObject } from '../object.js';
import { eventsV1ToCoreEvent } from '../conversion/events.js';
import type { Printer } from './table-types.js';
import { DOCS } from './docs.js';
import { col, int, str, wide, type Obj } from './columns.js';
import { since, timestampMs } from './duration.js';

/** formatEventSource: component (or reporting controller), then ", host" (or reporting instance). */
function eventSource(e: Obj): string {
  const component = str(e.source?.component) || str(e.reportingComponent);
  const instance = str(e.source?.host) || str(e.reportingInstance);
  return instance ? `${component}, ${instance}` : component;
}

function printEvent(e: Obj, now: Date): unknown[] {
  const first =
    timestampMs(e.firstTimestamp) !== undefined
      ? since(e.firstTimestamp, now)
      : since(e.eventTime, now);
  let last = timestampMs(e.lastTimestamp) !== undefined ? since(e.lastTimestamp, now) : first;
  let count = int(e.count);
  if (e.series) {
    last = since(e.series.lastObservedTime, now);
    count = int(e.series.count);
  } else if (count === 0) {
    // singleton events of the new API carry no count
    count = 1;
  }
  const involved: Obj = e.involvedObject ?? {};
  const kind = str(involved.kind).toLowerCase();
  const target = str(involved.name) ? `${kind}/${involved.name}` : kind;
  return [
    last,
    str(e.type),
    str(e.reason),
    target,
    str(involved.fieldPath),
    eventSource(e),
    str(e.message).trim(),
    first,
    count,
    e.metadata?.name,
  ];
}

const columns = [
  col('Last Seen', DOCS.Event.lastTimestamp),
  col('Type', DOCS.Event.type),
  col('Reason', DOCS.Event.reason),
  col('Object', DOCS.Event.involvedObject),
  wide('Subobject', DOCS.ObjectReference.fieldPath),
  wide('Source', DOCS.Event.source),
  col('Message', DOCS.Event.message),
  wide('First Seen', DOCS.Event.firstTimestamp),
  wide('Count', DOCS.Event.count),
  { ...wide('Name', DOCS.ObjectMeta.name), format: 'name' },
];

export const eventPrinter: Printer = {
  columns,
  rows: (o: KubeObject, now) => [printEvent(o as Obj, now)],
};

/** events.k8s.io/v1 Events (regarding, note, deprecatedCount, ...). */
export const eventsV1Printer: Printer = {
  columns,
  rows: (o: KubeObject, now) => [printEvent(eventsV1ToCoreEvent(o) as Obj, now)],
};
