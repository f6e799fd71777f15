// Resource metrics end to end on a real node: the node's stats endpoints, the
// metrics.k8s.io API behind `kubectl top`, and a HorizontalPodAutoscaler that
// scales a Deployment up under CPU load and back down when it stops.
// Short periods come from the server's environment: SKIFF_METRIC_RESOLUTION_MS
// (scrape every 2 s), SKIFF_HPA_SYNC_PERIOD_MS (HPA sync every 2 s); the HPA's
// own spec.behavior sets a 0 s scale-down stabilization window.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { k, kubectl, until as poll } from './harness.js';
import { startNodeCluster, type NodeCluster } from './node-harness.js';

// this file's waits are longer and slower-paced than the harness default
const until = <T>(what: string, fn: () => T | undefined | false, ms = 60_000, every = 500): Promise<T> => poll(what, fn, ms, every);

/** "1002m" or "1" cores as millicores; "12Mi" as MiB. */
const milli = (s: string) => (s.endsWith('m') ? Number(s.slice(0, -1)) : Number(s) * 1000);

/**
 * The kernel's own account of a container's CPU time, the oracle for the figures
 * the node and the metrics API report: its cgroup's cumulative usage in
 * nanoseconds (v1 cpuacct.usage, else v2 cpu.stat usage_usec), and a shell
 * command printing it.
 */
function containerCpu(cgroupParent: string, podUid: string, container: string): { read(): number; shell: string } {
  const v1 = join('/sys/fs/cgroup/cpuacct', cgroupParent, `pod${podUid}`);
  const dir = existsSync(v1) ? v1 : join('/sys/fs/cgroup', cgroupParent, `pod${podUid}`);
  const id = readdirSync(dir).find((d) => d.includes(`-${container}-`));
  assert.ok(id, `no cgroup of container ${container} under ${dir}`);
  if (dir === v1) {
    const file = join(dir, id, 'cpuacct.usage');
    return { read: () => Number(readFileSync(file, 'utf8')), shell: `cat ${file}` };
  }
  const file = join(dir, id, 'cpu.stat');
  return { read: () => Number(/usage_usec (\d+)/.exec(readFileSync(file, 'utf8'))![1]) * 1000, shell: `echo $(( $(sed -n 's/^usage_usec //p' ${file}) * 1000 ))` };
}

/**
 * Samples a container's CPU time every 200 ms from a separate process, so the
 * samples go on while this process blocks in kubectl: lines of "epoch-ns usage-ns".
 */
function startCpuSampler(shell: string, out: string): () => Array<{ at: number; ns: number }> {
  const p = spawn('sh', ['-c', `while :; do echo "$(date +%s%N) $(${shell})"; sleep 0.2; done > ${out}`], { stdio: 'ignore' });
  after(() => p.kill());
  return () => readFileSync(out, 'utf8').split('\n').filter((l) => /^\d+ \d+$/.test(l)).map((l) => {
    const [t, u] = l.split(' ');
    return { at: Number(t) / 1e6, ns: Number(u) };
  });
}

/** Millicores the samples show between two times (ms), from the samples just outside them. */
function trueMillicores(samples: Array<{ at: number; ns: number }>, from: number, to: number): number | undefined {
  const a = samples.filter((s) => s.at <= from).pop();
  const b = samples.find((s) => s.at >= to);
  return a && b && b.at > a.at ? (b.ns - a.ns) / 1e3 / (b.at - a.at) : undefined;
}

