// The controller manager: shared informers and the controllers that use them,
// all talking to the API server through its API only. Each can be switched off.
import { discoverResources } from '../client/discovery.js';
import { SharedInformerFactory } from '../client/informer.js';
import { loadKubeconfig, type ClientConfig } from '../client/kubeconfig.js';
import { RestClient } from '../client/rest-client.js';
import { GarbageCollector } from './garbagecollector/garbage-collector.js';
import { NamespaceController } from './namespace/namespace-controller.js';
import { NAMESPACES, NODES, PODS, Scheduler } from '../scheduler/scheduler.js';
import type { ScoringStrategy } from '../scheduler/scores.js';
import { informerOwners } from '../scheduler/default-spread.js';
import { REPLICASETS, REPLICATIONCONTROLLER_KIND, REPLICATIONCONTROLLERS, ReplicaSetController } from './replicaset/replicaset-controller.js';
import { DEPLOYMENTS, DeploymentController } from './deployment/deployment-controller.js';
import { NAMESPACES_REF, SERVICEACCOUNTS, ServiceAccountController } from './serviceaccount/serviceaccount-controller.js';
import { JOBS, JobController } from './job/job-controller.js';
import { DAEMONSETS, DaemonSetController } from './daemonset/daemonset-controller.js';
import { LEASES, NodeLifecycleController } from './nodelifecycle/node-lifecycle-controller.js';
import { NODES_REF, NodeIpamController } from './nodeipam/node-ipam-controller.js';
import { INGRESSES_REF, SERVICES_REF, ServiceLbController } from './servicelb/servicelb-controller.js';
import { ENDPOINTSLICES, EndpointSliceController, SERVICES } from './endpointslice/endpointslice-controller.js';
import { ENDPOINTS, EndpointsController } from './endpoints/endpoints-controller.js';
import { CRONJOBS, CronJobController } from './cronjob/cronjob-controller.js';
import { TtlAfterFinishedController } from './ttlafterfinished/ttl-after-finished-controller.js';
import { CONTROLLERREVISIONS, PVCS, STATEFULSETS, StatefulSetController } from './statefulset/statefulset-controller.js';
import { HPAS, HorizontalPodAutoscalerController, hpaOptionsFromEnv } from './hpa/hpa-controller.js';
import { ResourceMetricsClient } from './hpa/resource-metrics-client.js';
import { DisruptionController, PDBS } from './disruption/disruption-controller.js';
import { PodGcController } from './podgc/podgc-controller.js';
import { QUOTA_COUNTED, RESOURCEQUOTAS, ResourceQuotaController } from './resourcequota/resourcequota-controller.js';
import { RootCaCertPublisher } from './rootcacertpublisher/root-ca-cert-publisher.js';
import { TokensController, type LegacyTokenIssuer } from './serviceaccount/tokens-controller.js';

/** What a controller offers the manager: start its workers, and stop them. */
interface Controller {
  run(): void;
  stop(): Promise<void>;
}

interface Context {
  client: RestClient;
  factory: SharedInformerFactory;
  log: (msg: string, extra?: Record<string, unknown>) => void;
  opts: ControllerManagerOptions;
}

