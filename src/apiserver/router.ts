// Routes one HTTP request: health and version, discovery, OpenAPI, then resources.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ApiError, errors } from '../api/errors.js';
import { sendError, send, sendRaw } from './http/respond.js';
import { healthAnswer, type HealthChecks } from './handlers/health.js';
import { requestInfo, type ResourceRequest } from './request-info.js';
import { AGGREGATED_V2, AGGREGATED_V2BETA1, type Discovery } from './handlers/discovery.js';
import type { ResourceHandler } from './handlers/resource-handler.js';
import type { OpenApiHandler } from './handlers/openapi.js';
import { versionInfo } from './handlers/version.js';
import { handleReview, isReview } from './handlers/reviews.js';
import type { TokenReviewer } from './authn/token-review.js';

export interface UserInfo {
  username: string;
  uid?: string;
  groups: string[];
  extra?: Record<string, string[]>;
}

export interface RouterDeps {
  discovery: Discovery;
  resources: ResourceHandler;
  openapi: OpenApiHandler;
  authenticate(req: IncomingMessage): UserInfo | null | Promise<UserInfo | null>;
  /** TokenReview: checks a token someone else was handed */
  reviewToken?: TokenReviewer;
  /** service account issuer discovery (/.well-known/openid-configuration, /openid/v1/jwks); false for other paths */
  oidc?: (res: ServerResponse, path: string) => boolean;
  ready(): boolean;
  /** metrics.k8s.io, served from the metrics scraper rather than storage */
  metrics?: { handle(req: IncomingMessage, res: ServerResponse, r: ResourceRequest, q: URLSearchParams): Promise<void> };
  log(msg: string, extra?: Record<string, unknown>): void;
}

// Paths anyone may read, as upstream's system:public-info-viewer role allows.
const PUBLIC = new Set(['/healthz', '/livez', '/readyz', '/version', '/version/']);

export function createRouter(deps: RouterDeps) {
  return async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = process.hrtime.bigint();
    let url: URL;
    try {
      url = new URL(req.url ?? '/', 'https://localhost');
    } catch {
      sendError(res, errors.badRequest('malformed request URL'));
      return;
    }
    try {
      await dispatch(req, res, url, deps);
    } catch (e) {
      const code = (e as { code?: unknown }).code;
      if (typeof code !== 'number' || code >= 500) {
        deps.log('request failed', { method: req.method, path: url.pathname, error: (e as Error)?.stack ?? String(e) });
      }
      sendError(res, e);
    } finally {
      if (process.env.SKIFF_LOG_REQUESTS) {
        const ms = Number(process.hrtime.bigint() - started) / 1e6;
        deps.log('request', { method: req.method, path: url.pathname, code: res.statusCode, ms: Math.round(ms * 100) / 100 });
      }
    }
  };
}

async function dispatch(req: IncomingMessage, res: ServerResponse, url: URL, deps: RouterDeps): Promise<void> {
  const path = url.pathname.replace(/\/+$/, '') || '/';
  const method = req.method ?? 'GET';

  const health = /^\/(healthz|livez|readyz)(\/.*)?$/.exec(path);
  if (health) {
    const ready = deps.ready;
    // liveness does not wait for storage to be ready; readiness does
    const checks: HealthChecks = health[1] === 'readyz' ? { ping: () => true, log: () => true, etcd: ready, 'informer-sync': ready } : { ping: () => true, log: () => true, etcd: () => true };
    const a = healthAnswer(health[1] as 'healthz' | 'livez' | 'readyz', checks, health[2] ?? '', url.searchParams);
    return sendRaw(res, a.code, 'text/plain; charset=utf-8', a.body);
  }

  const user = await deps.authenticate(req);
  if (!user && !PUBLIC.has(path)) throw errors.unauthorized();

  if (path === '/version') return send(res, 200, versionInfo());
  if ((method === 'GET' || method === 'HEAD') && deps.oidc?.(res, path)) return;

  if (method === 'GET' || method === 'HEAD') {
    if (path === '/api' || path === '/apis') {
      const accept = req.headers.accept ?? '';
      const agg = aggregatedVersion(accept);
      if (agg) {
        const body = deps.discovery.aggregated(path === '/api', agg);
        return sendRaw(res, 200, agg === 'v2' ? AGGREGATED_V2 : AGGREGATED_V2BETA1, JSON.stringify(body), { vary: 'Accept' });
      }
      return send(res, 200, path === '/api' ? deps.discovery.apiVersions() : deps.discovery.apiGroupList());
    }
    if (path === '/api/v1') return send(res, 200, deps.discovery.apiResourceList('', 'v1'));
    const m = /^\/apis\/([^/]+)(?:\/([^/]+))?$/.exec(path);
    if (m) {
      const body = m[2] ? deps.discovery.apiResourceList(m[1], m[2]) : deps.discovery.apiGroup(m[1]);
      if (!body) throw notFoundPath();
      return send(res, 200, body);
    }
    if (path === '/openapi/v2' || path.startsWith('/openapi/v3')) return deps.openapi.handle(req, res, path, url.searchParams);
  }

  const ri = requestInfo(method, path, url.searchParams);
  if (ri.kind !== 'resource') throw notFoundPath();
  // POST /api/v1/namespaces/{ns}/bindings is the older spelling of pods/binding
  if (ri.group === '' && ri.resource === 'bindings' && ri.verb === 'create' && ri.namespace) {
    return deps.resources.createBinding(req, res, ri.namespace, url.searchParams);
  }
  const info = deps.discovery.findByPlural(ri.group, ri.version, ri.resource);
  if (!info) throw notFoundPath();
  if (ri.group === 'metrics.k8s.io' && deps.metrics) return deps.metrics.handle(req, res, ri, url.searchParams);
  if (isReview(ri.group, ri.resource) && !ri.name) return handleReview(req, res, user!, ri.group, ri.version, ri.resource, ri.namespace, deps.reviewToken);
  await deps.resources.handle(req, res, ri, info, url.searchParams);
}

function aggregatedVersion(accept: string): 'v2' | 'v2beta1' | undefined {
  for (const part of accept.split(',')) {
    const p = part.replace(/\s+/g, '');
    if (p.includes('as=APIGroupDiscoveryList') && p.includes('g=apidiscovery.k8s.io')) {
      if (p.includes('v=v2beta1')) return 'v2beta1';
      if (p.includes('v=v2')) return 'v2';
    }
  }
  return undefined;
}

function notFoundPath(): ApiError {
  return new ApiError(404, 'NotFound', 'the server could not find the requested resource');
}
