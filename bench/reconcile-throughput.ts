// Reconcile throughput and control-plane memory with simulated nodes: N Node
// objects made through the API (no agents; node lifecycle is switched off since
// nothing renews their leases) and a simulated kubelet in this process that
// marks every bound pod Running and Ready through the status subresource, as a
// real kubelet would. Then:
// 1. a Deployment of R replicas: seconds from create to status.availableReplicas = R;
// 2. scaled to P pods over the nodes: the server's RSS (the whole control plane:
//    API server, store, scheduler, controllers).
// Run: node --import tsx bench/reconcile-throughput.ts [nodes=100] [replicas=1000] [pods=3000]
import { readFileSync } from 'node:fs';
import { adminClient } from './lib.js';
import { startServer } from '../test/e2e/harness.js';

const nodeCount = Number(process.argv[2] ?? 100);
const replicas = Number(process.argv[3] ?? 1000);
const podTarget = Number(process.argv[4] ?? 3000);

const rssMb = (pid: number) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]) / 1024;

const s = await startServer({ args: ['--disable-controller', 'nodelifecycle'] });
try {
  const c = adminClient(s.kubeconfig, s.port, 32);
  const must = async (method: string, path: string, body?: unknown, ct?: string) => {
    const r = await c.request(method, path, body, ct);
    if (r.code >= 300) throw new Error(`${method} ${path}: ${r.code} ${r.body.slice(0, 300)}`);
    return JSON.parse(r.body);
  };
  for (let i = 0; i < nodeCount; i++) {
    const name = `sim-${i}`;
    await must('POST', '/api/v1/nodes', { apiVersion: 'v1', kind: 'Node', metadata: { name, labels: { 'kubernetes.io/hostname': name } } });
    await must('PATCH', `/api/v1/nodes/${name}/status`, { status: { capacity: { cpu: '32', memory: '128Gi', pods: '110' }, allocatable: { cpu: '32', memory: '128Gi', pods: '110' }, conditions: [{ type: 'Ready', status: 'True', reason: 'KubeletReady' }], addresses: [{ type: 'InternalIP', address: `192.0.2.${i % 250}` }] } }, 'application/merge-patch+json');
  }
  console.log(`${nodeCount} simulated nodes; server RSS ${rssMb(s.proc.pid!).toFixed(0)} MB`);

  // the simulated kubelet: every pod bound to a node becomes Running and Ready once
  const started = new Set<string>();
  let n = 0;
  const inflight = new Set<Promise<unknown>>();
  const startPod = (pod: any) => {
    const key = pod.metadata.uid;
    if (started.has(key) || !pod.spec.nodeName || pod.metadata.deletionTimestamp) return;
    started.add(key);
    const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
    const ip = `10.42.${Math.floor(n / 250) % 250}.${(n++ % 250) + 1}`;
    const status = { status: { phase: 'Running', podIP: ip, podIPs: [{ ip }], hostIP: '192.0.2.1', startTime: now, conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: now }, { type: 'ContainersReady', status: 'True', lastTransitionTime: now }, { type: 'Initialized', status: 'True', lastTransitionTime: now }, { type: 'PodScheduled', status: 'True', lastTransitionTime: now }], containerStatuses: pod.spec.containers.map((ct: any) => ({ name: ct.name, image: ct.image, imageID: '', ready: true, started: true, restartCount: 0, state: { running: { startedAt: now } } })) } };
    const p = c.request('PATCH', `/api/v1/namespaces/${pod.metadata.namespace}/pods/${pod.metadata.name}/status`, status, 'application/merge-patch+json').finally(() => inflight.delete(p));
    inflight.add(p);
  };
  // and pods being deleted go at once (no containers to stop)
  const finishDelete = (pod: any) => {
    const p = c.request('DELETE', `/api/v1/namespaces/${pod.metadata.namespace}/pods/${pod.metadata.name}`, { apiVersion: 'v1', kind: 'DeleteOptions', gracePeriodSeconds: 0 }).finally(() => inflight.delete(p));
    inflight.add(p);
  };
  const stopWatch = await c.watch('/api/v1/pods?watch=1&allowWatchBookmarks=false', (line) => {
    if (!line) return;
    const ev = JSON.parse(line);
    if (ev.type === 'ERROR') return;
    const pod = ev.object;
    if (pod.metadata.deletionTimestamp && ev.type !== 'DELETED') finishDelete(pod);
    else if (ev.type !== 'DELETED' && pod.status?.phase !== 'Running') startPod(pod);
  });

  const deploy = (r: number) => ({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'big' }, spec: { replicas: r, selector: { matchLabels: { app: 'big' } }, template: { metadata: { labels: { app: 'big' } }, spec: { containers: [{ name: 'c', image: 'busybox', resources: { requests: { cpu: '10m', memory: '16Mi' } } }] } } } });
  const waitAvailable = async (r: number, limitS: number) => {
    const t0 = performance.now();
    for (;;) {
      const d = await must('GET', '/apis/apps/v1/namespaces/default/deployments/big');
      if ((d.status?.availableReplicas ?? 0) >= r && d.status?.updatedReplicas === r) return (performance.now() - t0) / 1000;
      if (performance.now() - t0 > limitS * 1000) throw new Error(`not available after ${limitS}s: ${JSON.stringify(d.status)}`);
      await new Promise((res) => setTimeout(res, 100));
    }
  };
  const t0 = performance.now();
  await must('POST', '/apis/apps/v1/namespaces/default/deployments', deploy(replicas));
  await waitAvailable(replicas, 600);
  const secs = (performance.now() - t0) / 1000;
  console.log(`Deployment of ${replicas} replicas on ${nodeCount} simulated nodes: all available in ${secs.toFixed(1)} s (${(replicas / secs).toFixed(0)} pods/s: create, schedule, bind, start, ReplicaSet/Deployment status); server RSS ${rssMb(s.proc.pid!).toFixed(0)} MB`);

  const t1 = performance.now();
  await must('PATCH', '/apis/apps/v1/namespaces/default/deployments/big', { spec: { replicas: podTarget } }, 'application/merge-patch+json');
  await waitAvailable(podTarget, 900);
  console.log(`scaled to ${podTarget} pods in ${((performance.now() - t1) / 1000).toFixed(1)} s; control-plane RSS at ${nodeCount} nodes / ${podTarget} pods: ${rssMb(s.proc.pid!).toFixed(0)} MB`);
  await new Promise((r) => setTimeout(r, 5000));
  if (global.gc) global.gc();
  console.log(`after 5 s settled: ${rssMb(s.proc.pid!).toFixed(0)} MB`);
  stopWatch();
  await Promise.allSettled([...inflight]);
} finally {
  await s.stop();
  s.cleanup();
}
