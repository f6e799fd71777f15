// The proxy subresources, as upstream's apiserver serves them (what `kubectl
// proxy` users and dashboards reach through /api/v1/.../proxy/...):
//   pods/{[scheme:]name[:port]}/proxy/{path}      -> the pod IP
//   services/{[scheme:]name[:port]}/proxy/{path}  -> one ready endpoint of that port
//   nodes/{[scheme:]name[:port]}/proxy/{path}     -> the node's kubelet endpoint
// Any method; bodies and answers are streamed. Upstream also rewrites links in
// HTML answers to the proxy prefix; we pass bodies through unchanged.
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import https from 'node:https';
import { ApiError, errors } from '../../api/errors.js';
import type { KubeObject } from '../../api/object.js';
import { findResource } from '../../api/kinds/resources.js';
import type { GenericRegistry } from '../registry/generic-registry.js';
import { nodeEndpoint, type NodeClientCredentials } from './pod-log.js';

type Obj = Record<string, any>;

export type ProxyKind = 'pods' | 'services' | 'nodes';

export interface ProxyTarget {
  scheme: 'http' | 'https';
  host: string;
  port: number;
  /** the node's client certificate is presented (nodes/proxy only) */
  asApiServer?: boolean;
}

/** "name", "name:port" or "scheme:name:port", as upstream's SplitSchemeNamePort. */
export function splitSchemeNamePort(id: string): { scheme: string; name: string; port: string } | undefined {
  const parts = id.split(':');
  let scheme = '';
  let name: string;
  let port = '';
  if (parts.length === 1) name = parts[0]!;
  else if (parts.length === 2) [name, port] = parts as [string, string];
  else if (parts.length === 3) [scheme, name, port] = parts as [string, string, string];
  else return undefined;
  if (!name || (scheme && scheme !== 'http' && scheme !== 'https')) return undefined;
  return { scheme, name, port };
}

/** Where pods/proxy goes: the pod IP, at a port number or a container port's name (80 when none). */
export function podTarget(pod: KubeObject, scheme: string, port: string): ProxyTarget {
  const ip = (pod.status as Obj | undefined)?.podIP as string | undefined;
  if (!ip) throw new ApiError(503, 'ServiceUnavailable', `pod ${pod.metadata.name} has no IP yet; wait until it is running (kubectl get pod ${pod.metadata.name} -o wide)`);
  let n = port === '' ? 80 : Number(port);
  if (port !== '' && !/^\d+$/.test(port)) {
    const named = ((((pod.spec as Obj | undefined)?.containers ?? []) as Obj[]).flatMap((c) => (c.ports ?? []) as Obj[])).find((p) => p.name === port);
    if (!named) throw errors.badRequest(`pod ${pod.metadata.name} has no container port named ${JSON.stringify(port)}`);
    n = named.containerPort as number;
  }
  if (!Number.isInteger(n) || n < 1 || n > 65535) throw errors.badRequest(`invalid port ${JSON.stringify(port)}`);
  return { scheme: scheme === 'https' ? 'https' : 'http', host: ip, port: n };
}

/**
 * Where services/proxy goes: the Service port given by number or name (the
 * unnamed port when none), then a random ready endpoint of it from the
 * EndpointSlices, as upstream's service ResourceLocation.
 */
export function serviceTarget(svc: KubeObject, slices: KubeObject[], scheme: string, port: string, random = Math.random): ProxyTarget {
  const ports = (((svc.spec as Obj | undefined)?.ports ?? []) as Obj[]);
  let portName = port;
  if (/^\d+$/.test(port)) {
    const byNumber = ports.find((p) => p.port === Number(port));
    if (!byNumber) throw new ApiError(503, 'ServiceUnavailable', `no service port ${port} found for service "${svc.metadata.name}"`);
    portName = (byNumber.name as string | undefined) ?? '';
  }
  const candidates: { ip: string; port: number }[] = [];
  for (const s of slices) {
    const sp = ((s as Obj).ports ?? []).find((p: Obj) => (p.name ?? '') === portName);
    if (!sp?.port) continue;
    for (const e of ((s as Obj).endpoints ?? []) as Obj[]) {
      if (e.conditions?.ready === false) continue;
      for (const addr of (e.addresses ?? []) as string[]) candidates.push({ ip: addr, port: sp.port as number });
    }
  }
  if (!candidates.length) throw new ApiError(503, 'ServiceUnavailable', `no endpoints available for service "${svc.metadata.name}${port ? `:${port}` : ''}"`);
  const pick = candidates[Math.floor(random() * candidates.length)]!;
  return { scheme: scheme === 'https' ? 'https' : 'http', host: pick.ip, port: pick.port };
}

