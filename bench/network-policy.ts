// NetworkPolicy figures (root needed; network namespaces made here, as the e2e
// tests do):
// 1. building the ruleset for one node of a large cluster (pure function), its
//    size, and `nft -f` of it inside a namespace made here;
// 2. on a real two-node cluster, how long a policy change takes to be enforced:
//    from the kubectl request to the commit of both nodes' tables with the
//    pods' verdict entries (create), and without them (delete).
// Run: node --import tsx bench/network-policy.ts [pods=5000] [policies=200] [rounds=10] [--build-only]
import { execFileSync, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import type { KubeObject } from '../src/api/object.js';
import { buildPolicyRuleset } from '../src/network/policy/policy-ruleset.js';
import { k } from '../test/e2e/harness.js';
import { startCluster } from '../test/e2e/cluster-harness.js';

const args = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const buildOnly = process.argv.includes('--build-only');
const podCount = Number(args[0] ?? 5000);
const policyCount = Number(args[1] ?? 200);
const rounds = Number(args[2] ?? 10);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;
const max = (xs: number[]) => Math.max(...xs);

// 1. a synthetic cluster: 100 nodes, 20 namespaces, apps of 10 pods with a named port each
{
  const obj = (o: object) => o as unknown as KubeObject;
  const namespaces = Array.from({ length: 20 }, (_, i) =>
    obj({ metadata: { name: `ns${i}`, labels: { team: `t${i % 5}` } } }),
  );
  const pods = Array.from({ length: podCount }, (_, i) =>
    obj({
      metadata: {
        name: `p${i}`,
        namespace: `ns${i % 20}`,
        labels: { app: `app${Math.floor(i / 10) % 50}`, tier: i % 2 ? 'front' : 'back' },
      },
      spec: {
        nodeName: `node${i % 100}`,
        containers: [{ name: 'c', ports: [{ name: 'http', containerPort: 8000 + (i % 7) }] }],
      },
      status: { phase: 'Running', podIP: `10.42.${Math.floor(i / 250)}.${(i % 250) + 2}` },
    }),
  );
  const policies = Array.from({ length: policyCount }, (_, i) =>
    obj({
      metadata: { name: `np${i}`, namespace: `ns${i % 20}` },
      spec: {
        podSelector: { matchLabels: { app: `app${i % 50}` } },
        policyTypes: ['Ingress', 'Egress'],
        ingress: [
          {
            from: [
              { podSelector: { matchLabels: { tier: 'front' } } },
              { namespaceSelector: { matchLabels: { team: `t${i % 5}` } } },
            ],
            ports: [{ port: 'http' }, { port: 9000, endPort: 9100 }],
          },
        ],
        egress: [
          {
            to: [{ ipBlock: { cidr: '10.0.0.0/8', except: ['10.42.200.0/24'] } }],
            ports: [{ port: 'http' }],
          },
          { to: [{ podSelector: { matchLabels: { tier: 'back' } } }] },
        ],
      },
    }),
  );
  const localPods = pods.filter((p) => (p.spec as any).nodeName === 'node0');
  const input = { policies, pods, namespaces, localPods };
  buildPolicyRuleset(input); // warm up
  const times: number[] = [];
  let script = '';
  for (let i = 0; i < 5; i++) {
    const t = performance.now();
    script = buildPolicyRuleset(input);
    times.push(performance.now() - t);
  }
  const netns = `skiff-np-bench-${process.pid}`;
  execFileSync('ip', ['netns', 'add', netns]);
  const nftMs = (text: string) => {
    const t = performance.now();
    execFileSync('nsenter', [`--net=/var/run/netns/${netns}`, 'nft', '-f', '-'], { input: text });
    return performance.now() - t;
  };
  const applyMs: number[] = [];
  const floorMs: number[] = [];
  try {
    for (let i = 0; i < 3; i++) {
      applyMs.push(nftMs(script));
      // the same call with no policy: starting nft and replacing a table cost this much anyway
      floorMs.push(nftMs(buildPolicyRuleset({ policies: [], pods, namespaces, localPods })));
    }
  } finally {
    execFileSync('ip', ['netns', 'delete', netns]);
  }
  console.log(
    `ruleset for one node: ${podCount} pods on 100 nodes (${localPods.length} here), ${policyCount} policies over 20 namespaces:`,
  );
  console.log(
    `  build median ${median(times).toFixed(1)} ms (max ${max(times).toFixed(1)}), ${(script.length / 1024).toFixed(0)} KiB, ${(script.match(/^ {2}chain /gm) ?? []).length} chains`,
  );
  console.log(
    `  nft -f (replace the table) median ${median(applyMs).toFixed(1)} ms; with no policy ${median(floorMs).toFixed(1)} ms`,
  );
}

// 2. enforcement latency on two real nodes
if (buildOnly) process.exit(0);
const c = await startCluster('bnp', 2);
try {
  const webIPs: Array<{ netns: string; ip: string }> = [];
  for (const [i, n] of c.nodes.entries()) {
    k(
      c.s,
      ['apply', '-f', '-'],
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: `web-${i}`, labels: { app: 'web' } },
        spec: {
          nodeName: n.name,
          terminationGracePeriodSeconds: 1,
          containers: [{ name: 'c', image: 'busybox', command: ['sleep', '3600'] }],
        },
      }),
    );
  }
  for (const [i, n] of c.nodes.entries()) {
    k(c.s, ['wait', '--for=condition=Ready', `pod/web-${i}`, '--timeout=60s']);
    webIPs.push({
      netns: n.netns,
      ip: JSON.parse(k(c.s, ['get', 'pod', `web-${i}`, '-o', 'json'])).status.podIP,
    });
  }
  // Each node's table is watched with `nft monitor`: a transaction that
  // recreates the policy table is seen when the kernel commits it, so the
  // figure does not include the time of polling with `nft list`.
  const watchers = webIPs.map((w) => {
    const proc = spawn('nsenter', [`--net=/var/run/netns/${w.netns}`, 'nft', 'monitor'], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const state = { enforced: false, at: 0, wake: () => {} };
    let txn = '';
    createInterface({ input: proc.stdout! }).on('line', (line) => {
      if (!line.startsWith('# new generation')) {
        txn += `${line}\n`;
        return;
      }
      if (txn.includes('add table inet skiff-policy')) {
        // the first commit in a new state counts: later rebuilds with the same verdicts do not
        const enforced = txn.includes(`${w.ip} : jump`);
        if (enforced !== state.enforced) Object.assign(state, { enforced, at: Date.now() });
        state.wake();
      }
      txn = '';
    });
    return { proc, state };
  });
  await new Promise((r) => setTimeout(r, 500)); // let the monitors subscribe
  /** When every node has committed a table in the wanted state (the latest commit time). */
  const allAt = async (want: boolean): Promise<number> => {
    const giveUp = Date.now() + 30_000;
    for (;;) {
      if (Date.now() > giveUp) throw new Error(`the nodes' tables never became ${want}`);
      if (watchers.every((w) => w.state.enforced === want))
        return Math.max(...watchers.map((w) => w.state.at));
      await new Promise<void>((r) => {
        for (const w of watchers) w.state.wake = r;
        setTimeout(r, 1000);
      });
    }
  };
  const kubectlMs: number[] = [];
  const add: number[] = [];
  const del: number[] = [];
  const addAfter: number[] = [];
  const delAfter: number[] = [];
  const policy = JSON.stringify({
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: { name: 'deny' },
    spec: { podSelector: { matchLabels: { app: 'web' } }, policyTypes: ['Ingress'] },
  });
  try {
    for (let i = 0; i < rounds; i++) {
      let t = Date.now();
      k(c.s, ['create', '-f', '-'], policy);
      let back = Date.now();
      kubectlMs.push(back - t);
      let at = await allAt(true);
      add.push(at - t);
      addAfter.push(at - back);
      t = Date.now();
      k(c.s, ['delete', 'networkpolicy', 'deny', '--wait=false']);
      back = Date.now();
      kubectlMs.push(back - t);
      at = await allAt(false);
      del.push(at - t);
      delAfter.push(at - back);
    }
  } finally {
    for (const w of watchers) w.proc.kill();
  }
  console.log(
    `policy change to its table committed on both nodes (nft monitor), ${rounds} rounds, from the start of kubectl (whose call takes median ${median(kubectlMs)} ms) / from kubectl's return:`,
  );
  console.log(
    `  create: median ${median(add)} / ${median(addAfter)} ms, max ${max(add)} / ${max(addAfter)} ms`,
  );
  console.log(
    `  delete: median ${median(del)} / ${median(delAfter)} ms, max ${max(del)} / ${max(delAfter)} ms`,
  );
} finally {
  await c.stop();
}
