// apps/v1 StatefulSet update strategy defaults and validation, as upstream with
// MaxUnavailableStatefulSet (beta) on: a RollingUpdate gets partition 0 and
// maxUnavailable 1, and maxUnavailable must be a non-zero integer or percent of
// at most 100% (validateRollingUpdateStatefulSet's causes and messages).
import type { StatusCause } from '../errors.js';
import { field } from '../errors.js';

type Obj = Record<string, any>;

const TYPES = ['RollingUpdate', 'OnDelete'];
const PERCENT_MSG = "a valid percent string must be a numeric string followed by an ending '%' (e.g. '1%',  or '93%', regex used for validation is '[0-9]+%')";
const PATH = 'spec.updateStrategy.rollingUpdate';

export function defaultStatefulSetUpdateStrategy(spec: Obj): void {
  spec.updateStrategy ??= { type: 'RollingUpdate' };
  spec.updateStrategy.type ??= 'RollingUpdate';
  if (spec.updateStrategy.type !== 'RollingUpdate') return;
  const ru = (spec.updateStrategy.rollingUpdate ??= {});
  ru.partition ??= 0;
  ru.maxUnavailable ??= 1;
}

// an IntOrString prints as its String() in upstream's field errors: 0, 0%, 150%
const invalid = (path: string, v: unknown, detail: string): StatusCause => ({ reason: 'FieldValueInvalid', field: path, message: `Invalid value: ${typeof v === 'string' || typeof v === 'number' ? String(v) : JSON.stringify(v)}: ${detail}` });

export function validateStatefulSetUpdateStrategy(spec: Obj): StatusCause[] {
  const strategy = (spec.updateStrategy ?? {}) as Obj;
  const causes: StatusCause[] = [];
  if (!TYPES.includes(strategy.type)) return [field.invalid('spec.updateStrategy', strategy, "must be 'RollingUpdate' or 'OnDelete'")];
  const ru = strategy.rollingUpdate as Obj | undefined;
  if (!ru) return [];
  if (strategy.type !== 'RollingUpdate') return [field.invalid(PATH, ru, "only allowed for updateStrategy 'RollingUpdate'")];
  const p = ru.partition;
  if (p !== undefined && p !== null && (!Number.isInteger(p) || p < 0)) causes.push(field.invalid(`${PATH}.partition`, p, 'must be greater than or equal to 0'));
  const mu = ru.maxUnavailable;
  if (mu === undefined || mu === null) return causes;
  const path = `${PATH}.maxUnavailable`;
  if (typeof mu === 'number') {
    if (!Number.isInteger(mu)) causes.push(invalid(path, mu, "must be an integer or percentage (e.g '5%')"));
    else if (mu < 0) causes.push(field.invalid(path, mu, 'must be greater than or equal to 0'));
    else if (mu === 0) causes.push(invalid(path, mu, 'cannot be 0'));
  } else if (typeof mu === 'string') {
    const m = /^([0-9]+)%$/.exec(mu);
    if (!m) causes.push(invalid(path, mu, PERCENT_MSG));
    else if (Number(m[1]) === 0) causes.push(invalid(path, mu, 'cannot be 0'));
    else if (Number(m[1]) > 100) causes.push(invalid(path, mu, 'must not be greater than 100%'));
  } else causes.push(invalid(path, mu, "must be an integer or percentage (e.g '5%')"));
  return causes;
}
