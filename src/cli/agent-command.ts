// `skiff agent`: a node. Registers the Node, renews its Lease and runs the pods
// bound to it as runc (or crun) containers, talking to the control plane only through the API.
import { mkdirSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { loadKubeconfig } from '../client/kubeconfig.js';
import { RestClient } from '../client/rest-client.js';
import { NodeAgent } from '../kubelet/node-agent.js';
import { Kubelet } from '../kubelet/kubelet.js';
import { storeImages } from '../kubelet/images.js';
import { LayoutStore } from '../image/store.js';
import { BuildCache } from '../image/build/build-cache.js';
import { builtinBusyboxPuller } from '../image/puller.js';
import { registryPuller } from '../image/registry/registry-puller.js';
import { internalIp } from '../kubelet/node-status.js';
import { OciRuntime } from '../runtime/oci/oci-runtime.js';
import { Launcher } from '../runtime/launcher.js';
import { runtimeVersion } from '../runtime/oci/runtime-handlers.js';
import { DEFAULT_EVICTION_HARD, parseDurationMs, parseEvictionHard } from '../kubelet/eviction-thresholds.js';
import { NodePressure, observeNode, type PressureCondition } from '../kubelet/node-pressure.js';
import type { KubeObject } from '../api/object.js';
import { parseEvictionSoft } from '../kubelet/eviction/soft-thresholds.js';
import { EvictionManager } from '../kubelet/eviction/eviction-manager.js';
import { measurePod } from '../kubelet/eviction/pod-usage.js';
import { cgroupMemoryObservation, MEMORY_SIGNAL_CGROUP_ENV } from '../kubelet/eviction/memory-signal.js';
import { EventRecorder } from '../client/event-recorder.js';
import { pressureAdmission } from '../kubelet/eviction/admission.js';
import { busyboxBinary } from '../image/builtin-busybox.js';
import { logger } from '../apiserver/log.js';
import { selfSigned } from '../apiserver/pki/self-signed.js';
import { startKubeletServer } from '../kubelet/kubelet-server.js';
import { StatsProvider } from '../kubelet/stats-provider.js';
import { serveStats } from '../kubelet/stats-server.js';
import { resolvePodCIDR } from '../kubelet/pod-cidr.js';
import { joinCluster } from '../kubelet/node-bootstrap.js';
import { findCniBinDir } from '../network/cni.js';
import { PodNetwork } from '../network/pod-network.js';
import { ENDPOINT_SLICES, SERVICES, ServiceProxy } from '../network/proxy/service-proxy.js';
import { ClusterDns } from '../network/dns/cluster-dns.js';
import { INGRESSES, IngressProxy } from '../network/ingress/ingress-proxy.js';
import { IngressCertificates } from '../network/ingress/ingress-tls.js';
import { NetworkPolicyRunner } from '../network/policy/policy-runner.js';
import { Informer, stripManagedFields } from '../client/informer.js';
import { startNodeBackend } from '../network/node-backend.js';
import type { FlannelBackend } from '../network/backend-annotations.js';
import { readFileSync, writeFileSync } from 'node:fs';
import type { NodeRuntimeOptions } from './node-runtime-flags.js';
import { allContainers, type PodContainerLists } from '../api/kinds/pod-containers.js';
import { DEFAULT_IMAGE_GC_PERIOD_MS, DEFAULT_IMAGE_GC_POLICY, ImageGcManager, nodeImagesOf } from '../kubelet/image-gc.js';
import { filesystemObservations } from '../kubelet/node-pressure.js';

/** the node flags (runtime, eviction, image GC) come from NodeRuntimeOptions, shared with `skiff up` */
export interface AgentOptions extends NodeRuntimeOptions {
  /** credentials to reach the server; or a join token (with server) */
  kubeconfig?: string;
  token?: string;
  server?: string;
  nodeName?: string;
  dataDir: string;
  cgroupParent?: string;
  nodeIp?: string;
  kubeletPort?: number;
  /** this node's pod range; by default the control plane's node IPAM assigns one */
  podCIDR?: string;
  cniBinDir?: string;
  /** the whole pod network (for masquerading what leaves it) */
  clusterCIDR?: string;
  /** the pods' bridge (cni0); several agents sharing one network namespace (tests) need one each */
  cniBridge?: string;
  /** the kube-dns Service address pods are told to use (10.43.0.10); this node answers it itself */
  clusterDNS?: string;
  clusterDomain?: string;
  /** the built-in ingress controller's port on the node (80); 0 turns it off */
  ingressPort?: number;
  /** its HTTPS port (443), serving the Ingresses' spec.tls certificates; 0 turns it off */
  ingressHttpsPort?: number;
  /** registries reached over plain HTTP (loopback ones always are), and a CA for the HTTPS ones */
  insecureRegistries?: string[];
  registryCaFile?: string;
  /** how pods reach other nodes (k3s's --flannel-backend): vxlan by default, or host-gw */
  flannelBackend?: FlannelBackend;
}

export interface RunningAgent {
  stop(): Promise<void>;
}

export async function startAgent(opts: AgentOptions): Promise<RunningAgent> {
  const nodeName = opts.nodeName ?? hostname().toLowerCase();
  const dataDir = join(opts.dataDir, 'agent');
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const nodeIp = opts.nodeIp ?? internalIp() ?? '127.0.0.1';
  let kubeconfig = opts.kubeconfig;
  let serving: { certPem: string; keyPem: string } | undefined;
  if (opts.token) {
    if (!opts.server) throw new Error('--token needs --server https://HOST:PORT');
    const joined = await joinCluster({ server: opts.server, token: opts.token, nodeName, addresses: [nodeIp], dir: join(dataDir, 'tls') });
    kubeconfig = joined.kubeconfig;
    serving = { certPem: joined.servingCertPem, keyPem: joined.servingKeyPem };
  }
  if (!kubeconfig) throw new Error('give the agent --token (from the server\'s DATA_DIR/node-token) or --kubeconfig');
  const config = loadKubeconfig(kubeconfig);
  if (opts.server) config.server = opts.server;
  const client = new RestClient(config);
  const log = (msg: string, extra?: Record<string, unknown>) => logger.info(msg, { component: 'agent', node: nodeName, ...extra });
  const imageStore = join(dataDir, 'images');
  const images = new LayoutStore(imageStore);
  // conmon, runc, mount and the CNI plugins start through one shell, not a fork of the agent each (runtime/launcher.ts)
  const busybox = busyboxBinary();
  const launcher = new Launcher(busybox, join(dataDir, 'runtime', 'launch'));
  const runtime = new OciRuntime({ stateDir: join(dataDir, 'runtime'), busybox, launcher, runtime: { runtime: opts.runtime, runtimePath: opts.ociRuntime } });
  log('container runtimes', { default: runtime.defaultHandler.name, handlers: runtime.handlerNames });
  const kubeletPort = opts.kubeletPort ?? 10250;
  const evictionHard = parseEvictionHard(opts.evictionHard ?? DEFAULT_EVICTION_HARD);
  const evictionSoft = parseEvictionSoft(opts.evictionSoft, opts.evictionSoftGracePeriod);
  // tests may measure memory.available against a cgroup of their own (memory-signal.ts)
  const memoryCgroup = process.env[MEMORY_SIGNAL_CGROUP_ENV];
  const observe = () => {
    const o = observeNode(dataDir, imageStore);
    if (memoryCgroup) o['memory.available'] = cgroupMemoryObservation(memoryCgroup);
    return o;
  };
  const pressure = new NodePressure([...evictionHard, ...evictionSoft], observe, parseDurationMs(opts.evictionPressureTransitionPeriod ?? '5m'));
  const node = new NodeAgent(client, { name: nodeName, runtimeVersion: `${runtime.defaultHandler.name}://${runtimeVersion(runtime.defaultHandler)}`, nodeIp, kubeletPort, evictionHard, dataDir, pressure: () => pressure.check(), images: nodeImagesOf(images) }, log);
  await node.register();
  node.start();
  const cniBinDir = opts.cniBinDir ?? findCniBinDir();
  if (!cniBinDir) throw new Error('CNI plugins not found in /usr/lib/cni or /opt/cni/bin: install them (apt-get install containernetworking-plugins) or pass --cni-bin-dir');
  const podCIDR = await resolvePodCIDR(client, nodeName, opts.podCIDR, log);
  // a node forwards between its pods, other nodes and services (per network namespace)
  writeFileSync('/proc/sys/net/ipv4/ip_forward', '1');
  // the backend first: an overlay's MTU is the pods' MTU
  const routes = await startNodeBackend(client, { backend: opts.flannelBackend ?? 'vxlan', nodeName, nodeIP: nodeIp, podCIDR, launcher }, log);
  const network = new PodNetwork({ launcher, binDir: cniBinDir, stateDir: join(dataDir, 'cni'), podCIDR, bridge: opts.cniBridge, mtu: routes.mtu });
  log('pod network', { podCIDR, bridge: network.bridge, backend: routes.backend, mtu: routes.mtu });
  // one list+watch of Services and EndpointSlices for the proxy and the cluster DNS
  const onError = (e: unknown) => log('service watch failed', { error: String(e) });
  const services = new Informer(client, SERVICES, { onError, transform: stripManagedFields });
  const slices = new Informer(client, ENDPOINT_SLICES, { onError, transform: stripManagedFields });
  services.start();
  slices.start();
  // node-local cluster DNS on the bridge's address; the proxy sends the kube-dns Service address to it
  await network.ensureBridge();
  // the kubernetes Service's endpoint is this machine's loopback when the API server binds 127.0.0.1
  // (skiff up): pods reach it through the proxy's DNAT only if the bridge takes 127/8 destinations,
  // as kube-proxy's route_localnet; the proxy drops such packets that were not DNATed
  writeFileSync(`/proc/sys/net/ipv4/conf/${network.bridge}/route_localnet`, '1');
  const clusterDNS = opts.clusterDNS ?? '10.43.0.10';
  const dns = new ClusterDns({ services, endpointSlices: slices, zone: opts.clusterDomain, log });
  await dns.start({ addresses: [network.gateway], port: 53 });
  const proxy = new ServiceProxy(services, slices, { clusterCIDR: opts.clusterCIDR ?? '10.42.0.0/16', bridge: network.bridge, localDns: { serviceIP: clusterDNS, target: network.gateway, port: 53 } }, log);
  await proxy.start();
  const hostResolvConf = readFileSync('/etc/resolv.conf', 'utf8');
  const policies = new NetworkPolicyRunner(client, nodeName, log);
  await policies.start();
  const ingressPort = opts.ingressPort ?? 80;
  const ingresses = new Informer(client, INGRESSES, { onError, transform: stripManagedFields });
  const ingress = new IngressProxy(ingresses, services, slices, log);
  const ingressHttpsPort = opts.ingressHttpsPort ?? 443;
  if (ingressPort || ingressHttpsPort) ingresses.start();
  if (ingressPort) await ingress.start(ingressPort);
  if (ingressHttpsPort) await ingress.startTls(ingressHttpsPort, new IngressCertificates((ns, name) => client.get({ group: '', version: 'v1', plural: 'secrets', namespaced: true }, ns, name), log));
  const evictionEvery = parseDurationMs(opts.evictionMonitoringInterval ?? '10s');
  // under pressure new pods are refused as upstream's eviction manager admits them (not when eviction is off)
  const admit = evictionEvery > 0 ? (pod: KubeObject) => pressureAdmission(pod, underPressure(pressure.check().conditions)) : undefined;
  const kubelet = new Kubelet(client, runtime, storeImages(images, [builtinBusyboxPuller(images), registryPuller(images, { insecureRegistries: opts.insecureRegistries, caFile: opts.registryCaFile })]), { nodeName, cgroupParent: opts.cgroupParent ?? '/skiff', hostIP: nodeIp, rootDir: dataDir, seccompDefault: opts.seccompDefault, admit, services: (ns) => (services.hasSynced() ? services.list(ns) : undefined), network, dns: { clusterDNS: [clusterDNS], clusterDomain: opts.clusterDomain, hostResolvConf } }, log);
  await kubelet.start();
  const evictionEvents = new EventRecorder(client, { component: 'kubelet', host: nodeName }, (e) => log('event not recorded', { error: String(e) }));
  const nodeRef = { apiVersion: 'v1', kind: 'Node', metadata: { name: nodeName, uid: nodeName } };
  const imageGc = new ImageGcManager({
    store: images,
    policy: opts.imageGc ?? DEFAULT_IMAGE_GC_POLICY,
    inUse: () => kubelet.activePods().flatMap((p) => podImages(p.pod)),
    filesystem: () => filesystemObservations(imageStore).bytes,
    keep: () => new BuildCache(images).digests(),
    event: (type, reason, message) => evictionEvents.event(nodeRef, type, reason, message),
    log,
  });
  imageGc.start(opts.imageGcPeriodMs ?? DEFAULT_IMAGE_GC_PERIOD_MS);
  const eviction = new EvictionManager({
    nodeName, hard: evictionHard, soft: evictionSoft, maxPodGraceSeconds: opts.evictionMaxPodGracePeriod ?? 0, intervalMs: evictionEvery, observe,
    pods: () => kubelet.activePods(),
    measure: (p) => measurePod(p, runtime, dataDir),
    evict: (key, grace, reason, message, conditions) => kubelet.evictPod(key, grace, reason, message, conditions),
    event: (obj, type, reason, message) => evictionEvents.event({ apiVersion: 'v1', kind: 'Pod', ...obj }, type, reason, message),
    log,
    onThresholdsMet: (met, now) => pressure.note(met, now),
    reclaimDisk: () => imageGc.deleteUnusedImages(),
  });
  if (evictionEvery > 0) eviction.start();
  // joined nodes serve with a CA-signed certificate; otherwise a self-signed one. Either way
  // callers must prove themselves with a cluster-CA client certificate
  serving ??= await selfSigned(`kubelet-${nodeName}`, new Date(), 365);
  if (!config.ca) throw new Error('the kubeconfig has no certificate-authority data; the node endpoint needs the cluster CA');
  const stats = new StatsProvider(runtime, () => kubelet.podsForStats(), nodeName);
  stats.start();
  const endpoint = await startKubeletServer({ port: kubeletPort, bindAddress: '0.0.0.0', certPem: serving.certPem, keyPem: serving.keyPem, clusterCaPem: config.ca.toString(), routes: (req, res, url) => serveStats(stats, req, res, url) }, kubelet);
  log('agent ready');
  return {
    async stop() {
      endpoint.close();
      stats.stop();
      eviction.stop();
      imageGc.stop();
      node.stop();
      routes.stop();
      await proxy.stop();
      await dns.stop();
      policies.stop();
      ingress.stop();
      ingresses.stop();
      services.stop();
      slices.stop();
      await kubelet.stop();
      launcher.close();
      client.close();
    },
  };
}

/** every image a pod's containers (init and ephemeral too) run */
function podImages(pod: KubeObject): string[] {
  return allContainers(pod.spec as PodContainerLists<{ image?: string }> | undefined).flatMap((c) => (c.image ? [c.image] : []));
}

/** the conditions in force, in the order the node reports them */
function underPressure(conditions: Record<PressureCondition, boolean>): PressureCondition[] {
  return (['MemoryPressure', 'DiskPressure', 'PIDPressure'] as const).filter((c) => conditions[c]);
}
