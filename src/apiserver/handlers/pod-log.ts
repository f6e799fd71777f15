// pods/{name}/log: finds the pod's node and streams the container log from the
// node's endpoint, as upstream's apiserver proxies to the kubelet.
import https from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ApiError, errors } from '../../api/errors.js';
import type { KubeObject } from '../../api/object.js';
import { findResource } from '../../api/kinds/resources.js';
import { allContainers } from '../../api/kinds/pod-containers.js';
import type { GenericRegistry } from '../registry/generic-registry.js';

export interface NodeClientCredentials {
  certPem: string;
  keyPem: string;
}

const PASS_THROUGH = ['follow', 'previous', 'timestamps', 'tailLines', 'sinceSeconds', 'sinceTime', 'limitBytes'];

export async function podLog(req: IncomingMessage, res: ServerResponse, registry: GenericRegistry, creds: NodeClientCredentials | undefined, ns: string, name: string, q: URLSearchParams): Promise<void> {
  const pod = await registry.get(findResource('', 'pods')!, 'v1', ns, name);
  const spec = (pod.spec ?? {}) as { nodeName?: string; containers?: Array<{ name: string }>; initContainers?: Array<{ name: string }>; ephemeralContainers?: Array<{ name: string }> };
  // upstream lists them in this order in its error: containers, init, ephemeral (kubectl debug's)
  const names = allContainers(spec).map((c) => c.name);
  let container = q.get('container') ?? '';
  if (!container) {
    if ((spec.containers ?? []).length !== 1) {
      throw errors.badRequest(`a container name must be specified for pod ${name}, choose one of: [${names.join(' ')}]`);
    }
    container = spec.containers![0].name;
  }
  if (!names.includes(container)) throw errors.badRequest(`container ${container} is not valid for pod ${name}`);
  if (!spec.nodeName) throw errors.badRequest(`pod ${name} does not have a host assigned`);
  if (!creds) throw new ApiError(503, 'ServiceUnavailable', 'the API server has no credentials for nodes');
  const node = await registry.get(findResource('', 'nodes')!, 'v1', undefined, spec.nodeName);
  const { host, port } = nodeEndpoint(node);
  const out = new URLSearchParams();
  for (const k of PASS_THROUGH) if (q.get(k) !== null) out.set(k, q.get(k)!);
  const path = `/containerLogs/${encodeURIComponent(ns)}/${encodeURIComponent(name)}/${encodeURIComponent(container)}?${out}`;
  await new Promise<void>((resolve, reject) => {
    const upstream = https.request(
      // the node's certificate is self-signed until nodes join with CA-signed ones (see the issue note)
      { host, port, path, method: 'GET', cert: creds.certPem, key: creds.keyPem, rejectUnauthorized: false, timeout: 30_000 },
      (up) => {
        if ((up.statusCode ?? 500) >= 400) {
          let text = '';
          up.on('data', (d) => (text += d));
          up.on('end', () => reject(new ApiError(up.statusCode === 404 ? 404 : 400, up.statusCode === 404 ? 'NotFound' : 'BadRequest', text.trim() || `the node answered ${up.statusCode}`)));
          return;
        }
        res.writeHead(200, { 'content-type': 'text/plain', 'transfer-encoding': 'chunked', 'cache-control': 'no-cache, private' });
        up.pipe(res);
        up.on('end', () => resolve());
        up.on('error', () => resolve());
      },
    );
    upstream.on('timeout', () => upstream.destroy(new Error('timed out')));
    upstream.on('error', (e) => reject(new ApiError(502, 'InternalError', `cannot reach node ${spec.nodeName} at ${host}:${port}: ${e.message}`)));
    req.on('close', () => upstream.destroy());
    res.on('close', () => upstream.destroy());
    upstream.end();
  });
}

export function nodeEndpoint(node: KubeObject): { host: string; port: number } {
  const status = (node.status ?? {}) as { addresses?: Array<{ type: string; address: string }>; daemonEndpoints?: { kubeletEndpoint?: { Port?: number } } };
  const addrs = status.addresses ?? [];
  const host = addrs.find((a) => a.type === 'InternalIP')?.address ?? addrs.find((a) => a.type === 'Hostname')?.address;
  if (!host) throw errors.badRequest(`node ${node.metadata.name} reports no address`);
  return { host, port: status.daemonEndpoints?.kubeletEndpoint?.Port ?? 10250 };
}
