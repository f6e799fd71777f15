// The built-in ingress controller of a node: an HTTP reverse proxy on the node's
// port 80 (and HTTPS on 443 with the Ingresses' spec.tls certificates) serving
// the Ingresses of class "skiff", straight to ready endpoints (pod IPs) of the
// backend Service, as ingress-nginx does. 404 when no rule matches, 503 when the
// backend has no ready endpoint, 502 when it fails; plain HTTP to a host with
// TLS is redirected (308) to HTTPS.
import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { KubeObject } from '../../api/object.js';
import type { Informer } from '../../client/informer.js';
import type { ResourceRef } from '../../client/rest-client.js';
import { SERVICE_NAME_LABEL, serviceRules, type Endpoint } from '../proxy/service-model.js';
import { route, type Backend } from './ingress-routes.js';
import { isOurIngress } from '../../controllers/servicelb/servicelb-controller.js';
import { redirectsToHttps, tlsSecretFor, type IngressCertificates } from './ingress-tls.js';

export const INGRESSES: ResourceRef = { group: 'networking.k8s.io', version: 'v1', plural: 'ingresses', namespaced: true };

type Obj = Record<string, any>;

/** Per-connection headers a proxy must not forward (RFC 9110 7.6.1); each side frames its own. */
const HOP_BY_HOP = ['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'te', 'trailer', 'upgrade', 'proxy-authorization', 'proxy-authenticate'];

export class IngressProxy {
  private readonly servers: Server[] = [];
  private next = 0;
  /** where HTTPS listens, for redirects; undefined while it does not */
  private httpsPort?: number;

  constructor(
    private readonly ingresses: Informer,
    private readonly services: Informer,
    private readonly slices: Informer,
    private readonly log: (msg: string, extra?: Record<string, unknown>) => void,
  ) {}

  /** Ready endpoints of a Service port given by number or name. */
  endpoints(b: Backend): Endpoint[] | undefined {
    const svc = this.services.get(`${b.namespace}/${b.service}`);
    if (!svc) return undefined;
    const port = (((svc.spec ?? {}) as Obj).ports ?? []).find((p: Obj) => (typeof b.port === 'number' ? p.port === b.port : p.name === b.port));
    if (!port) return undefined;
    const slices = this.slices.list(b.namespace).filter((s) => s.metadata.labels?.[SERVICE_NAME_LABEL] === b.service);
    const rule = serviceRules([{ ...svc, spec: { ...(svc.spec as Obj), clusterIP: '0.0.0.0', clusterIPs: ['0.0.0.0'], ports: [port], type: 'ClusterIP' } } as KubeObject], new Map([[`${b.namespace}/${b.service}`, slices]]))[0];
    return rule?.endpoints;
  }

  private ours(): KubeObject[] {
    return this.ingresses.list().filter((i) => isOurIngress(i) && !i.metadata.deletionTimestamp);
  }

  private handle(req: IncomingMessage, res: ServerResponse, secure: boolean): void {
    const ours = this.ours();
    const fail = (code: number, msg: string) => {
      if (!res.headersSent) res.writeHead(code, { 'content-type': 'text/plain; charset=utf-8' });
      res.end(`${msg}\n`);
    };
    if (!secure && this.httpsPort && redirectsToHttps(ours, req.headers.host)) {
      const host = (req.headers.host ?? '').replace(/:\d+$/, '');
      res.writeHead(308, { location: `https://${host}${this.httpsPort === 443 ? '' : `:${this.httpsPort}`}${req.url ?? '/'}`, 'content-type': 'text/plain; charset=utf-8' });
      res.end('308 Permanent Redirect\n');
      return;
    }
    const backend = route(ours, req.headers.host, req.url ?? '/');
    if (!backend) return fail(404, 'default backend - 404');
    const eps = this.endpoints(backend);
    if (!eps?.length) return fail(503, `no ready endpoints for service ${backend.namespace}/${backend.service}`);
    const ep = eps[this.next++ % eps.length]!;
    const fwd = req.socket.remoteAddress ?? '';
    const headers: Record<string, string | string[] | undefined> = { ...req.headers, 'x-forwarded-for': req.headers['x-forwarded-for'] ? `${req.headers['x-forwarded-for']}, ${fwd}` : fwd, 'x-forwarded-host': req.headers.host ?? '', 'x-forwarded-proto': secure ? 'https' : 'http', 'x-real-ip': fwd };
    for (const h of HOP_BY_HOP) delete headers[h];
    const up = request({ host: ep.ip, port: ep.port, method: req.method, path: req.url, headers, timeout: 60_000 }, (r) => {
      const out: Record<string, string | string[] | undefined> = { ...r.headers };
      for (const h of HOP_BY_HOP) delete out[h];
      res.writeHead(r.statusCode ?? 502, out);
      r.pipe(res);
    });
    up.on('timeout', () => up.destroy(new Error('upstream timed out')));
    up.on('error', (e) => {
      this.log('ingress upstream failed', { backend: `${backend.namespace}/${backend.service}`, endpoint: `${ep.ip}:${ep.port}`, error: String(e) });
      fail(502, 'bad gateway');
    });
    req.pipe(up);
  }

  /** Listens on HTTP; a port taken by something else is reported, not fatal (the node still runs pods). */
  async start(port: number, host = '0.0.0.0'): Promise<void> {
    await Promise.all([this.ingresses.waitForSync(), this.services.waitForSync(), this.slices.waitForSync()]);
    await this.listen(createServer((req, res) => this.handle(req, res, false)), port, host, '--ingress-port');
  }

  /** Listens on HTTPS, choosing each connection's certificate by its server name. */
  async startTls(port: number, certs: IngressCertificates, host = '0.0.0.0'): Promise<void> {
    await Promise.all([this.ingresses.waitForSync(), this.services.waitForSync(), this.slices.waitForSync()]);
    const fallback = await certs.defaultKeyPair();
    const server = createHttpsServer({
      ...fallback,
      SNICallback: (servername, cb) => {
        const ref = tlsSecretFor(this.ours(), servername);
        if (!ref) return cb(null, certs.defaultContext);
        certs.contextFor(ref).then((ctx) => cb(null, ctx), (e: Error) => cb(e));
      },
    }, (req, res) => this.handle(req, res, true));
    if (await this.listen(server, port, host, '--ingress-https-port')) this.httpsPort = port;
  }

  private async listen(server: Server, port: number, host: string, flag: string): Promise<boolean> {
    // a client that half-closes after its request (nc, some HTTP/1.0 tools) still gets the
    // proxied answer: Node would otherwise end the socket before the backend replies
    (server as Server & { httpAllowHalfOpen: boolean }).httpAllowHalfOpen = true;
    return new Promise<boolean>((resolve) => {
      server.once('error', (e) => {
        this.log(`ingress proxy not started: its port is taken (${flag} 0 turns it off)`, { port, error: String(e) });
        resolve(false);
      });
      server.listen(port, host, () => {
        this.servers.push(server);
        resolve(true);
      });
    });
  }

  stop(): void {
    for (const server of this.servers) {
      server.close();
      server.closeAllConnections();
    }
  }
}
