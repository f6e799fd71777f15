// The API server: TLS listener, authentication, router, registry over storage.
// Start-up is kept short (certificates, store, default namespaces) so the
// server answers /readyz within a second of starting.
import { NodeJoin } from './node-join.js';
import https from 'node:https';
import type { Socket } from 'node:net';
import { resources } from '../api/kinds/resources.js';
import type { Storage } from '../storage/store.js';
import { createStorage } from '../storage/index.js';
import { Discovery } from './handlers/discovery.js';
import { OpenApiHandler } from './handlers/openapi.js';
import { ResourceHandler } from './handlers/resource-handler.js';
import { TableRenderer } from './handlers/table-render.js';
import { GenericRegistry } from './registry/generic-registry.js';
import { registryHooks } from './registry/hooks-impl.js';
import { createRouter } from './router.js';
import { ensurePki, type Pki } from './pki/index.js';
import { createAuthenticator } from './authn/index.js';
import { ensureDefaultNamespaces, ensureDefaultServiceAccounts } from './bootstrap.js';
import { ensureServiceAccountKey } from './pki/service-account-key.js';
import { ServiceAccountTokens } from './authn/service-account-token.js';
import { createTokenReviewer } from './authn/token-review.js';
import { serveOidcDiscovery, JWKS_PATH } from './handlers/oidc-discovery.js';
import { ServiceAccountAdmission } from './registry/serviceaccount-admission.js';
import { storageLookup } from './registry/object-lookup.js';
import { ensureSystemPriorityClasses, PriorityAdmission } from './registry/priority-admission.js';
import { QuotaAdmission } from './registry/quota-admission.js';
import type { ResourceInfo } from '../api/resource.js';
import type { KubeObject } from '../api/object.js';
import { ServiceAllocator } from './registry/service-allocator.js';
import { advertiseAddress, ClusterServices, loadServiceAllocations } from './cluster-services.js';
import { proxyExec } from './handlers/exec-proxy.js';
import { logger } from './log.js';
import { ALL_CONTROLLERS, startControllers, type RunningControllers } from '../controllers/manager.js';
import { writeKubeconfig } from './pki/kubeconfig.js';
import { join } from 'node:path';
import { METRICS_RESOURCES } from './metrics/metrics-resources.js';
import { MetricsScraper } from './metrics/metrics-scraper.js';
import { MetricsApi } from './metrics/metrics-api.js';
import { findResource } from '../api/kinds/resources.js';
import { LoopbackListener } from './http/loopback.js';

export interface ApiServerOptions {
  dataDir: string;
  port: number;
  bindAddress: string;
  /** extra names/IPs for the serving certificate */
  extraSans?: string[];
  /** how often to check certificate expiry (ms) */
  certCheckIntervalMs?: number;
  compactIntervalMs?: number;
  /** controllers not to run (names from ALL_CONTROLLERS) */
  disableControllers?: string[];
  /** Service ClusterIPs (default 10.43.0.0/16) and node ports (default 30000-32767) */
  serviceCIDR?: string;
  serviceNodePortRange?: string;
  /** the address the `kubernetes` Service's endpoints name (default: the bind address, else the first non-loopback IPv4) */
  advertiseAddress?: string;
  /** the pod network; node IPAM gives each node a /24 of it */
  clusterCIDR?: string;
  /** --scheduler-score: LeastAllocated (spread) or MostAllocated (bin packing) */
  schedulerScore?: 'LeastAllocated' | 'MostAllocated';
}

const CONTROLLER_MANAGER_USER = 'system:kube-controller-manager';

export class ApiServer {
  private server?: https.Server;
  private storage?: Storage;
  private pki?: Pki;
  private readonly sockets = new Set<Socket>();
  private isReady = false;
  private certTimer?: NodeJS.Timeout;
  private controllers?: RunningControllers;
  private controllersStarting?: Promise<void>;
  /** the in-process controllers' plain-HTTP way in (http/loopback.ts) */
  private loopback?: LoopbackListener;
  private clusterServices?: ClusterServices;
  private metricsScraper?: MetricsScraper;
  private serviceAccountTokens?: ServiceAccountTokens;
  /** the API server's client certificate towards nodes (logs, exec) */
  private nodeCredentials?: { certPem: string; keyPem: string };
  registry?: GenericRegistry;
  /** where the join token for agents is written */
  nodeTokenPath?: string;

  constructor(readonly opts: ApiServerOptions) {}

  private get serviceAccountsManaged(): boolean {
    return !(this.opts.disableControllers ?? []).includes('serviceaccount');
  }

  get kubeconfigPath(): string {
    return this.pki!.adminKubeconfigPath;
  }

  get url(): string {
    const host = this.opts.bindAddress === '0.0.0.0' || this.opts.bindAddress === '::' ? '127.0.0.1' : this.opts.bindAddress;
    const addr = this.server?.address();
    const port = addr && typeof addr === 'object' ? addr.port : this.opts.port;
    return `https://${host.includes(':') ? `[${host}]` : host}:${port}`;
  }

