// HorizontalPodAutoscalers, printed from the autoscaling/v2 shape (upstream
// prints the internal object, so v1 requests show the same columns).
import type { KubeObject } from '../object.js';
import { hpaFromVersion } from '../conversion/hpa.js';
import type { Printer } from './table-types.js';
import { AGE, NAME, col, int, str, type Obj } from './columns.js';
import { DOCS } from './docs.js';
import { since } from './duration.js';
import { quantityPtr } from './quantity.js';

const CURRENT_METRICS_ANNOTATION = 'autoscaling.alpha.kubernetes.io/current-metrics';

/** spec.metrics and status.currentMetrics in the v2 shape, whatever version the object is in. */
function v2Metrics(o: Obj): { specs: Obj[]; statuses: Obj[] } {
  if (o.apiVersion !== 'autoscaling/v1')
    return { specs: o.spec?.metrics ?? [], statuses: o.status?.currentMetrics ?? [] };
  const specs: Obj[] = (hpaFromVersion(o as KubeObject, 'v1') as Obj).spec?.metrics ?? [];
  let statuses: Obj[] = [];
  const ann = o.metadata?.annotations?.[CURRENT_METRICS_ANNOTATION];
  if (typeof ann === 'string') {
    try {
      statuses = JSON.parse(ann);
    } catch {
      statuses = [];
    }
  } else if (typeof o.status?.currentCPUUtilizationPercentage === 'number') {
    statuses = [
      {
        type: 'Resource',
        resource: {
          name: 'cpu',
          current: { averageUtilization: o.status.currentCPUUtilizationPercentage },
        },
      },
    ];
  }
  return { specs, statuses };
}

const percent = (v: unknown) => `${int(v)}%`;

/** Current/target for a Resource or ContainerResource metric. */
function resourceTarget(spec: Obj, status: Obj | undefined): string {
  const name = str(spec.name);
  const target: Obj = spec.target ?? {};
  if (target.averageValue !== undefined && target.averageValue !== null) {
    const current = status ? quantityPtr(status.current?.averageValue) : '<unknown>';
    return `${name}: ${current}/${quantityPtr(target.averageValue)}`;
  }
  const current =
    typeof status?.current?.averageUtilization === 'number'
      ? percent(status.current.averageUtilization)
      : '<unknown>';
  const want =
    typeof target.averageUtilization === 'number' ? percent(target.averageUtilization) : '<auto>';
  return `${name}: ${current}/${want}`;
}

/** Current/target for an Object or External metric. */
function valueTarget(spec: Obj, status: Obj | undefined): string {
  const target: Obj = spec.target ?? {};
  if (target.averageValue !== undefined && target.averageValue !== null) {
    const current =
      status?.current?.averageValue !== undefined && status?.current?.averageValue !== null
        ? quantityPtr(status.current.averageValue)
        : '<unknown>';
    return `${current}/${quantityPtr(target.averageValue)} (avg)`;
  }
  const current = status ? quantityPtr(status.current?.value) : '<unknown>';
  return `${current}/${quantityPtr(target.value)}`;
}

/** formatHPAMetrics: the first two targets, then "+ N more...". */
export function formatHpaMetrics(specs: Obj[], statuses: Obj[]): string {
  if (specs.length === 0) return '<none>';
  const list = specs.map((m, i) => {
    const st: Obj | undefined = statuses[i];
    switch (m.type) {
      case 'External':
        return valueTarget(m.external ?? {}, st?.external ?? undefined);
      case 'Object':
        return valueTarget(m.object ?? {}, st?.object ?? undefined);
      case 'Pods': {
        const current = st?.pods ? quantityPtr(st.pods.current?.averageValue) : '<unknown>';
        return `${current}/${quantityPtr(m.pods?.target?.averageValue)}`;
      }
      case 'Resource':
        return resourceTarget(m.resource ?? {}, st?.resource ?? undefined);
      case 'ContainerResource':
        return resourceTarget(m.containerResource ?? {}, st?.containerResource ?? undefined);
      default:
        return '<unknown type>';
    }
  });
  const max = 2;
  if (list.length > max) return `${list.slice(0, max).join(', ')} + ${list.length - max} more...`;
  return list.join(', ');
}

export const horizontalPodAutoscalerPrinter: Printer = {
  columns: [
    NAME,
    col('Reference', DOCS.HorizontalPodAutoscalerSpec.scaleTargetRef),
    col('Targets', DOCS.HorizontalPodAutoscalerSpec.metrics),
    col('MinPods', DOCS.HorizontalPodAutoscalerSpec.minReplicas),
    col('MaxPods', DOCS.HorizontalPodAutoscalerSpec.maxReplicas),
    col('Replicas', DOCS.HorizontalPodAutoscalerStatus.currentReplicas),
    AGE,
  ],
  rows(o: Obj, now) {
    const spec: Obj = o.spec ?? {};
    const { specs, statuses } = v2Metrics(o);
    const minPods = typeof spec.minReplicas === 'number' ? String(spec.minReplicas) : '<unset>';
    return [
      [
        o.metadata.name,
        `${str(spec.scaleTargetRef?.kind)}/${str(spec.scaleTargetRef?.name)}`,
        formatHpaMetrics(specs, statuses),
        minPods,
        int(spec.maxReplicas),
        int(o.status?.currentReplicas),
        since(o.metadata.creationTimestamp, now),
      ],
    ];
  },
};
