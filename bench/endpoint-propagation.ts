// How long an endpoint change takes to reach every node's rules, broken down
// (for bench/service-proxy.ts). The bench plays the kubelet of one pod that no
// scheduler takes (its own schedulerName) and flips its Ready condition through
// pods/status, as a kubelet does after a probe; then
//   write      the status write request (node 0 -> API)
//   pod        from the write's start to the pod's change seen by a watch from
//              node 0 (the API server's commit and watch fan-out)
//   slice      from the write's start to the EndpointSlice change seen by a watch
//              from node 0 (the EndpointSlice controller's reaction and its write)
//   node N     from the write's start to the endpoint's chain added to / deleted
//              from node N's nftables (`nft monitor`): the agent's watch and its apply
// The kubelet's own part (probe period, probe run, status write) is not in it.
import type { Cluster } from '../test/e2e/cluster-harness.js';
import { apiFromNode0, nftMonitor, watchFromNode0 } from './cluster-probes.js';

type Obj = Record<string, any>;

const POD_IP = '10.42.250.7';

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? NaN;
};

export async function endpointPropagation(c: Cluster, changes: number): Promise<string[]> {
  const api = apiFromNode0(c);
  const stops: Array<() => void> = [];
  try {
    await api.call('POST', '/api/v1/namespaces/default/services', { apiVersion: 'v1', kind: 'Service', metadata: { name: 'ghost' }, spec: { selector: { app: 'ghost' }, ports: [{ port: 80, targetPort: 8080 }] } });
    await api.call('POST', '/api/v1/namespaces/default/pods', { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'ghost', labels: { app: 'ghost' } }, spec: { schedulerName: 'skiff-bench-nobody', containers: [{ name: 'c', image: 'busybox', ports: [{ containerPort: 8080 }] }] } });
    // per state (ready or not): when the slice said so, and when each node's rules did
    const sliceAt = new Map<boolean, number>();
    const podAt = new Map<boolean, number>();
    const nodeAt = c.nodes.map(() => new Map<boolean, number>());
    stops.push(
      watchFromNode0(c, '/apis/discovery.k8s.io/v1/namespaces/default/endpointslices?watch=1&labelSelector=kubernetes.io%2Fservice-name%3Dghost', (t, _type, s: Obj) => {
        const ep = ((s.endpoints ?? []) as Obj[]).find((e) => (e.addresses as string[]).includes(POD_IP));
        const ready = ep?.conditions?.ready === true;
        if (!sliceAt.has(ready)) sliceAt.set(ready, t);
      }),
    );
    stops.push(
      watchFromNode0(c, '/api/v1/namespaces/default/pods?watch=1&fieldSelector=metadata.name%3Dghost', (t, _type, p: Obj) => {
        const ready = ((p.status?.conditions ?? []) as Obj[]).some((x) => x.type === 'Ready' && x.status === 'True');
        if (p.status?.podIP === POD_IP && !podAt.has(ready)) podAt.set(ready, t);
      }),
    );
    c.nodes.forEach((n, i) =>
      stops.push(
        nftMonitor(n.netns, (t, line) => {
          const m = /^(add|delete) chain ip skiff ep-[0-9a-f]{16}-([0-9.]+)-8080/.exec(line);
          if (m?.[2] === POD_IP && !nodeAt[i]!.has(m[1] === 'add')) nodeAt[i]!.set(m[1] === 'add', t);
        }),
      ),
    );
    await new Promise((r) => setTimeout(r, 500));
    const rows: Array<{ write: number; pod: number; slice: number; nodes: number[] }> = [];
    for (let i = 0; i < changes; i++) {
      const ready = i % 2 === 0;
      sliceAt.delete(ready);
      podAt.delete(ready);
      for (const m of nodeAt) m.delete(ready);
      const status = { phase: 'Running', podIP: POD_IP, podIPs: [{ ip: POD_IP }], conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }] };
      const r = await api.call('PATCH', '/api/v1/namespaces/default/pods/ghost/status', { status }, 'application/merge-patch+json');
      for (let w = 0; w < 1000 && !nodeAt.every((m) => m.has(ready)); w++) await new Promise((res) => setTimeout(res, 10));
      if (!nodeAt.every((m) => m.has(ready)) || !sliceAt.has(ready) || !podAt.has(ready)) throw new Error(`endpoint change ${i} (ready=${ready}) not on every node within 10 s (nodes ${nodeAt.map((m) => m.has(ready))}, slice ${sliceAt.has(ready)}, pod ${podAt.has(ready)})`);
      rows.push({ write: r.end - r.start, pod: podAt.get(ready)! - r.start, slice: sliceAt.get(ready)! - r.start, nodes: nodeAt.map((m) => m.get(ready)! - r.start) });
      await new Promise((res) => setTimeout(res, 200)); // one change at a time, as a kubelet makes them
    }
    const all = rows.map((r) => Math.max(...r.nodes));
    const fmt = (xs: number[]) => `p50 ${pct(xs, 50)} ms, p99 ${pct(xs, 99)} ms`;
    return [
      `endpoint changes, ${changes} Ready flips of one pod written through pods/status, to all 3 nodes' nftables:`,
      `  from the status write to every node's rules: ${fmt(all)}, max ${Math.max(...all)} ms`,
      `    the status write itself                    ${fmt(rows.map((r) => r.write))}`,
      `    to the pod's change (watch)                ${fmt(rows.map((r) => r.pod))}`,
      `    to the EndpointSlice change (watch)        ${fmt(rows.map((r) => r.slice))}`,
      ...c.nodes.map((_, i) => `    to node ${i}'s rules                         ${fmt(rows.map((r) => r.nodes[i]!))}`),
      `  stage by stage (each from the one before, per change):`,
      `    pod change -> EndpointSlice change (the controller's reaction and write)  ${fmt(rows.map((r) => r.slice - r.pod))}`,
      `    EndpointSlice change -> last node's rules (the agents' watch and apply)   ${fmt(rows.map((r) => Math.max(...r.nodes) - r.slice))}`,
    ];
  } finally {
    for (const s of stops) s();
    api.close();
  }
}