describe('resource metrics, kubectl top and the HPA on a node', () => {
  let c: NodeCluster;
  let curlArgs: string[];
  let nodeUrl: string;

  before(async () => {
    c = await startNodeCluster('mtop', { env: { SKIFF_METRIC_RESOLUTION_MS: '2000', SKIFF_HPA_SYNC_PERIOD_MS: '2000' } });
    // the admin's client certificate is signed by the cluster CA, as the API server's own towards nodes
    const kc = parseYaml(readFileSync(c.s.kubeconfig, 'utf8'));
    const user = kc.users[0].user;
    const cert = join(c.s.dataDir, 'mtop-client.crt');
    const key = join(c.s.dataDir, 'mtop-client.key');
    writeFileSync(cert, Buffer.from(user['client-certificate-data'], 'base64'));
    writeFileSync(key, Buffer.from(user['client-key-data'], 'base64'), { mode: 0o600 });
    curlArgs = ['-sk', '--max-time', '10', '--cert', cert, '--key', key];
    const node = await until('node address', () => {
      const n = JSON.parse(k(c.s, ['get', 'node', c.nodeName, '-o', 'json']));
      return n.status?.addresses?.length ? n : undefined;
    });
    const ip = node.status.addresses.find((a: { type: string }) => a.type === 'InternalIP').address;
    nodeUrl = `https://${ip}:${node.status.daemonEndpoints.kubeletEndpoint.Port}`;
  });
  after(async () => {
    await c?.stop();
  });

  test('a CPU-burning pod shows in kubectl top pods with about a core, and in the node stats', async () => {
    k(c.s, ['run', 'burner', '--image=busybox', '--labels=app=burner', '--', 'sh', '-c', 'while :; do :; done']);
    k(c.s, ['run', 'idler', '--image=busybox', '--labels=app=idler', '--', 'sleep', '3600']);
    k(c.s, ['wait', '--for=condition=Ready', 'pod/burner', 'pod/idler', '--timeout=60s']);

    // the node endpoint wants a cluster-CA client certificate
    const anon = c.inNode('curl', ['-sk', '--max-time', '10', '-o', '/dev/null', '-w', '%{http_code}', `${nodeUrl}/stats/summary`]);
    assert.equal(anon, '401');
    // the node's cumulative CPU time of the container is the kernel's, read just before and after
    const burnerPod = JSON.parse(k(c.s, ['get', 'pod', 'burner', '-o', 'json']));
    const kernel = containerCpu(c.cgroupParent, burnerPod.metadata.uid, 'burner');
    const samples = startCpuSampler(kernel.shell, join(c.s.dataDir, 'burner-cpu.txt'));
    const summary = await until('burner in the summary with a CPU rate', () => {
      const s = JSON.parse(c.inNode('curl', [...curlArgs, `${nodeUrl}/stats/summary`]));
      const p = s.pods.find((x: { podRef: { name: string } }) => x.podRef.name === 'burner');
      return p?.containers[0]?.cpu.usageNanoCores > 0 ? s : undefined;
    });
    assert.equal(summary.node.nodeName, c.nodeName);
    assert.ok(summary.node.cpu.usageCoreNanoSeconds > 0 && summary.node.memory.workingSetBytes > 0);
    const burner = summary.pods.find((x: { podRef: { name: string } }) => x.podRef.name === 'burner');
    assert.equal(burner.podRef.namespace, 'default');
    assert.ok(burner.memory.workingSetBytes > 0);
    const before = kernel.read();
    const again = JSON.parse(c.inNode('curl', [...curlArgs, `${nodeUrl}/stats/summary`])).pods.find((x: { podRef: { name: string } }) => x.podRef.name === 'burner');
    const afterwards = kernel.read();
    const reported = again.containers[0].cpu.usageCoreNanoSeconds;
    assert.ok(before <= reported && reported <= afterwards, `node says ${reported} ns, the kernel ${before}..${afterwards}`);
    const prom = c.inNode('curl', [...curlArgs, `${nodeUrl}/metrics/resource`]);
    assert.match(prom, /^# TYPE container_cpu_usage_seconds_total counter$/m);
    assert.match(prom, /^container_cpu_usage_seconds_total\{container="burner",namespace="default",pod="burner"\} [0-9.e+]+ \d+$/m);
    assert.match(prom, /^container_memory_working_set_bytes\{container="idler",namespace="default",pod="idler"\} \d+ \d+$/m);
    assert.match(prom, /^node_cpu_usage_seconds_total [0-9.e+]+ \d+$/m);

    // kubectl finds metrics.k8s.io through discovery and reads PodMetrics; how much of a
    // core a busy loop gets depends on the machine's load, so the kernel is the judge below
    const row = await until('burner busy in kubectl top pods', () => {
      const r = kubectl(c.s, ['top', 'pods', '--no-headers']);
      const line = r.stdout.split('\n').find((l) => l.startsWith('burner '))?.trim().split(/\s+/);
      return line && milli(line[1]!) >= 10 ? line : undefined;
    });
    assert.ok(milli(row[1]!) <= 1150, `burner at ${row[1]}, at most one core`);
    console.log(`kubectl top pods: burner at ${row[1]} CPU, ${row[2]} memory`);
    assert.match(row[2]!, /^\d+Mi$/);
    // the API's rate is the kernel's over the window it names (timestamp - window .. timestamp)
    // (a window that began before the sampler did is waited out)
    const { pm, truth } = await until('a PodMetrics window the sampler covers', () => {
      const pm = JSON.parse(k(c.s, ['get', '--raw', '/apis/metrics.k8s.io/v1beta1/namespaces/default/pods/burner']));
      const end = Date.parse(pm.timestamp);
      const truth = trueMillicores(samples(), end - Number(String(pm.window).slice(0, -1)) * 1000, end);
      return truth === undefined ? undefined : { pm, truth };
    }, 30_000);
    assert.equal(pm.kind, 'PodMetrics');
    assert.equal(pm.metadata.labels.app, 'burner');
    assert.match(pm.window, /^\d+s$/);
    assert.match(pm.containers[0].usage.cpu, /^\d+n$/);
    const reportedMilli = Number(pm.containers[0].usage.cpu.slice(0, -1)) / 1e6;
    console.log(`PodMetrics burner: ${reportedMilli.toFixed(0)}m over ${pm.window}; the kernel: ${truth.toFixed(0)}m`);
    assert.ok(reportedMilli >= truth * 0.5 - 20 && reportedMilli <= truth * 1.5 + 20, `API ${reportedMilli}m vs kernel ${truth}m`);
    // a label selector picks pods; the idle one is near zero
    const idle = k(c.s, ['top', 'pods', '-l', 'app=idler', '--no-headers']).trim().split(/\s+/);
    assert.equal(idle[0], 'idler');
    assert.ok(milli(idle[1]!) < 100, `idler at ${idle[1]}`);
    assert.doesNotMatch(k(c.s, ['top', 'pods', '-l', 'app=idler']), /burner/);
    // one pod by name, and a missing one is a NotFound
    assert.match(k(c.s, ['top', 'pod', 'burner', '--containers']), /burner\s+burner\s+\d+m\s+\d+Mi/);
    const missing = kubectl(c.s, ['get', '--raw', '/apis/metrics.k8s.io/v1beta1/namespaces/default/pods/nope']);
    assert.notEqual(missing.code, 0);
    assert.match(missing.stderr, /NotFound|not found/);

    const top = await until('the node in kubectl top nodes', () => {
      const line = kubectl(c.s, ['top', 'nodes', '--no-headers']).stdout.split('\n').find((l) => l.startsWith(`${c.nodeName} `));
      return line?.trim().split(/\s+/);
    });
    // NAME CPU(cores) CPU% MEMORY(bytes) MEMORY%: the node is the whole machine, busy at least with the burner (a core, or the machine's share of it)
    assert.ok(milli(top[1]!) >= 700, `node at ${top[1]}`);
    assert.match(top[2]!, /^\d+%$/);
    assert.match(top[3]!, /^\d+Mi$/);
    k(c.s, ['delete', 'pod', 'burner', 'idler', '--grace-period=1']);
  });

  test('an HPA scales a Deployment up under CPU load and back down when it stops', async () => {
    // each pod burns at most 200m (its limit) against a 100m request: 200% of request, target 50%
    const deployment = (command: string) => JSON.stringify({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'hog' },
      // no replicas: the HPA owns them, and a manifest's count would be re-applied over its (as upstream advises)
      spec: {
        selector: { matchLabels: { app: 'hog' } },
        template: {
          metadata: { labels: { app: 'hog' } },
          spec: { terminationGracePeriodSeconds: 1, containers: [{ name: 'hog', image: 'busybox', command: ['sh', '-c', command], resources: { requests: { cpu: '100m' }, limits: { cpu: '200m' } } }] },
        },
      },
    });
    k(c.s, ['apply', '-f', '-'], deployment('while :; do :; done'));
    k(c.s, ['autoscale', 'deployment', 'hog', '--cpu-percent=50', '--min=1', '--max=3']);
    // scaling down as soon as the load is gone (the default window is 5 min)
    k(c.s, ['patch', 'hpa', 'hog', '--type=merge', '-p', '{"spec":{"behavior":{"scaleDown":{"stabilizationWindowSeconds":0}}}}']);
    const hpa = JSON.parse(k(c.s, ['get', 'hpa.v2.autoscaling', 'hog', '-o', 'json']));
    assert.equal(hpa.spec.behavior.scaleDown.stabilizationWindowSeconds, 0);
    assert.deepEqual(hpa.spec.behavior.scaleUp.policies.map((p: { type: string }) => p.type).sort(), ['Percent', 'Pods']);

    const up = await until('scaled up to 3', () => {
      const h = JSON.parse(k(c.s, ['get', 'hpa.v2.autoscaling', 'hog', '-o', 'json']));
      return h.status?.desiredReplicas === 3 ? h : undefined;
    }, 90_000, 1000);
    const replicas = await until('deployment at 3 replicas', () => JSON.parse(k(c.s, ['get', 'deploy', 'hog', '-o', 'json'])).spec.replicas === 3, 10_000);
    assert.equal(replicas, true);
    const cond = (h: { status: { conditions: Array<{ type: string; status: string; reason: string }> } }, t: string) => h.status.conditions.find((x) => x.type === t);
    assert.equal(cond(up, 'AbleToScale')?.status, 'True');
    assert.ok(up.status.lastScaleTime, 'the rescale is in the status');
    assert.equal(cond(up, 'ScalingActive')?.reason, 'ValidMetricFound');
    const cpuStatus = up.status.currentMetrics.find((m: { resource?: { name: string } }) => m.resource?.name === 'cpu');
    assert.ok(cpuStatus.resource.current.averageUtilization > 100, `utilization ${cpuStatus.resource.current.averageUtilization}%`);
    const events = k(c.s, ['get', 'events', '--field-selector', 'reason=SuccessfulRescale', '-o', 'jsonpath={.items[*].message}']);
    assert.match(events, /New size: \d; reason: cpu resource utilization \(percentage of request\) above target/);
    const table = k(c.s, ['get', 'hpa', 'hog']);
    assert.match(table, /NAME\s+REFERENCE\s+TARGETS\s+MINPODS\s+MAXPODS\s+REPLICAS\s+AGE/);
    assert.match(table, /hog\s+Deployment\/hog\s+cpu: \d+%\/50%\s+1\s+3\s+\d/);

    // the load stops (idle pods from a new template): all metrics below target, back to the minimum
    k(c.s, ['apply', '-f', '-'], deployment('sleep 3600'));
    // the apply leaves the HPA's count alone, so going down below is the HPA's doing
    assert.equal(JSON.parse(k(c.s, ['get', 'deploy', 'hog', '-o', 'json'])).spec.replicas, 3);
    const down = await until('scaled down to 1', () => {
      const h = JSON.parse(k(c.s, ['get', 'hpa.v2.autoscaling', 'hog', '-o', 'json']));
      return h.status?.desiredReplicas === 1 && h.status.currentReplicas === 1 ? h : undefined;
    }, 120_000, 1000);
    assert.ok(down.status.lastScaleTime, JSON.stringify(down.status));
    assert.match(k(c.s, ['get', 'events', '--field-selector', 'reason=SuccessfulRescale', '-o', 'jsonpath={.items[*].message}']), /New size: 1; reason: All metrics below target/);
    assert.equal(JSON.parse(k(c.s, ['get', 'deploy', 'hog', '-o', 'json'])).spec.replicas, 1);
    k(c.s, ['delete', 'hpa', 'hog']);
    k(c.s, ['delete', 'deploy', 'hog']);
  });

  test('bad HPAs are refused with field errors', () => {
    const bad = kubectl(c.s, ['apply', '-f', '-'], JSON.stringify({ apiVersion: 'autoscaling/v2', kind: 'HorizontalPodAutoscaler', metadata: { name: 'bad' }, spec: { scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'x' }, minReplicas: 5, maxReplicas: 2 } }));
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /spec.maxReplicas: Invalid value: 2: must be greater than or equal to `minReplicas`/);
  });
});
