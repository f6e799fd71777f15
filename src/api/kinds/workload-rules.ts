// Rules shared by the controllers that own pod templates: the selector must
// select the template, and (apps/v1) never changes after create.
import { field, type StatusCause } from '../errors.js';
import type { KubeObject } from '../object.js';
import { selectorFromLabelSelector } from '../selectors/label-selector.js';
import { defaultPodSpec, validatePodSpec } from './pod-defaults.js';
import { validateNoEphemeralContainersInTemplate } from './ephemeral-containers-rules.js';

type Obj = Record<string, any>;

export function templateOf(obj: KubeObject, path = 'spec.template'): Obj | undefined {
  let cur: any = obj;
  for (const p of path.split('.')) cur = cur?.[p];
  return cur;
}

export function defaultTemplate(obj: KubeObject, path = 'spec.template'): void {
  const t = templateOf(obj, path);
  if (t && typeof t === 'object') defaultPodSpec(t.spec);
}

function goMap(m: Record<string, string>): string {
  return `map[string]string{${Object.entries(m).map(([k, v]) => `"${k}":"${v}"`).join(', ')}}`;
}

export function validateSelectorAndTemplate(obj: KubeObject, opts: { selectorPath?: string; templatePath?: string; restartPolicies?: string[]; plainSelector?: boolean }): StatusCause[] {
  const causes: StatusCause[] = [];
  const spec = (obj.spec ?? {}) as Obj;
  const tPath = opts.templatePath ?? 'spec.template';
  const template = templateOf(obj, tPath);
  const selector = spec.selector;
  if (!template) return [field.required(tPath)];
  const labels: Record<string, string> = template.metadata?.labels ?? {};
  if (opts.plainSelector) {
    const sel = selector && Object.keys(selector).length ? selector : labels;
    if (Object.entries(sel as Record<string, string>).some(([k, v]) => labels[k] !== v)) {
      causes.push(field.invalid(`${tPath}.metadata.labels`, goMap(labels), '`selector` does not match template `labels`'));
    }
  } else {
    if (!selector) causes.push(field.required('spec.selector'));
    else {
      let matches = false;
      try {
        const sel = selectorFromLabelSelector(selector);
        if (sel.empty()) causes.push(field.invalid('spec.selector', selector, 'empty selector is invalid for deployment'));
        matches = sel.matches(labels);
      } catch (e) {
        causes.push(field.invalid('spec.selector', selector, (e as Error).message));
        matches = true;
      }
      if (!matches) causes.push(field.invalid(`${tPath}.metadata.labels`, goMap(labels), '`selector` does not match template `labels`'));
    }
  }
  causes.push(...validatePodSpec(template.spec, `${tPath}.spec`, opts.restartPolicies), ...validateNoEphemeralContainersInTemplate(template.spec, `${tPath}.spec`));
  if (spec.replicas !== undefined && (!Number.isInteger(spec.replicas) || spec.replicas < 0)) {
    causes.push(field.invalid('spec.replicas', spec.replicas, 'must be greater than or equal to 0'));
  }
  return causes;
}

export function immutableSelector(obj: KubeObject, old: KubeObject): StatusCause[] {
  const a = JSON.stringify((obj.spec as Obj | undefined)?.selector ?? null);
  const b = JSON.stringify((old.spec as Obj | undefined)?.selector ?? null);
  return a === b ? [] : [field.invalid('spec.selector', (obj.spec as Obj | undefined)?.selector, 'field is immutable')];
}