/** Where nodes/proxy goes: the node's endpoint (kubelet port unless another is named), over https by default. */
export function nodeTarget(node: KubeObject, scheme: string, port: string): ProxyTarget {
  const ep = nodeEndpoint(node);
  const n = port === '' ? ep.port : Number(port);
  if (!Number.isInteger(n) || n < 1 || n > 65535) throw errors.badRequest(`invalid port ${JSON.stringify(port)}`);
  return { scheme: scheme === 'http' ? 'http' : 'https', host: ep.host, port: n, asApiServer: true };
}

/** Per-connection headers a proxy must not forward (RFC 9110 7.6.1), and our own credentials. */
const DROPPED = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'te', 'trailer', 'upgrade', 'proxy-authorization', 'proxy-authenticate', 'authorization', 'host']);

export async function proxySubresource(req: IncomingMessage, res: ServerResponse, registry: GenericRegistry, creds: NodeClientCredentials | undefined, kind: ProxyKind, ns: string | undefined, id: string, subpath: string, query: string): Promise<void> {
  const parsed = splitSchemeNamePort(id);
  if (!parsed) throw errors.badRequest(`invalid ${kind} proxy name ${JSON.stringify(id)}: want name, name:port or scheme:name:port`);
  const { scheme, name, port } = parsed;
  let target: ProxyTarget;
  if (kind === 'pods') {
    target = podTarget(await registry.get(findResource('', 'pods')!, 'v1', ns, name), scheme, port);
  } else if (kind === 'services') {
    const svc = await registry.get(findResource('', 'services')!, 'v1', ns, name);
    // the watch cache's copy (resourceVersion 0): a proxied request must not cost a storage read
    const slices = (await registry.list(findResource('discovery.k8s.io', 'endpointslices')!, 'v1', ns, { resourceVersion: '0' })).items.filter((s) => s.metadata.labels?.['kubernetes.io/service-name'] === name);
    target = serviceTarget(svc, slices, scheme, port);
  } else {
    target = nodeTarget(await registry.get(findResource('', 'nodes')!, 'v1', undefined, name), scheme, port);
    if (!creds) throw new ApiError(503, 'ServiceUnavailable', 'the API server has no credentials for nodes');
  }
  const headers: Record<string, string | string[]> = {};
  for (const [k, v] of Object.entries(req.headers)) if (v !== undefined && !DROPPED.has(k)) headers[k] = v;
  headers.host = `${target.host}:${target.port}`;
  const forwardedFor = req.socket.remoteAddress;
  if (forwardedFor) headers['x-forwarded-for'] = req.headers['x-forwarded-for'] ? `${req.headers['x-forwarded-for']}, ${forwardedFor}` : forwardedFor;
  const path = `/${subpath}${query ? `?${query}` : ''}`;
  const tlsOpts = target.scheme === 'https' ? { rejectUnauthorized: false, ...(target.asApiServer && creds ? { cert: creds.certPem, key: creds.keyPem } : {}) } : {};
  await new Promise<void>((resolve, reject) => {
    const lib = target.scheme === 'https' ? https : http;
    const up = lib.request({ host: target.host, port: target.port, method: req.method, path, headers, timeout: 60_000, ...tlsOpts }, (answer) => {
      const out: Record<string, string | string[]> = {};
      for (const [k, v] of Object.entries(answer.headers)) if (v !== undefined && !DROPPED.has(k)) out[k] = v;
      res.writeHead(answer.statusCode ?? 502, out);
      answer.pipe(res);
      answer.on('end', () => resolve());
      answer.on('error', () => resolve());
    });
    up.on('timeout', () => up.destroy(new Error('timed out after 60 s')));
    up.on('error', (e) => {
      if (res.headersSent) {
        res.destroy();
        return resolve();
      }
      reject(new ApiError(503, 'ServiceUnavailable', `error trying to reach ${kind === 'nodes' ? 'node' : kind === 'pods' ? 'pod' : 'service'} ${name} at ${target.scheme}://${target.host}:${target.port}: ${e.message}`));
    });
    res.on('close', () => up.destroy());
    req.pipe(up);
  });
}
