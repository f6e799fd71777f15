// PodDisruptionBudget (policy/v1) validation, as upstream's
// ValidatePodDisruptionBudgetSpec: one of minAvailable and maxUnavailable, each a
// non-negative integer or a percent of at most 100%, a parseable selector and a
// known unhealthyPodEvictionPolicy. A budget the controller cannot compute is
// refused here with 422 rather than failing safe forever after.
import { field, type StatusCause } from '../errors.js';
import type { KubeObject } from '../object.js';
import type { Strategy } from '../resource.js';
import { selectorFromLabelSelector } from '../selectors/label-selector.js';
import { validateLabels } from '../validation/object-meta.js';

type Obj = Record<string, any>;

const EVICTION_POLICIES = ['AlwaysAllow', 'IfHealthyBudget'];
const PERCENT_MSG = "a valid percent string must be a numeric string followed by an ending '%' (e.g. '1%',  or '93%', regex used for validation is '[0-9]+%')";

const isSet = (v: unknown) => v !== undefined && v !== null;

/** upstream's ValidatePositiveIntOrPercent and IsNotMoreThan100Percent */
function intOrPercent(v: unknown, path: string): StatusCause[] {
  if (typeof v === 'number') {
    if (!Number.isInteger(v)) return [field.invalid(path, v, 'must be an integer or a percent string')];
    return v < 0 ? [field.invalid(path, v, 'must be greater than or equal to 0')] : [];
  }
  if (typeof v !== 'string') return [field.invalid(path, v, 'must be an integer or a percent string')];
  const m = /^([0-9]+)%$/.exec(v);
  if (!m) return [field.invalid(path, v, PERCENT_MSG)];
  return Number(m[1]) > 100 ? [field.invalid(path, v, 'must not be greater than 100%')] : [];
}

function validateSelector(sel: unknown, path: string): StatusCause[] {
  if (!isSet(sel)) return [];
  if (typeof sel !== 'object' || Array.isArray(sel)) return [field.invalid(path, sel, 'must be a label selector')];
  const causes = validateLabels((sel as Obj).matchLabels, `${path}.matchLabels`);
  try {
    selectorFromLabelSelector(sel);
  } catch (e) {
    causes.push(field.invalid(path, sel, (e as Error).message));
  }
  return causes;
}

export function validatePdb(o: KubeObject): StatusCause[] {
  const spec = (o.spec ?? {}) as Obj;
  const causes: StatusCause[] = [];
  if (isSet(spec.minAvailable) && isSet(spec.maxUnavailable)) {
    causes.push(field.invalid('spec', { minAvailable: spec.minAvailable, maxUnavailable: spec.maxUnavailable }, 'minAvailable and maxUnavailable cannot be both set'));
  }
  if (isSet(spec.minAvailable)) causes.push(...intOrPercent(spec.minAvailable, 'spec.minAvailable'));
  if (isSet(spec.maxUnavailable)) causes.push(...intOrPercent(spec.maxUnavailable, 'spec.maxUnavailable'));
  causes.push(...validateSelector(spec.selector, 'spec.selector'));
  if (isSet(spec.unhealthyPodEvictionPolicy) && !EVICTION_POLICIES.includes(String(spec.unhealthyPodEvictionPolicy))) {
    causes.push(field.notSupported('spec.unhealthyPodEvictionPolicy', spec.unhealthyPodEvictionPolicy, EVICTION_POLICIES));
  }
  return causes;
}

/** upstream's ValidatePodDisruptionBudgetStatusUpdate: the counts are never negative. */
export function validatePdbStatus(o: KubeObject): StatusCause[] {
  const st = (o.status ?? {}) as Obj;
  const causes: StatusCause[] = [];
  for (const k of ['disruptionsAllowed', 'currentHealthy', 'desiredHealthy', 'expectedPods']) {
    const v = st[k];
    if (isSet(v) && (typeof v !== 'number' || !Number.isInteger(v) || v < 0)) causes.push(field.invalid(`status.${k}`, v, 'must be greater than or equal to 0'));
  }
  return causes;
}

export const pdbStrategy: Strategy = {
  prepareForCreate(o) {
    o.status = {};
  },
  validate: validatePdb,
  validateStatusUpdate: validatePdbStatus,
};
