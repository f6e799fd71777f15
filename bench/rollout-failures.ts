// A rolling update of a Deployment behind a Service under constant client
// traffic (for bench/service-proxy.ts), with every failed request traced to
// why it failed. The client's traffic enters the cluster through node 0, which
// picks the backend (DNAT), so:
// - a set in node 0 records the backend each connection was sent to, by the
//   client's local port (the traffic generator picks its ports);
// - a watch on the Deployment's pods says when that pod became ready and when
//   it was deleted;
// - `nft monitor` on node 0 says when its endpoint left node 0's rules.
// The app stops at once on SIGTERM, as most servers do, so without a preStop
// hook the old pod stops while the proxies still send it new connections
// (upstream has the same race: the kubelet and the endpoint path both start
// from the deletion).
import { execFile, execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Cluster } from '../test/e2e/cluster-harness.js';
import { startTraffic, type TrafficFailure } from '../test/e2e/http-traffic.js';
import { nftMonitor, watchFromNode0 } from './cluster-probes.js';

interface PodTimes {
  name: string;
  ip?: string;
  seenAt: number;
  readyAt?: number;
  deletingAt?: number;
  /** there before the update started */
  initial: boolean;
}

type Obj = Record<string, any>;

const run = promisify(execFile);

const FLOW_TIMEOUT_MS = 300_000;

/**
 * Records in node 0 (a table of the bench's own in that namespace) which backend each of
 * the client's connections was sent to: the first SYN's source port and its address after
 * DNAT, as node 0 forwards it. conntrack cannot tell: a flow whose SYN was answered by a
 * reset is dropped from it at once.
 */
function recordFlows(c: Cluster) {
  const ns = `--net=/var/run/netns/${c.nodes[0]!.netns}`;
  execFileSync('nsenter', [ns, 'nft', '-f', '-'], {
    input: `table ip skiffbench {
  set flows { type inet_service . ipv4_addr; flags dynamic,timeout; timeout ${FLOW_TIMEOUT_MS / 1000}s; size 262144; }
  chain sent { type filter hook forward priority 0; policy accept; ip saddr ${c.client.ip} tcp flags & (syn | ack) == syn update @flows { tcp sport . ip daddr }; }
}
`,
  });
  return {
    /** per client port: the backends it went to, and when */
    list(): Map<number, Array<{ ip: string; at: number }>> {
      const now = Date.now();
      const out = execFileSync('nsenter', [ns, 'nft', 'list', 'set', 'ip', 'skiffbench', 'flows'], { encoding: 'utf8', maxBuffer: 256 << 20 });
      const flows = new Map<number, Array<{ ip: string; at: number }>>();
      for (const m of out.matchAll(/(\d+) \. ([0-9.]+)(?: timeout \S+)? expires ([0-9dhms]+)/g)) {
        const list = flows.get(Number(m[1])) ?? [];
        list.push({ ip: m[2]!, at: now - (FLOW_TIMEOUT_MS - duration(m[3]!)) });
        flows.set(Number(m[1]), list);
      }
      return flows;
    },
    remove: () => execFileSync('nsenter', [ns, 'nft', 'delete', 'table', 'ip', 'skiffbench']),
  };
}