  async start(): Promise<void> {
    const { dataDir, bindAddress, port } = this.opts;
    const unknown = (this.opts.disableControllers ?? []).filter((c) => !ALL_CONTROLLERS.includes(c));
    if (unknown.length) throw new Error(`unknown controller ${unknown.join(', ')}; known: ${ALL_CONTROLLERS.join(', ')}`);
    this.pki = await ensurePki({ dataDir, bindAddress, port, extraSans: this.opts.extraSans });
    this.nodeCredentials = await this.pki.issueClientCert('system:kube-apiserver', ['system:masters']);
    // SKIFF_BOOKMARK_INTERVAL_MS shortens watch bookmarks (tests); upstream sends about one a minute
    const bookmarkIntervalMs = Number(process.env.SKIFF_BOOKMARK_INTERVAL_MS) || undefined;
    const compactIntervalMs = this.opts.compactIntervalMs ?? (Number(process.env.SKIFF_COMPACT_INTERVAL_MS) || undefined);
    // SKIFF_WATCH_HISTORY_EVENTS bounds the watch window (tests of 410 Gone)
    const historyEvents = Number(process.env.SKIFF_WATCH_HISTORY_EVENTS) || undefined;
    const storage = await createStorage({
      dataDir,
      compactIntervalMs,
      cache: {
        ...(bookmarkIntervalMs ? { bookmarkIntervalMs } : {}),
        ...(historyEvents ? { history: { minEvents: historyEvents, maxEvents: historyEvents, historyMs: 0 } } : {}),
      },
    });
    this.storage = storage;
    const serviceAllocator = new ServiceAllocator({ serviceCIDR: this.opts.serviceCIDR, nodePortRange: this.opts.serviceNodePortRange });
    const priority = new PriorityAdmission(storage);
    priority.start();
    const quota = new QuotaAdmission(storage);
    // pods must name an existing ServiceAccount only when the controller that makes them runs
    const accounts = this.serviceAccountsManaged ? new ServiceAccountAdmission(storage) : undefined;
    // upstream's order: ServiceAccount, Priority, LimitRanger (mutating and validating), then ResourceQuota last
    const admit = async (info: ResourceInfo, obj: KubeObject, dryRun: boolean) => {
      await accounts?.admit(info, obj);
      await priority.admit(info, obj);
      await quota.admit(info, obj, dryRun);
    };
    const admitUpdate = (info: ResourceInfo, obj: KubeObject, old: KubeObject, dryRun: boolean) => quota.admitUpdate(info, obj, old, dryRun);
    const registry = new GenericRegistry(storage, { ...registryHooks(), ...serviceAllocator.hooks(), admit, admitUpdate });
    this.registry = registry;
    await loadServiceAllocations(registry, serviceAllocator);
    const discovery = new Discovery([...resources, ...METRICS_RESOURCES], () => `${bindAddress}:${port}`);
    // SKIFF_METRIC_RESOLUTION_MS shortens the scrape period (metrics-server's --metric-resolution, 15 s) for tests
    this.metricsScraper = new MetricsScraper({
      resolutionMs: Number(process.env.SKIFF_METRIC_RESOLUTION_MS) || undefined,
      listNodes: async () => (await registry.list(findResource('', 'nodes')!, 'v1', undefined, {})).items,
      credentials: () => this.nodeCredentials,
      log: (msg, extra) => logger.info(msg, { component: 'metrics-scraper', ...extra }),
    });
    const serviceAccountKey = ensureServiceAccountKey(this.pki.tlsDir);
    const serviceAccountTokens = (this.serviceAccountTokens = new ServiceAccountTokens(serviceAccountKey, storageLookup(storage)));
    const authenticate = createAuthenticator({ dataDir, pki: this.pki, serviceAccounts: serviceAccountTokens, log: (msg, extra) => logger.debug(msg, extra) });
    const nodeJoin = new NodeJoin(dataDir, this.pki);
    this.nodeTokenPath = nodeJoin.tokenPath;
    const loopback = (this.loopback = new LoopbackListener(dataDir, { username: CONTROLLER_MANAGER_USER, groups: ['system:authenticated'] }));
    const route = createRouter({
      discovery,
      resources: new ResourceHandler(registry, new TableRenderer(), () => this.nodeCredentials, serviceAccountTokens),
      openapi: new OpenApiHandler(),
      // the in-process controllers' requests come through the loopback listener, with its token
      authenticate: (req) => (loopback.owns(req) ? loopback.authenticate(req) : authenticate(req)),
      reviewToken: createTokenReviewer(authenticate, serviceAccountTokens),
      // the key set's address is this server's own (upstream: its external address)
      oidc: (res, path) => serveOidcDiscovery(res, path, serviceAccountTokens.issuer, () => `${this.url}${JWKS_PATH}`, serviceAccountKey),
      ready: () => this.isReady,
      metrics: new MetricsApi(registry, this.metricsScraper),
      log: (msg, extra) => logger.info(msg, extra),
    });
    const server = https.createServer(
      {
        ...this.pki.httpsOptions(),
        // HTTP/1.1 keep-alive like upstream; watch streams stay open
        keepAliveTimeout: 65_000,
        requestTimeout: 0,
      },
      (req, res) => {
        if (!nodeJoin.handle(req, res)) void route(req, res);
      },
    );
    server.on('connection', (s: Socket) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
    // exec, attach and port-forward arrive as connection upgrades
    server.on('upgrade', async (req, socket, head) => {
      socket.on('error', () => {});
      const url = new URL(req.url ?? '/', 'https://localhost');
      const m = /^\/api\/v1\/namespaces\/([^/]+)\/pods\/([^/]+)\/(exec|attach|portforward)$/.exec(url.pathname);
      const user = await authenticate(req);
      if (!user) return socket.end('HTTP/1.1 401 Unauthorized\r\nContent-Length: 0\r\n\r\n');
      if (!m) return socket.end('HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n');
      void proxyExec(req, socket, head, registry, this.nodeCredentials, decodeURIComponent(m[1]), decodeURIComponent(m[2]), url.searchParams, m[3] as 'exec' | 'attach' | 'portforward');
    });
    server.on('tlsClientError', () => {
      // handshake failures are the client's problem; keep serving
    });
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, bindAddress, () => {
        server.off('error', reject);
        resolve();
      });
    });
    if (!(await loopback.listen((req, res) => void route(req, res)))) this.loopback = undefined;
    await ensureDefaultNamespaces(registry);
    await ensureSystemPriorityClasses(registry);
    if (this.serviceAccountsManaged) await ensureDefaultServiceAccounts(registry);
    const listening = server.address();
    this.clusterServices = new ClusterServices(registry, {
      allocator: serviceAllocator,
      address: advertiseAddress(bindAddress, this.opts.advertiseAddress),
      port: listening && typeof listening === 'object' ? listening.port : port,
      log: (msg, extra) => logger.error(msg, extra),
    });
    await this.clusterServices.start();
    this.isReady = true;
    this.metricsScraper.start();
    // the controllers catch up through their informers; readiness does not wait for them
    this.controllersStarting = this.startControllers().catch((e) => logger.error('controller manager failed to start', { error: String(e) }));
    this.certTimer = setInterval(() => void this.rotateCertificates(), this.opts.certCheckIntervalMs ?? 3600_000);
    this.certTimer.unref();
  }

  /**
   * The controller manager runs in-process but talks to us only through the API, with its own
   * identity: over the loopback listener's unix socket (no TLS), or HTTPS with its certificate.
   */
  private async startControllers(): Promise<void> {
    const enabled = ALL_CONTROLLERS.filter((c) => !(this.opts.disableControllers ?? []).includes(c));
    if (enabled.length === 0) return;
    const cred = await this.pki!.issueClientCert(CONTROLLER_MANAGER_USER, []);
    const path = join(this.opts.dataDir, 'tls', 'controller-manager.kubeconfig');
    writeKubeconfig(path, { server: this.url, caPem: this.pki!.caCertPem, certPem: cred.certPem, keyPem: cred.keyPem, user: CONTROLLER_MANAGER_USER });
    this.controllers = await startControllers({ kubeconfig: path, clientConfig: this.loopback?.clientConfig(), enabled, clusterCIDR: this.opts.clusterCIDR, schedulerScore: this.opts.schedulerScore, issueLegacyToken: (s) => this.serviceAccountTokens!.issueLegacy(s), log: (msg, extra) => logger.info(msg, { component: 'controller-manager', ...extra }) });
  }

  /** Re-issues certificates that are close to expiry and swaps them in without a restart. */
  private async rotateCertificates(): Promise<void> {
    try {
      const changed = await this.pki!.renewIfNeeded();
      if (changed) {
        this.server?.setSecureContext(this.pki!.httpsOptions());
        logger.info('serving certificate renewed');
      }
    } catch (e) {
      logger.error('certificate renewal failed; will retry', { error: String(e) });
    }
  }

  async stop(): Promise<void> {
    this.isReady = false;
    if (this.certTimer) clearInterval(this.certTimer);
    this.clusterServices?.stop();
    await this.metricsScraper?.stop();
    await this.controllersStarting;
    await this.controllers?.stop().catch(() => {});
    await this.loopback?.close();
    const server = this.server;
    if (server) {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      // watch streams never end on their own: end them so close() can finish
      for (const s of this.sockets) s.destroy();
      await closed;
    }
    await this.storage?.close();
  }
}
