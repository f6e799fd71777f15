// core/v1 Event (stored) <-> events.k8s.io/v1 Event, as upstream's conversion.
import type { KubeObject } from '../object.js';

type Obj = Record<string, any>;

export function coreEventToEventsV1(o: KubeObject): KubeObject {
  const e = o as Obj;
  const out: Obj = { metadata: e.metadata };
  const set = (k: string, v: unknown) => {
    if (v !== undefined && v !== null && v !== '') out[k] = v;
  };
  out.eventTime = e.eventTime ?? null;
  set('series', e.series);
  set('reportingController', e.reportingComponent);
  set('reportingInstance', e.reportingInstance);
  set('action', e.action);
  set('reason', e.reason);
  set('regarding', e.involvedObject);
  set('related', e.related);
  set('note', e.message);
  set('type', e.type);
  set('deprecatedSource', e.source && Object.keys(e.source).length ? e.source : undefined);
  set('deprecatedFirstTimestamp', e.firstTimestamp);
  set('deprecatedLastTimestamp', e.lastTimestamp);
  set('deprecatedCount', e.count);
  return out as KubeObject;
}

export function eventsV1ToCoreEvent(o: KubeObject): KubeObject {
  const e = o as Obj;
  const out: Obj = { metadata: e.metadata ?? {}, involvedObject: e.regarding ?? {} };
  const set = (k: string, v: unknown) => {
    if (v !== undefined && v !== null && v !== '') out[k] = v;
  };
  set('reason', e.reason);
  set('message', e.note);
  set('source', e.deprecatedSource);
  set('firstTimestamp', e.deprecatedFirstTimestamp);
  set('lastTimestamp', e.deprecatedLastTimestamp);
  set('count', e.deprecatedCount);
  set('type', e.type);
  set('eventTime', e.eventTime);
  set('series', e.series);
  set('action', e.action);
  set('related', e.related);
  set('reportingComponent', e.reportingController);
  set('reportingInstance', e.reportingInstance);
  return out as KubeObject;
}
