// autoscaling/v2 HorizontalPodAutoscaler defaults and validation, as upstream:
// minReplicas 1, an 80% CPU utilization metric when none is given, and a given
// behavior filled with the default scale-up and scale-down rules.
import type { KubeObject } from '../object.js';
import { field, type StatusCause } from '../errors.js';

type Obj = Record<string, any>;

const scaleUpDefaults = (): Obj => ({
  stabilizationWindowSeconds: 0,
  selectPolicy: 'Max',
  policies: [
    { type: 'Pods', value: 4, periodSeconds: 15 },
    { type: 'Percent', value: 100, periodSeconds: 15 },
  ],
});

// the scale-down window stays unset: the controller's --horizontal-pod-autoscaler-downscale-stabilization applies
const scaleDownDefaults = (): Obj => ({ selectPolicy: 'Max', policies: [{ type: 'Percent', value: 100, periodSeconds: 15 }] });

function fillRules(rules: Obj | undefined, defaults: Obj): Obj {
  if (!rules) return defaults;
  return {
    ...rules,
    ...(rules.stabilizationWindowSeconds === undefined && defaults.stabilizationWindowSeconds !== undefined ? { stabilizationWindowSeconds: defaults.stabilizationWindowSeconds } : {}),
    selectPolicy: rules.selectPolicy ?? defaults.selectPolicy,
    policies: rules.policies?.length ? rules.policies : defaults.policies,
  };
}

export function defaultHpa(o: KubeObject): void {
  const spec = (o.spec ??= {}) as Obj;
  spec.minReplicas ??= 1;
  if (!spec.metrics?.length) spec.metrics = [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 80 } } }];
  if (spec.behavior) spec.behavior = { scaleUp: fillRules(spec.behavior.scaleUp, scaleUpDefaults()), scaleDown: fillRules(spec.behavior.scaleDown, scaleDownDefaults()) };
}

const isInt = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v);

function validateRules(rules: Obj | undefined, path: string): StatusCause[] {
  if (!rules) return [];
  const out: StatusCause[] = [];
  const w = rules.stabilizationWindowSeconds;
  if (w !== undefined && (!isInt(w) || w < 0 || w > 3600)) out.push(field.invalid(`${path}.stabilizationWindowSeconds`, w, 'must be between 0 and 3600'));
  if (rules.selectPolicy !== undefined && !['Max', 'Min', 'Disabled'].includes(rules.selectPolicy)) out.push(field.notSupported(`${path}.selectPolicy`, rules.selectPolicy, ['Disabled', 'Max', 'Min']));
  (rules.policies ?? []).forEach((p: Obj, i: number) => {
    const pp = `${path}.policies[${i}]`;
    if (!['Pods', 'Percent'].includes(p.type)) out.push(field.notSupported(`${pp}.type`, p.type, ['Percent', 'Pods']));
    if (!isInt(p.value) || p.value <= 0) out.push(field.invalid(`${pp}.value`, p.value, 'must be greater than zero'));
    if (!isInt(p.periodSeconds) || p.periodSeconds <= 0 || p.periodSeconds > 1800) out.push(field.invalid(`${pp}.periodSeconds`, p.periodSeconds, 'must be greater than zero and less than or equal to 1800'));
  });
  return out;
}

export function validateHpa(o: KubeObject): StatusCause[] {
  const spec = (o.spec ?? {}) as Obj;
  const out: StatusCause[] = [];
  const ref = spec.scaleTargetRef ?? {};
  if (!ref.kind) out.push(field.required('spec.scaleTargetRef.kind'));
  if (!ref.name) out.push(field.required('spec.scaleTargetRef.name'));
  // as upstream: each bound on its own, then their order
  if (spec.minReplicas !== undefined && (!isInt(spec.minReplicas) || spec.minReplicas < 1)) out.push(field.invalid('spec.minReplicas', spec.minReplicas, 'must be greater than or equal to 1'));
  if (!isInt(spec.maxReplicas) || spec.maxReplicas < 1) out.push(field.invalid('spec.maxReplicas', spec.maxReplicas ?? 0, 'must be greater than 0'));
  if (isInt(spec.maxReplicas) && isInt(spec.minReplicas) && spec.minReplicas > spec.maxReplicas) out.push(field.invalid('spec.maxReplicas', spec.maxReplicas, 'must be greater than or equal to `minReplicas`'));
  (spec.metrics ?? []).forEach((m: Obj, i: number) => {
    const path = `spec.metrics[${i}]`;
    if (!['Object', 'Pods', 'Resource', 'ContainerResource', 'External'].includes(m.type)) return out.push(field.notSupported(`${path}.type`, m.type, ['ContainerResource', 'External', 'Object', 'Pods', 'Resource']));
    if (m.type !== 'Resource') return;
    const t = m.resource?.target ?? {};
    if (!m.resource?.name) out.push(field.required(`${path}.resource.name`));
    if (t.type === 'Utilization') {
      if (!isInt(t.averageUtilization) || t.averageUtilization < 1) out.push(field.invalid(`${path}.resource.target.averageUtilization`, t.averageUtilization, 'must be greater than 0'));
    } else if (t.type === 'AverageValue') {
      if (t.averageValue === undefined) out.push(field.required(`${path}.resource.target.averageValue`, 'must set either a target raw value or a target utilization'));
    } else out.push(field.notSupported(`${path}.resource.target.type`, t.type, ['AverageValue', 'Utilization']));
  });
  if (spec.behavior) {
    out.push(...validateRules(spec.behavior.scaleUp, 'spec.behavior.scaleUp'), ...validateRules(spec.behavior.scaleDown, 'spec.behavior.scaleDown'));
  }
  return out;
}
