// pods/exec, pods/attach and pods/portforward: an upgrade-aware proxy, as
// upstream's: the client's WebSocket upgrade request is sent on to the pod's
// node and the two connections are joined byte for byte, so the stream
// protocol (WebSocket channels, SPDY tunnelled for port-forward, or a plain
// SPDY/3.1 upgrade) is the node's business.
import tls from 'node:tls';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { ApiError, errors } from '../../api/errors.js';
import { findResource } from '../../api/kinds/resources.js';
import { allContainers } from '../../api/kinds/pod-containers.js';
import type { GenericRegistry } from '../registry/generic-registry.js';
import { nodeEndpoint, type NodeClientCredentials } from './pod-log.js';

// a SPDY client lists its stream protocols as repeated X-Stream-Protocol-Version headers: each line goes on as it came
const FORWARDED = new Set(['upgrade', 'connection', 'sec-websocket-key', 'sec-websocket-version', 'sec-websocket-protocol', 'sec-websocket-extensions', 'x-stream-protocol-version']);

function forwardedHeaders(req: IncomingMessage): string {
  let out = '';
  for (let i = 0; i + 1 < req.rawHeaders.length; i += 2) {
    const name = req.rawHeaders[i];
    if (FORWARDED.has(name.toLowerCase())) out += `${name}: ${req.rawHeaders[i + 1]}\r\n`;
  }
  return out;
}

function refuse(socket: Duplex, e: unknown): void {
  const err = e instanceof ApiError ? e : errors.internal(String((e as Error)?.message ?? e));
  const body = JSON.stringify(err.toStatus());
  socket.end(`HTTP/1.1 ${err.code} ${err.reason}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
}

export type StreamSubresource = 'exec' | 'attach' | 'portforward';

export async function proxyExec(req: IncomingMessage, socket: Duplex, head: Buffer, registry: GenericRegistry, creds: NodeClientCredentials | undefined, ns: string, name: string, q: URLSearchParams, subresource: StreamSubresource = 'exec'): Promise<void> {
  try {
    const pod = await registry.get(findResource('', 'pods')!, 'v1', ns, name);
    const spec = (pod.spec ?? {}) as { nodeName?: string; containers?: Array<{ name: string }>; initContainers?: Array<{ name: string }>; ephemeralContainers?: Array<{ name: string }> };
    const phase = (pod.status as { phase?: string } | undefined)?.phase;
    let path: string;
    if (subresource === 'portforward') {
      if (phase === 'Succeeded' || phase === 'Failed') throw errors.badRequest(`cannot port-forward to a completed pod; current phase is ${phase}`);
      path = `/portForward/${encodeURIComponent(ns)}/${encodeURIComponent(name)}?${q}`;
    } else {
      let container = q.get('container') ?? '';
      if (!container) {
        if ((spec.containers ?? []).length !== 1) throw errors.badRequest(`a container name must be specified for pod ${name}, choose one of: [${(spec.containers ?? []).map((c) => c.name).join(' ')}]`);
        container = spec.containers![0].name;
      }
      if (!allContainers(spec).some((c) => c.name === container)) throw errors.badRequest(`container ${container} is not valid for pod ${name}`);
      if (phase === 'Succeeded' || phase === 'Failed') throw errors.badRequest(`cannot ${subresource} into a container in a completed pod; current phase is ${phase}`);
      path = `/${subresource}/${encodeURIComponent(ns)}/${encodeURIComponent(name)}/${encodeURIComponent(container)}?${q}`;
    }
    if (!spec.nodeName) throw errors.badRequest(`pod ${name} does not have a host assigned`);
    if (!creds) throw new ApiError(503, 'ServiceUnavailable', 'the API server has no credentials for nodes');
    const node = await registry.get(findResource('', 'nodes')!, 'v1', undefined, spec.nodeName);
    const { host, port } = nodeEndpoint(node);
    const upstream = tls.connect({ host, port, cert: creds.certPem, key: creds.keyPem, rejectUnauthorized: false });
    upstream.on('error', (e) => refuse(socket, new ApiError(502, 'InternalError', `cannot reach node ${spec.nodeName}: ${e.message}`)));
    upstream.once('secureConnect', () => {
      upstream.write(`GET ${path} HTTP/1.1\r\nHost: ${host}:${port}\r\n${forwardedHeaders(req)}\r\n`);
      if (head.length) upstream.write(head);
      upstream.pipe(socket);
      socket.pipe(upstream);
      socket.on('error', () => upstream.destroy());
      socket.on('close', () => upstream.destroy());
      upstream.on('close', () => socket.destroy());
    });
  } catch (e) {
    refuse(socket, e);
  }
}
