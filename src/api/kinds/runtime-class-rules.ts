// RuntimeClass (node.k8s.io/v1) validation as upstream's: a handler is
// required, is a DNS label (it names a runtime configuration on nodes), and
// cannot change once set.
import type { Strategy } from '../resource.js';
import { field } from '../errors.js';
import { dns1123Label } from '../validation/names.js';

export const runtimeClassStrategy: Strategy = {
  validate(o) {
    if (typeof o.handler !== 'string' || !o.handler) return [field.required('handler')];
    return dns1123Label(o.handler).map((e) => field.invalid('handler', o.handler, e));
  },
  validateUpdate: (o, old) => (o.handler !== old.handler ? [field.immutable('handler')] : []),
};
