// A small REST client for the Kubernetes API over node:https with keep-alive.
// Errors come back as ApiError carrying the server's Status.
import http from 'node:http';
import https from 'node:https';
import { createSecureContext } from 'node:tls';
import { ApiError, type StatusReason } from '../api/errors.js';
import type { KubeList, KubeObject } from '../api/object.js';
import type { ClientConfig } from './kubeconfig.js';

export interface ResourceRef {
  group: string;
  version: string;
  plural: string;
  namespaced: boolean;
}

export function resourcePath(r: ResourceRef, namespace?: string, name?: string, subresource?: string): string {
  let p = r.group ? `/apis/${r.group}/${r.version}` : `/api/${r.version}`;
  if (r.namespaced && namespace) p += `/namespaces/${encodeURIComponent(namespace)}`;
  p += `/${r.plural}`;
  if (name) p += `/${encodeURIComponent(name)}`;
  if (subresource) p += `/${subresource}`;
  return p;
}

export interface WatchEventOf<T> {
  type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';
  object: T;
}

// A pooled connection idle this long is closed (the server's own limit is 65 s):
// a burst of requests (a node starting 100 pods has 32 in flight) leaves no
// dozens of open TLS connections behind, ~40 KB of OpenSSL buffers each, while
// a client writing every 10 s (a node's lease) keeps one warm.
const IDLE_SOCKET_MS = 15_000;

export class RestClient {
  private readonly agent: http.Agent;
  // watches hold their connection for minutes: they get their own pool, so they
  // can never starve ordinary requests of sockets
  private readonly watchAgent: http.Agent;
  private readonly url: URL;

  /**
   * maxSockets: requests in flight at once (default 32); more wait for a free connection.
   * idleSocketMs: how long a pooled connection may wait for its next request.
   */
  constructor(
    readonly config: ClientConfig,
    opts: { maxSockets?: number; idleSocketMs?: number } = {},
  ) {
    this.url = new URL(config.server);
    const maxSockets = opts.maxSockets ?? 32;
    const timeout = opts.idleSocketMs ?? IDLE_SOCKET_MS;
    if (config.socketPath) {
      this.agent = new http.Agent({ keepAlive: true, maxSockets, timeout });
      this.watchAgent = new http.Agent({ keepAlive: false });
    } else {
      // one TLS context for every connection: given ca/cert/key instead, each socket (every watch
      // is one) parses them again into an OpenSSL context of its own, 30-50 KB of malloc apiece
      const secureContext = createSecureContext({ ca: config.ca, cert: config.cert, key: config.key });
      this.agent = new https.Agent({ keepAlive: true, maxSockets, secureContext, timeout });
      this.watchAgent = new https.Agent({ keepAlive: false, secureContext });
    }
  }

  /** One request to the server: HTTPS, or plain HTTP on the configured unix socket. */
  private send(method: string, path: string, agent: http.Agent, headers: Record<string, string>, onResponse: (res: http.IncomingMessage) => void): http.ClientRequest {
    const socketPath = this.config.socketPath;
    if (socketPath) return http.request({ socketPath, method, path, agent, headers }, onResponse);
    return https.request({ host: this.url.hostname, port: this.url.port || 443, method, path, agent, headers }, onResponse);
  }

  private headers(contentType?: string, accept = 'application/json'): Record<string, string> {
    const h: Record<string, string> = { accept, 'user-agent': 'skiff-controller-manager/0.1' };
    if (contentType) h['content-type'] = contentType;
    if (this.config.token) h.authorization = `Bearer ${this.config.token}`;
    return h;
  }

  request<T = any>(method: string, path: string, body?: unknown, contentType = 'application/json', accept?: string): Promise<T> {
    const payload = body === undefined ? undefined : Buffer.from(typeof body === 'string' ? body : JSON.stringify(body));
    const headers = this.headers(payload ? contentType : undefined, accept);
    // an explicit length: Node sends DELETE bodies unframed without one
    if (payload) headers['content-length'] = String(payload.length);
    return new Promise((resolve, reject) => {
      const req = this.send(
        method,
        path,
        this.agent,
        headers,
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (d: Buffer) => chunks.push(d));
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            let parsed: any;
            try {
              parsed = text ? JSON.parse(text) : {};
            } catch {
              parsed = { message: text };
            }
            const code = res.statusCode ?? 0;
            if (code >= 200 && code < 300) resolve(parsed as T);
            else reject(new ApiError(code, (parsed.reason as StatusReason) ?? 'InternalError', parsed.message ?? `HTTP ${code} from ${method} ${path}`, parsed.details));
          });
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      req.setTimeout(60_000, () => req.destroy(new Error(`request to ${path} timed out`)));
      req.end(payload);
    });
  }

  get<T = KubeObject>(r: ResourceRef, namespace: string | undefined, name: string): Promise<T> {
    return this.request('GET', resourcePath(r, namespace, name));
  }

  list<T = KubeObject>(r: ResourceRef, namespace?: string, query = '', accept?: string): Promise<KubeList<T & KubeObject>> {
    return this.request('GET', resourcePath(r, namespace) + (query ? `?${query}` : ''), undefined, undefined, accept);
  }

  update<T = KubeObject>(r: ResourceRef, obj: KubeObject, subresource?: string): Promise<T> {
    return this.request('PUT', resourcePath(r, obj.metadata.namespace, obj.metadata.name, subresource), obj);
  }

  patch<T = KubeObject>(r: ResourceRef, namespace: string | undefined, name: string, patch: unknown, type = 'application/merge-patch+json'): Promise<T> {
    return this.request('PATCH', resourcePath(r, namespace, name), patch, type);
  }

  delete(r: ResourceRef, namespace: string | undefined, name: string, options: Record<string, unknown> = {}): Promise<unknown> {
    return this.request('DELETE', resourcePath(r, namespace, name), { kind: 'DeleteOptions', apiVersion: 'v1', ...options });
  }

  deleteCollection(r: ResourceRef, namespace: string | undefined, options: Record<string, unknown> = {}): Promise<unknown> {
    return this.request('DELETE', resourcePath(r, namespace), { kind: 'DeleteOptions', apiVersion: 'v1', ...options });
  }

  /** A watch as an async iterator of events; abort() ends it. */
  watch<T = KubeObject>(path: string, accept?: string): { events: AsyncIterable<WatchEventOf<T>>; abort(): void } {
    let request: http.ClientRequest | undefined;
    const headers = this.headers(undefined, accept);
    const open = (onResponse: (res: http.IncomingMessage) => void) => this.send('GET', path, this.watchAgent, headers, onResponse);
    const events = {
      async *[Symbol.asyncIterator](): AsyncIterator<WatchEventOf<T>> {
        const res = await new Promise<import('node:http').IncomingMessage>((resolve, reject) => {
          request = open(resolve);
          request.on('error', reject);
          request.end();
        });
        if ((res.statusCode ?? 0) >= 300) {
          let text = '';
          for await (const c of res) text += c;
          const parsed = JSON.parse(text || '{}');
          throw new ApiError(res.statusCode ?? 500, parsed.reason ?? 'InternalError', parsed.message ?? 'watch failed');
        }
        let buf = '';
        for await (const chunk of res) {
          buf += chunk.toString();
          let i: number;
          while ((i = buf.indexOf('\n')) >= 0) {
            const line = buf.slice(0, i);
            buf = buf.slice(i + 1);
            if (line.trim()) yield JSON.parse(line) as WatchEventOf<T>;
          }
        }
      },
    };
    return { events, abort: () => request?.destroy() };
  }

  close(): void {
    this.agent.destroy();
    this.watchAgent.destroy();
  }
}