/** nft's 4m59s823ms in ms. */
function duration(text: string): number {
  let ms = 0;
  for (const m of text.matchAll(/(\d+)(ms|d|h|m|s)/g)) ms += Number(m[1]) * { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[m[2] as 'ms'];
  return ms;
}

/** kubectl without blocking the event loop. */
async function kAsync(c: Cluster, args: string[]): Promise<string> {
  const argv = c.s.netns ? [`--net=/var/run/netns/${c.s.netns}`, 'kubectl', ...args] : args;
  const { stdout } = await run(c.s.netns ? 'nsenter' : 'kubectl', argv, { env: { ...process.env, KUBECONFIG: c.s.kubeconfig }, timeout: 120_000, maxBuffer: 16 << 20 });
  return stdout;
}

/** One rolling update under traffic; the row the bench prints for it. */
export async function rollingUpdate(c: Cluster, preStop: boolean, k: (args: string[], input?: string) => string): Promise<string> {
  const name = preStop ? 'roll-prestop' : 'roll';
  // sh traps SIGTERM (PID 1 ignores it otherwise) and stops httpd at once
  const app = `mkdir -p /www && echo ok > /www/index.html && trap 'kill $p; exit 0' TERM; httpd -f -p 8080 -h /www & p=$!; wait`;
  k(['apply', '-f', '-'], JSON.stringify({
    apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name },
    spec: {
      replicas: 3, selector: { matchLabels: { app: name } }, strategy: { rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } },
      template: {
        metadata: { labels: { app: name } },
        spec: {
          terminationGracePeriodSeconds: 30,
          containers: [{ name: 'c', image: 'busybox:v1', command: ['sh', '-c', app], ports: [{ containerPort: 8080 }], readinessProbe: { httpGet: { path: '/', port: 8080 }, periodSeconds: 1 }, ...(preStop ? { lifecycle: { preStop: { sleep: { seconds: 5 } } } } : {}) }],
        },
      },
    },
  }));
  k(['rollout', 'status', `deployment/${name}`, '--timeout=300s']);
  k(['expose', 'deployment', name, '--port', '80', '--target-port', '8080']);
  const ip = JSON.parse(k(['get', 'svc', name, '-o', 'json'])).spec.clusterIP as string;

  const pods = new Map<string, PodTimes>();
  let updating = false;
  const stopWatch = watchFromNode0(c, `/api/v1/namespaces/default/pods?watch=1&labelSelector=app%3D${name}`, (t, _type, pod) => {
    const p: PodTimes = pods.get(pod.metadata.name) ?? { name: pod.metadata.name, seenAt: t, initial: !updating };
    pods.set(p.name, p);
    p.ip ??= pod.status?.podIP;
    if (!p.readyAt && (pod.status?.conditions ?? []).some((x: Obj) => x.type === 'Ready' && x.status === 'True')) p.readyAt = t;
    if (!p.deletingAt && pod.metadata.deletionTimestamp) p.deletingAt = t;
  });
  // when each endpoint (by pod IP) last left node 0's rules
  const epGone = new Map<string, number>();
  // when the EndpointSlice first said each address was not ready (or dropped it)
  const sliceUnready = new Map<string, number>();
  const stopSliceWatch = watchFromNode0(c, `/apis/discovery.k8s.io/v1/namespaces/default/endpointslices?watch=1&labelSelector=kubernetes.io%2Fservice-name%3D${name}`, (t, _type, slice) => {
    const listed = new Map(((slice.endpoints ?? []) as Obj[]).flatMap((e) => (e.addresses as string[]).map((a) => [a, e.conditions?.ready === true] as const)));
    for (const p of pods.values()) if (p.ip && p.deletingAt !== undefined && !sliceUnready.has(p.ip) && listed.get(p.ip) !== true) sliceUnready.set(p.ip, t);
  });
  const nftLines: string[] = [];
  const stopMonitor = nftMonitor(c.nodes[0]!.netns, (t, line) => {
    nftLines.push(`${t} ${line}`);
    const m = /^delete chain ip skiff ep-[0-9a-f]{16}-([0-9.]+)-8080/.exec(line);
    if (m) epGone.set(m[1]!, t);
  });
  const failures: TrafficFailure[] = [];
  const flows = recordFlows(c);
  await new Promise((r) => setTimeout(r, 1000));
  const traffic = startTraffic(c.client.netns, ip, 80, 4, (f) => failures.push(f));
  await new Promise((r) => setTimeout(r, 1000));
  const t0 = Date.now();
  updating = true;
  // kubectl runs asynchronously from here on: the bench's clock readings (nft monitor lines,
  // conntrack look-ups) must not wait behind a blocked event loop
  await kAsync(c, ['set', 'image', `deployment/${name}`, 'c=busybox:v2']);
  // done when 3 pods are left, all new and ready (the old ones gone, as they may serve while terminating)
  for (let i = 0; i < 600; i++) {
    const items = JSON.parse(await kAsync(c, ['get', 'pods', '-l', `app=${name}`, '-o', 'json']).catch(() => '{"items":[]}')).items as Obj[];
    if (items.length === 3 && items.every((p) => p.spec.containers[0].image === 'busybox:v2' && (p.status?.conditions ?? []).some((x: Obj) => x.type === 'Ready' && x.status === 'True'))) break;
    await new Promise((r) => setTimeout(r, 500));
  }
  const rolloutS = (Date.now() - t0) / 1000;
  await new Promise((r) => setTimeout(r, 1000));
  const res = await traffic.stop();
  await new Promise((r) => setTimeout(r, 500)); // the last watch events and nft lines
  stopWatch();
  stopSliceWatch();
  stopMonitor();
  const sent = flows.list();
  flows.remove();
  // the connection from that port opened nearest the failed one's start
  const backendOf = (f: TrafficFailure) => (sent.get(f.port) ?? []).sort((a, b) => Math.abs(a.at - f.start) - Math.abs(b.at - f.start))[0]?.ip;

  // SKIFF_BENCH_TRACE=DIR: the timeline behind the classes, for a closer look
  if (process.env.SKIFF_BENCH_TRACE) {
    writeFileSync(join(process.env.SKIFF_BENCH_TRACE, `${name}.json`), JSON.stringify({ t0, pods: [...pods.values()], failures: failures.map((f) => ({ ...f, backend: backendOf(f) })), nft: nftLines, sliceErrors: c.s.output().split('\n').filter((l) => l.includes('endpointslice sync failed')) }, null, 1));
  }
  const classes = new Map<string, Cause[]>();
  for (const f of failures) {
    const why = classify(f, backendOf(f), [...pods.values()], epGone);
    classes.set(why.what, [...(classes.get(why.what) ?? []), why]);
  }
  const range = (xs: number[]) => (Math.min(...xs) === Math.max(...xs) ? `${xs[0]}` : `${Math.min(...xs)}-${Math.max(...xs)}`);
  const detail = [...classes]
    .map(([what, cs]) => {
      const opened = cs.map((x) => x.opened).filter((x) => x !== undefined);
      const removed = [...new Set(cs.map((x) => x.removed).filter((x) => x !== undefined))];
      return `\n      ${cs.length} x ${what}${opened.length ? ` (opened ${range(opened)} ms after the deletion; node 0 removed the endpoint ${range(removed)} ms after it)` : ''}`;
    })
    .join('');
  // for every old pod: from its deletion (seen by a watch) to its endpoint leaving node 0's rules
  const deleted = [...pods.values()].filter((p) => p.deletingAt !== undefined && p.ip && epGone.has(p.ip)).sort((a, b) => a.deletingAt! - b.deletingAt!);
  const lags = deleted.map((p) => `${sliceUnready.has(p.ip!) ? sliceUnready.get(p.ip!)! - p.deletingAt! : '?'}/${epGone.get(p.ip!)! - p.deletingAt!}`);
  return `  ${preStop ? 'preStop sleep 5 s   ' : 'no preStop hook     '} ${res.failed} failed of ${res.ok + res.failed} requests (rollout ${rolloutS.toFixed(0)} s; deleted pods unready in the slice/gone from node 0's rules ${lags.join(', ')} ms after their deletion)${detail}`;
}

