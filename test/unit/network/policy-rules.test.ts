// NetworkPolicy rule building: who is isolated, what each rule lets through, and
// that nft accepts the ruleset (checked with `nft -c` inside a namespace made here).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { buildPolicyRuleset } from '../../../src/network/netpol/policy-rules.js';
import type { KubeObject } from '../../../src/api/object.js';

const pod = (name: string, ns: string, ip: string, labels: Record<string, string>, node = 'n1', ports: object[] = []): KubeObject =>
  ({ metadata: { name, namespace: ns, labels }, spec: { nodeName: node, containers: [{ name: 'c', ports }] }, status: { phase: 'Running', podIP: ip } }) as unknown as KubeObject;
const ns = (name: string, labels: Record<string, string> = {}): KubeObject => ({ metadata: { name, labels: { 'kubernetes.io/metadata.name': name, ...labels } } }) as unknown as KubeObject;
const pol = (name: string, namespace: string, spec: object): KubeObject => ({ metadata: { name, namespace }, spec }) as unknown as KubeObject;

const pods = [
  pod('web', 'default', '10.42.0.2', { app: 'web' }, 'n1', [{ name: 'http', containerPort: 8080 }]),
  pod('client', 'default', '10.42.1.3', { role: 'client' }, 'n2'),
  pod('other', 'default', '10.42.1.4', { role: 'other' }, 'n2'),
  pod('mon', 'monitoring', '10.42.2.5', { app: 'prom' }, 'n3'),
];
const namespaces = [ns('default'), ns('monitoring', { team: 'ops' })];

function nftAccepts(script: string): void {
  const name = `skiff-unit-${process.pid}`;
  execFileSync('ip', ['netns', 'add', name]);
  try {
    execFileSync('ip', ['netns', 'exec', name, 'nft', '-c', '-f', '-'], { input: script });
  } finally {
    execFileSync('ip', ['netns', 'delete', name]);
  }
}

test('no policy: nothing isolated', () => {
  const r = buildPolicyRuleset({ policies: [], pods, namespaces, nodeName: 'n1' });
  assert.doesNotMatch(r, /jump/);
  nftAccepts(r);
});

test('deny-all ingress then allow from a label, another namespace and a named port', () => {
  const policies = [
    pol('deny', 'default', { podSelector: {}, policyTypes: ['Ingress'] }),
    pol('allow', 'default', { podSelector: { matchLabels: { app: 'web' } }, ingress: [{ from: [{ podSelector: { matchLabels: { role: 'client' } } }, { namespaceSelector: { matchLabels: { team: 'ops' } } }], ports: [{ port: 'http' }] }] }),
  ];
  const r = buildPolicyRuleset({ policies, pods, namespaces, nodeName: 'n1' });
  // only n1's pod is enforced here
  assert.match(r, /ip daddr 10\.42\.0\.2 jump in-/);
  assert.doesNotMatch(r, /10\.42\.1\.3 jump/);
  assert.match(r, /ip saddr \{ 10\.42\.1\.3, 10\.42\.2\.5 \} meta l4proto tcp th dport 8080 return/);
  assert.doesNotMatch(r, /10\.42\.1\.4/);
  assert.match(r, /return\n\s+drop/);
  nftAccepts(r);
});

test('egress: default Ingress-only unless egress rules; ipBlock with except; port ranges', () => {
  const policies = [pol('eg', 'default', { podSelector: { matchLabels: { app: 'web' } }, policyTypes: ['Egress'], egress: [{ to: [{ ipBlock: { cidr: '10.0.0.0/8', except: ['10.42.1.0/24'] } }], ports: [{ protocol: 'UDP', port: 53, endPort: 60 }] }] })];
  const r = buildPolicyRuleset({ policies, pods, namespaces, nodeName: 'n1' });
  assert.match(r, /ip saddr 10\.42\.0\.2 jump eg-/);
  assert.doesNotMatch(r, /ip daddr 10\.42\.0\.2 jump/);
  assert.match(r, /ip daddr 10\.0\.0\.0\/8 ip daddr != \{ 10\.42\.1\.0\/24 \} meta l4proto udp th dport 53-60 return/);
  nftAccepts(r);
  // a policy with egress rules and no policyTypes covers both directions
  const both = buildPolicyRuleset({ policies: [pol('b', 'default', { podSelector: {}, egress: [{}] })], pods, namespaces, nodeName: 'n1' });
  assert.match(both, /ip saddr 10\.42\.0\.2 jump eg-/);
  assert.match(both, /ip daddr 10\.42\.0\.2 jump in-/);
  nftAccepts(both);
});

test('a selector matching no pod and an unknown named port allow nothing', () => {
  const policies = [pol('p', 'default', { podSelector: {}, ingress: [{ from: [{ podSelector: { matchLabels: { nobody: 'x' } } }] }, { ports: [{ port: 'nope' }] }] })];
  const r = buildPolicyRuleset({ policies, pods, namespaces, nodeName: 'n1' });
  const chain = /chain in-[0-9a-f]+ \{([^}]*)\}/.exec(r)![1]!;
  assert.equal(chain.trim(), 'drop');
  nftAccepts(r);
});
