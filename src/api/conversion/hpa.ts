// autoscaling/v2 (stored) <-> autoscaling/v1 HorizontalPodAutoscaler, as upstream's
// conversion: v1 carries only CPU utilization; other metrics ride in annotations.
import type { KubeObject } from '../object.js';

type Obj = Record<string, any>;
const METRICS_ANN = 'autoscaling.alpha.kubernetes.io/metrics';
const CURRENT_ANN = 'autoscaling.alpha.kubernetes.io/current-metrics';
const CONDITIONS_ANN = 'autoscaling.alpha.kubernetes.io/conditions';

export function hpaToVersion(o: KubeObject, version: string): KubeObject {
  if (version !== 'v1') return o;
  const spec = (o.spec ?? {}) as Obj;
  const status = (o.status ?? {}) as Obj;
  const metrics: Obj[] = spec.metrics ?? [];
  const cpu = metrics.find((m) => m.type === 'Resource' && m.resource?.name === 'cpu' && m.resource?.target?.type === 'Utilization');
  const others = metrics.filter((m) => m !== cpu);
  const annotations = { ...(o.metadata.annotations ?? {}) };
  if (others.length) annotations[METRICS_ANN] = JSON.stringify(others);
  const curCpu = (status.currentMetrics ?? []).find((m: Obj) => m.type === 'Resource' && m.resource?.name === 'cpu');
  if ((status.currentMetrics ?? []).length) annotations[CURRENT_ANN] = JSON.stringify(status.currentMetrics);
  if ((status.conditions ?? []).length) annotations[CONDITIONS_ANN] = JSON.stringify(status.conditions);
  const out: KubeObject = {
    ...o,
    metadata: { ...o.metadata, ...(Object.keys(annotations).length ? { annotations } : {}) },
    spec: {
      scaleTargetRef: spec.scaleTargetRef,
      ...(spec.minReplicas !== undefined ? { minReplicas: spec.minReplicas } : {}),
      maxReplicas: spec.maxReplicas,
      ...(cpu ? { targetCPUUtilizationPercentage: cpu.resource.target.averageUtilization } : {}),
    },
    status: {
      ...(status.observedGeneration !== undefined ? { observedGeneration: status.observedGeneration } : {}),
      ...(status.lastScaleTime ? { lastScaleTime: status.lastScaleTime } : {}),
      currentReplicas: status.currentReplicas ?? 0,
      desiredReplicas: status.desiredReplicas ?? 0,
      ...(curCpu?.resource?.current?.averageUtilization !== undefined ? { currentCPUUtilizationPercentage: curCpu.resource.current.averageUtilization } : {}),
    },
  };
  return out;
}

export function hpaFromVersion(o: KubeObject, version: string): KubeObject {
  if (version !== 'v1') return o;
  const spec = (o.spec ?? {}) as Obj;
  const annotations = { ...(o.metadata?.annotations ?? {}) };
  let metrics: Obj[] = [];
  if (annotations[METRICS_ANN]) {
    try {
      metrics = JSON.parse(annotations[METRICS_ANN]);
    } catch {
      metrics = [];
    }
  }
  delete annotations[METRICS_ANN];
  delete annotations[CURRENT_ANN];
  delete annotations[CONDITIONS_ANN];
  if (spec.targetCPUUtilizationPercentage !== undefined) {
    metrics.unshift({ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: spec.targetCPUUtilizationPercentage } } });
  }
  const meta = { ...(o.metadata ?? {}) };
  if (Object.keys(annotations).length) meta.annotations = annotations;
  else delete meta.annotations;
  const v2spec: Obj = { scaleTargetRef: spec.scaleTargetRef, maxReplicas: spec.maxReplicas };
  if (spec.minReplicas !== undefined) v2spec.minReplicas = spec.minReplicas;
  if (metrics.length) v2spec.metrics = metrics;
  const status = (o.status ?? {}) as Obj;
  return { ...o, metadata: meta, spec: v2spec, status: { currentReplicas: status.currentReplicas ?? 0, desiredReplicas: status.desiredReplicas ?? 0 } };
}
