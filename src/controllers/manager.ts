// The controller manager: shared informers and the controllers that use them,
// all talking to the API server through its API only. Each can be switched off.
import { discoverResources } from '../client/discovery.js';
import { SharedInformerFactory } from '../client/informer.js';
import { loadKubeconfig } from '../client/kubeconfig.js';
import { RestClient } from '../client/rest-client.js';
import { GarbageCollector } from './garbagecollector/garbage-collector.js';
import { NamespaceController } from './namespace/namespace-controller.js';
import { NODES, PODS, Scheduler } from '../scheduler/scheduler.js';
import { REPLICASETS, ReplicaSetController } from './replicaset/replicaset-controller.js';
import { DEPLOYMENTS, DeploymentController } from './deployment/deployment-controller.js';
import { NAMESPACES_REF, SERVICEACCOUNTS, ServiceAccountController } from './serviceaccount/serviceaccount-controller.js';
import { JOBS, JobController } from './job/job-controller.js';
import { DAEMONSETS, DaemonSetController } from './daemonset/daemonset-controller.js';
import { LEASES, NodeLifecycleController } from './nodelifecycle/node-lifecycle-controller.js';

export const ALL_CONTROLLERS = ['namespace', 'garbagecollector', 'scheduler', 'replicaset', 'deployment', 'serviceaccount', 'job', 'daemonset', 'nodelifecycle'] as const;

export interface ControllerManagerOptions {
  kubeconfig: string;
  /** names from ALL_CONTROLLERS; default all */
  enabled?: string[];
  log?: (msg: string, extra?: Record<string, unknown>) => void;
}

export interface RunningControllers {
  stop(): Promise<void>;
}

export async function startControllers(opts: ControllerManagerOptions): Promise<RunningControllers> {
  const log = opts.log ?? (() => {});
  const enabled = new Set(opts.enabled ?? ALL_CONTROLLERS);
  const client = new RestClient(loadKubeconfig(opts.kubeconfig));
  const factory = new SharedInformerFactory(client, (e) => log('informer error', { error: String(e) }));
  const stops: Array<() => Promise<void>> = [];
  const runs: Array<() => void> = [];

  if (enabled.has('namespace')) {
    const nc = new NamespaceController(client, factory.informerFor(NamespaceController.resourceRef), log);
    runs.push(() => nc.run());
    stops.push(() => nc.stop());
  }
  if (enabled.has('garbagecollector')) {
    const resources = await discoverResources(client);
    const gc = new GarbageCollector(client, factory, resources, log);
    runs.push(() => gc.run());
    stops.push(() => gc.stop());
  }
  if (enabled.has('scheduler')) {
    const sched = new Scheduler(client, factory.informerFor(PODS), factory.informerFor(NODES), log);
    runs.push(() => sched.run());
    stops.push(() => sched.stop());
  }
  if (enabled.has('replicaset')) {
    const rsc = new ReplicaSetController(client, factory.informerFor(REPLICASETS), factory.informerFor(PODS), log);
    runs.push(() => rsc.run());
    stops.push(() => rsc.stop());
  }
  if (enabled.has('deployment')) {
    const dc = new DeploymentController(client, factory.informerFor(DEPLOYMENTS), factory.informerFor(REPLICASETS), log);
    runs.push(() => dc.run());
    stops.push(() => dc.stop());
  }
  if (enabled.has('serviceaccount')) {
    const sac = new ServiceAccountController(client, factory.informerFor(NAMESPACES_REF), factory.informerFor(SERVICEACCOUNTS), log);
    runs.push(() => sac.run());
    stops.push(() => sac.stop());
  }
  if (enabled.has('job')) {
    const jc = new JobController(client, factory.informerFor(JOBS), factory.informerFor(PODS), log);
    runs.push(() => jc.run());
    stops.push(() => jc.stop());
  }
  if (enabled.has('daemonset')) {
    const dsc = new DaemonSetController(client, factory.informerFor(DAEMONSETS), factory.informerFor(PODS), factory.informerFor(NODES), log);
    runs.push(() => dsc.run());
    stops.push(() => dsc.stop());
  }
  if (enabled.has('nodelifecycle')) {
    // SKIFF_NODE_GRACE_SECONDS shortens upstream's 40 s node-monitor grace period (tests)
    const grace = Number(process.env.SKIFF_NODE_GRACE_SECONDS) || 40;
    const nlc = new NodeLifecycleController(client, factory.informerFor(NODES), factory.informerFor(LEASES), factory.informerFor(PODS), { gracePeriodSeconds: grace, periodMs: Math.min(5000, grace * 250) }, log);
    runs.push(() => nlc.run());
    stops.push(() => nlc.stop());
  }
  factory.start();
  await factory.waitForSync();
  for (const run of runs) run();
  return {
    async stop() {
      factory.stop();
      await Promise.all(stops.map((s) => s()));
      client.close();
    },
  };
}