// Each controller built from the shared informers; the names are what --disable-controller takes.
const CONTROLLERS: Record<string, (c: Context) => Controller | Promise<Controller>> = {
  namespace: ({ client, factory, log }) => new NamespaceController(client, factory.informerFor(NamespaceController.resourceRef), log),
  garbagecollector: async ({ client, factory, log }) => new GarbageCollector(client, factory, await discoverResources(client), log),
  scheduler: ({ client, factory, log, opts }) => {
    // PodTopologySpread's system defaults read the pods' Services and controllers
    const owners = informerOwners({ services: factory.informerFor(SERVICES_REF), replicaSets: factory.informerFor(REPLICASETS), statefulSets: factory.informerFor(STATEFULSETS), replicationControllers: factory.informerFor(REPLICATIONCONTROLLERS) });
    return new Scheduler(client, factory.informerFor(PODS), factory.informerFor(NODES), log, factory.informerFor(NAMESPACES), { scoring: opts.schedulerScore, owners });
  },
  replicaset: ({ client, factory, log }) => new ReplicaSetController(client, factory.informerFor(REPLICASETS), factory.informerFor(PODS), log),
  replicationcontroller: ({ client, factory, log }) => new ReplicaSetController(client, factory.informerFor(REPLICATIONCONTROLLERS), factory.informerFor(PODS), log, REPLICATIONCONTROLLER_KIND),
  deployment: ({ client, factory, log }) => new DeploymentController(client, factory.informerFor(DEPLOYMENTS), factory.informerFor(REPLICASETS), log),
  serviceaccount: ({ client, factory, log }) => new ServiceAccountController(client, factory.informerFor(NAMESPACES_REF), factory.informerFor(SERVICEACCOUNTS), log),
  // the CA is the one this client trusts (the controller manager's kubeconfig, upstream's --root-ca-file)
  'root-ca-cert-publisher': ({ client, factory, log }) => new RootCaCertPublisher(client, factory.informerFor(NAMESPACES_REF), client.config.ca?.toString('utf8') ?? '', log),
  // long-lived tokens in kubernetes.io/service-account-token Secrets, signed with the API server's key
  'serviceaccount-token': ({ client, factory, log, opts }) =>
    opts.issueLegacyToken ? new TokensController(client, factory.informerFor(SERVICEACCOUNTS), client.config.ca?.toString('utf8') ?? '', opts.issueLegacyToken, log) : { run() {}, stop: async () => {} },
  job: ({ client, factory, log }) => new JobController(client, factory.informerFor(JOBS), factory.informerFor(PODS), log),
  statefulset: ({ client, factory, log }) => new StatefulSetController(client, factory.informerFor(STATEFULSETS), factory.informerFor(PODS), factory.informerFor(CONTROLLERREVISIONS), factory.informerFor(PVCS), log),
  cronjob: ({ client, factory, log }) => new CronJobController(client, factory.informerFor(CRONJOBS), factory.informerFor(JOBS), log),
  podgc: ({ client, factory, log }) => new PodGcController(client, factory.informerFor(PODS), factory.informerFor(NODES), log),
  ttlafterfinished: ({ client, factory, log }) => new TtlAfterFinishedController(client, factory.informerFor(JOBS), log),
  daemonset: ({ client, factory, log }) => new DaemonSetController(client, factory.informerFor(DAEMONSETS), factory.informerFor(PODS), factory.informerFor(NODES), log),
  servicelb: ({ client, factory, log }) => new ServiceLbController(client, factory.informerFor(SERVICES_REF), factory.informerFor(INGRESSES_REF), factory.informerFor(NODES_REF), log),
  nodeipam: ({ client, factory, log, opts }) => new NodeIpamController(client, factory.informerFor(NODES_REF), { clusterCIDR: opts.clusterCIDR ?? '10.42.0.0/16', nodeMaskSize: opts.nodeCidrMaskSize ?? 24 }, log),
  endpointslice: ({ client, factory, log }) => new EndpointSliceController(client, factory.informerFor(SERVICES), factory.informerFor(PODS), factory.informerFor(ENDPOINTSLICES), log),
  endpoints: ({ client, factory, log }) => new EndpointsController(client, factory.informerFor(SERVICES), factory.informerFor(PODS), factory.informerFor(ENDPOINTS), log),
  horizontalpodautoscaling: ({ client, factory, log }) => new HorizontalPodAutoscalerController(client, factory.informerFor(HPAS), factory.informerFor(PODS), new ResourceMetricsClient(client), log, hpaOptionsFromEnv()),
  // config maps and secrets only count: their metadata is enough
  resourcequota: ({ client, factory, log }) => new ResourceQuotaController(client, factory.informerFor(RESOURCEQUOTAS), Object.fromEntries(Object.entries(QUOTA_COUNTED).map(([k, r]) => [k, factory.informerFor(r, k === 'configmaps' || k === 'secrets')])), log),
  disruption: ({ client, factory, log }) => new DisruptionController(client, factory.informerFor(PDBS), factory.informerFor(PODS), { replicaSets: factory.informerFor(REPLICASETS), deployments: factory.informerFor(DEPLOYMENTS), statefulSets: factory.informerFor(STATEFULSETS), replicationControllers: factory.informerFor(REPLICATIONCONTROLLERS) }, log),
  nodelifecycle: ({ client, factory, log }) => {
    // SKIFF_NODE_GRACE_SECONDS shortens upstream's 40 s node-monitor grace period (tests)
    const grace = Number(process.env.SKIFF_NODE_GRACE_SECONDS) || 40;
    return new NodeLifecycleController(client, factory.informerFor(NODES), factory.informerFor(LEASES), factory.informerFor(PODS), { gracePeriodSeconds: grace, periodMs: Math.min(5000, grace * 250) }, log);
  },
};

export const ALL_CONTROLLERS = Object.keys(CONTROLLERS);

export interface ControllerManagerOptions {
  kubeconfig: string;
  /** how to reach the API instead of the kubeconfig's server and credentials (the API server's in-process loopback) */
  clientConfig?: ClientConfig;
  /** names from ALL_CONTROLLERS; default all */
  enabled?: string[];
  log?: (msg: string, extra?: Record<string, unknown>) => void;
  /** pod addresses: each node gets a /nodeCidrMaskSize of it (default 10.42.0.0/16, /24, as k3s) */
  clusterCIDR?: string;
  nodeCidrMaskSize?: number;
  /** signs legacy service account tokens (the API server's key); without it the serviceaccount-token controller does nothing */
  issueLegacyToken?: LegacyTokenIssuer;
  /** the scheduler's resource scoring (default LeastAllocated) */
  schedulerScore?: ScoringStrategy;
}

export interface RunningControllers {
  stop(): Promise<void>;
}

export async function startControllers(opts: ControllerManagerOptions): Promise<RunningControllers> {
  const log = opts.log ?? (() => {});
  const enabled = new Set(opts.enabled ?? ALL_CONTROLLERS);
  // 64 connections: the scheduler keeps 64 bindings in flight (MAX_BINDING), which a pool
  // of 32 halved; more bindings per storage commit, so it keeps up with a burst of creates
  // the loopback (when given) replaces how to connect; the kubeconfig's CA is still the cluster's, published to pods
  const client = new RestClient({ ...loadKubeconfig(opts.kubeconfig), ...opts.clientConfig }, { maxSockets: 64 });
  const factory = new SharedInformerFactory(client, (e) => log('informer error', { error: String(e) }));
  const controllers: Controller[] = [];
  for (const name of ALL_CONTROLLERS) if (enabled.has(name)) controllers.push(await CONTROLLERS[name]({ client, factory, log, opts }));
  factory.start();
  await factory.waitForSync();
  for (const c of controllers) c.run();
  return {
    async stop() {
      factory.stop();
      await Promise.all(controllers.map((c) => c.stop()));
      client.close();
    },
  };
}