interface Cause {
  what: string;
  /** for a new connection to a deleted pod: ms from the deletion to the connection and to the endpoint's removal in node 0 */
  opened?: number;
  removed?: number;
}

function classify(f: TrafficFailure, backend: string | undefined, pods: PodTimes[], epGone: Map<string, number>): Cause {
  if (!backend) return { what: `${f.code}, never forwarded by node 0 (refused there: no endpoints)` };
  // the pod that had this address when the connection was opened (addresses are reused)
  const p = pods.filter((x) => x.ip === backend && x.seenAt <= f.start).sort((a, b) => b.seenAt - a.seenAt)[0];
  if (!p) return { what: `${f.code}, to ${backend}: no pod of the Deployment had it` };
  if (!p.initial && (!p.readyAt || f.start < p.readyAt)) return { what: `${f.code}, to a new pod before it was ready` };
  if (p.deletingAt !== undefined && f.start >= p.deletingAt) {
    const gone = epGone.get(backend);
    if (gone === undefined) return { what: `${f.code}, new connection to a deleted pod whose endpoint never left node 0` };
    if (f.start <= gone) return { what: `${f.code}, new connection to a deleted pod before node 0 removed its endpoint`, opened: f.start - p.deletingAt, removed: gone - p.deletingAt };
    return { what: `${f.code}, new connection to a deleted pod after node 0 removed its endpoint` };
  }
  if (p.deletingAt !== undefined && f.t >= p.deletingAt) return { what: `${f.code}, connection opened before the pod's deletion, cut when it stopped` };
  return { what: `${f.code}, to a pod neither new nor deleted` };
}
