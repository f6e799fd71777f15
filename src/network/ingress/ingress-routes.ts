// Which backend an HTTP request goes to, by the Ingress rules of class skiff:
// host match (exact, or "*.example.com" for exactly one more label), then path
// (Exact, Prefix by whole path elements; ImplementationSpecific as Prefix),
// the longest path winning, Exact before Prefix at equal length; then the
// Ingress's defaultBackend. Pure, so it is tested without sockets.
import type { KubeObject } from '../../api/object.js';

type Obj = Record<string, any>;

export interface Backend {
  namespace: string;
  service: string;
  /** a port number or a port name of the Service */
  port: number | string;
}

interface Candidate {
  backend: Backend;
  exact: boolean;
  length: number;
  /** exact hosts beat wildcard hosts */
  hostScore: number;
}

export function hostMatches(ruleHost: string | undefined, host: string): number {
  if (!ruleHost) return 1;
  if (ruleHost === host) return 3;
  if (ruleHost.startsWith('*.')) {
    const suffix = ruleHost.slice(1);
    const dot = host.indexOf('.');
    if (dot > 0 && host.slice(dot) === suffix) return 2;
  }
  return 0;
}

export function pathMatches(type: string, rulePath: string, path: string): boolean {
  if (type === 'Exact') return rulePath === path;
  // Prefix: element-wise, "/foo" matches "/foo" and "/foo/bar", not "/foobar"
  const want = rulePath.replace(/\/+$/, '');
  if (want === '') return true;
  return path === want || path.startsWith(`${want}/`);
}

function backendOf(ing: KubeObject, b: Obj | undefined): Backend | undefined {
  const svc = b?.service;
  if (!svc?.name) return undefined;
  const port = svc.port?.number ?? svc.port?.name;
  if (port === undefined) return undefined;
  return { namespace: ing.metadata.namespace!, service: svc.name, port };
}

export function route(ingresses: KubeObject[], rawHost: string | undefined, rawPath: string): Backend | undefined {
  const host = (rawHost ?? '').replace(/:\d+$/, '').toLowerCase();
  const path = rawPath.split('?')[0] || '/';
  const found: Candidate[] = [];
  for (const ing of ingresses) {
    const spec = (ing.spec ?? {}) as Obj;
    for (const rule of (spec.rules ?? []) as Obj[]) {
      const hostScore = hostMatches(rule.host, host);
      if (!hostScore) continue;
      for (const p of (rule.http?.paths ?? []) as Obj[]) {
        const type = p.pathType ?? 'ImplementationSpecific';
        const rp = (p.path as string | undefined) ?? '/';
        if (!pathMatches(type, rp, path)) continue;
        const backend = backendOf(ing, p.backend);
        if (backend) found.push({ backend, exact: type === 'Exact', length: rp.length, hostScore });
      }
    }
  }
  found.sort((a, b) => b.hostScore - a.hostScore || b.length - a.length || Number(b.exact) - Number(a.exact));
  if (found[0]) return found[0].backend;
  // oldest Ingress's default backend first, so the choice is stable
  const byAge = [...ingresses].sort((a, b) => String(a.metadata.creationTimestamp).localeCompare(String(b.metadata.creationTimestamp)));
  for (const ing of byAge) {
    const b = backendOf(ing, ((ing.spec ?? {}) as Obj).defaultBackend);
    if (b) return b;
  }
  return undefined;
}
