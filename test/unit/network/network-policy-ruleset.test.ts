// NetworkPolicy to nftables: who is isolated in which direction, what each kind
// of rule lets through, and that nft itself takes every ruleset (`nft -c` in a
// network namespace made here, entered with nsenter).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import {
  buildPolicyRuleset,
  type PolicyInput,
} from '../../../src/network/policy/policy-ruleset.js';
import type { KubeObject } from '../../../src/api/object.js';

const obj = (o: object) => o as unknown as KubeObject;
const pod = (
  name: string,
  ns: string,
  ip: string,
  labels: Record<string, string>,
  node = 'n1',
  ports: object[] = [],
  extra: object = {},
) =>
  obj({
    metadata: { name, namespace: ns, labels },
    spec: { nodeName: node, containers: [{ name: 'c', ports }] },
    status: { phase: 'Running', podIP: ip, ...extra },
  });
const namespace = (name: string, labels: Record<string, string> = {}) =>
  obj({ metadata: { name, labels } });
const policy = (name: string, ns: string, spec: object) =>
  obj({ metadata: { name, namespace: ns }, spec });

const pods = [
  pod('web-a', 'default', '10.42.0.2', { app: 'web' }, 'n1', [
    { name: 'http', containerPort: 8080 },
  ]),
  pod('web-b', 'default', '10.42.0.3', { app: 'web' }, 'n1', [
    { name: 'http', containerPort: 9090 },
  ]),
  pod('client', 'default', '10.42.1.3', { role: 'client' }, 'n2'),
  pod('other', 'default', '10.42.1.4', { role: 'other' }, 'n2'),
  pod('mon', 'monitoring', '10.42.2.5', { app: 'prom' }, 'n3', [
    { name: 'metrics', containerPort: 9100 },
  ]),
  pod('mon-side', 'monitoring', '10.42.2.6', { app: 'sidecar' }, 'n3'),
  pod('dns', 'kube-system', '10.42.2.7', { app: 'dns' }, 'n3', [
    { name: 'dns', containerPort: 53, protocol: 'UDP' },
  ]),
];
const namespaces = [
  namespace('default'),
  namespace('monitoring', { team: 'ops' }),
  namespace('kube-system'),
];
const build = (policies: KubeObject[], more: Partial<PolicyInput> = {}) => {
  const all = more.pods ?? pods;
  return buildPolicyRuleset({
    policies,
    pods: all,
    namespaces,
    localPods: all.filter((p) => (p.spec as any).nodeName === 'n1'),
    ...more,
  });
};

/** The elements of a named set of the table. */
function setElements(ruleset: string, name: string): string {
  const m = new RegExp(`set ${name} \\{\\n\\s+type [^\\n]+\\n\\s+elements = (\\{[^}]*\\})\\n`).exec(
    ruleset,
  );
  assert.ok(m, `set ${name} is declared`);
  return m[1]!;
}

/**
 * The rules of the chain a local pod jumps to for a direction, or undefined if
 * it is not isolated; a named set stands in by its elements, so the rules read
 * the same whether a peer list is inline or shared.
 */
function chainOf(ruleset: string, dir: 'ingress' | 'egress', ip: string): string[] | undefined {
  const vmap =
    new RegExp(`ip ${dir === 'ingress' ? 'daddr' : 'saddr'} vmap \\{([^}]*)\\}`).exec(
      ruleset,
    )?.[1] ?? '';
  const name = new RegExp(`${ip.replace(/\./g, '\\.')} : jump ([a-z]+-[0-9a-f]+)`).exec(vmap)?.[1];
  if (!name) return undefined;
  const body = new RegExp(`chain ${name} \\{\\n([\\s\\S]*?)\\n  \\}`).exec(ruleset)![1]!;
  return body
    .split('\n')
    .map((l) => l.trim().replace(/@(s-[0-9a-f]+)/g, (_, set: string) => setElements(ruleset, set)));
}

let netns = '';
const nftAccepts = (script: string) =>
  execFileSync('nsenter', [`--net=/var/run/netns/${netns}`, 'nft', '-c', '-f', '-'], {
    input: script,
  });

describe('NetworkPolicy ruleset', () => {
  before(() => {
    netns = `skiff-np-unit-${process.pid}`;
    execFileSync('ip', ['netns', 'add', netns]);
  });
  after(() => execFileSync('ip', ['netns', 'delete', netns]));

  test('no policy: the table exists and isolates nobody', () => {
    const r = build([]);
    assert.match(
      r,
      /^table inet skiff-policy \{\}\ndelete table inet skiff-policy\ntable inet skiff-policy \{/,
    );
    assert.match(
      r,
      /type filter hook forward priority filter; policy accept;\n\s+ct state established,related accept\n\s+\}/,
    );
    assert.doesNotMatch(r, /vmap|jump/);
    nftAccepts(r);
  });

  test('deny-all ingress isolates the selected pods of this node only, and pods under the same rules share a chain', () => {
    const r = build([policy('deny', 'default', { podSelector: {}, policyTypes: ['Ingress'] })]);
    assert.deepEqual(chainOf(r, 'ingress', '10.42.0.2'), ['counter drop']);
    assert.deepEqual(chainOf(r, 'ingress', '10.42.0.3'), ['counter drop']);
    assert.equal(
      chainOf(r, 'ingress', '10.42.1.3'),
      undefined,
      'a pod of another node is enforced on its own node',
    );
    assert.equal(
      chainOf(r, 'egress', '10.42.0.2'),
      undefined,
      'an Ingress policy leaves egress open',
    );
    assert.equal(r.match(/chain in-/g)!.length, 1);
    nftAccepts(r);
  });

  test('a policy of another namespace, or one whose podSelector does not match, isolates nothing', () => {
    const r = build([
      policy('x', 'monitoring', { podSelector: {} }),
      policy('y', 'default', { podSelector: { matchLabels: { app: 'nope' } } }),
    ]);
    assert.doesNotMatch(r, /vmap/);
  });

  test('podSelector peers come from the policy namespace; namespaceSelector alone takes every pod there; both together narrow', () => {
    const r = build([
      policy('same-ns', 'default', {
        podSelector: { matchLabels: { app: 'web' } },
        ingress: [{ from: [{ podSelector: {} }] }],
      }),
      policy('ops', 'default', {
        podSelector: { matchLabels: { app: 'web' } },
        ingress: [{ from: [{ namespaceSelector: { matchLabels: { team: 'ops' } } }] }],
      }),
      policy('prom', 'default', {
        podSelector: { matchLabels: { app: 'web' } },
        ingress: [
          {
            from: [
              {
                namespaceSelector: {
                  matchExpressions: [
                    { key: 'kubernetes.io/metadata.name', operator: 'In', values: ['monitoring'] },
                  ],
                },
                podSelector: { matchLabels: { app: 'prom' } },
              },
            ],
          },
        ],
      }),
    ]);
    assert.deepEqual(chainOf(r, 'ingress', '10.42.0.2'), [
      'ip saddr { 10.42.2.5, 10.42.2.6 } return',
      'ip saddr { 10.42.2.5 } return',
      'ip saddr { 10.42.0.2, 10.42.0.3, 10.42.1.3, 10.42.1.4 } return',
      'counter drop',
    ]);
    nftAccepts(r);
  });

  test('an empty from allows every source; an empty ingress list allows none; policies add up', () => {
    const open = build([
      policy('deny', 'default', { podSelector: {}, policyTypes: ['Ingress'] }),
      policy('all', 'default', { podSelector: { matchLabels: { app: 'web' } }, ingress: [{}] }),
    ]);
    assert.deepEqual(chainOf(open, 'ingress', '10.42.0.2'), ['return', 'counter drop']);
    nftAccepts(open);
  });

  test('ipBlock with except, protocols, port ranges and protocol-only ports', () => {
    const r = build([
      policy('eg', 'default', {
        podSelector: { matchLabels: { app: 'web' } },
        policyTypes: ['Egress'],
        egress: [
          {
            to: [{ ipBlock: { cidr: '10.0.0.0/8', except: ['10.42.1.0/24', '10.9.9.9/32'] } }],
            ports: [
              { protocol: 'UDP', port: 53, endPort: 60 },
              { protocol: 'SCTP' },
              { port: 443 },
            ],
          },
          { to: [{ ipBlock: { cidr: '0.0.0.0/0' } }, { ipBlock: { cidr: '192.168.7.9/16' } }] },
        ],
      }),
    ]);
    assert.equal(
      chainOf(r, 'ingress', '10.42.0.2'),
      undefined,
      'policyTypes [Egress] leaves ingress open',
    );
    assert.deepEqual(chainOf(r, 'egress', '10.42.0.2'), [
      'ip daddr 10.0.0.0/8 ip daddr != { 10.42.1.0/24, 10.9.9.9/32 } meta l4proto udp th dport 53-60 return',
      'ip daddr 10.0.0.0/8 ip daddr != { 10.42.1.0/24, 10.9.9.9/32 } meta l4proto sctp return',
      'ip daddr 10.0.0.0/8 ip daddr != { 10.42.1.0/24, 10.9.9.9/32 } meta l4proto tcp th dport 443 return',
      'ip daddr 0.0.0.0/0 return',
      'ip daddr 192.168.0.0/16 return',
      'counter drop',
    ]);
    nftAccepts(r);
  });

  test('policyTypes default: Ingress always, Egress only with egress rules', () => {
    const both = build([
      policy('b', 'default', {
        podSelector: {},
        egress: [{ to: [{ podSelector: { matchLabels: { role: 'client' } } }] }],
      }),
    ]);
    assert.deepEqual(chainOf(both, 'ingress', '10.42.0.2'), ['counter drop']);
    assert.deepEqual(chainOf(both, 'egress', '10.42.0.2'), [
      'ip daddr { 10.42.1.3 } return',
      'counter drop',
    ]);
    // egress is looked at first, so traffic between two isolated pods of this node needs both
    assert.ok(both.indexOf('ip saddr vmap') < both.indexOf('ip daddr vmap'));
    nftAccepts(both);
    const ingressOnly = build([policy('i', 'default', { podSelector: {}, egress: [] })]);
    assert.equal(chainOf(ingressOnly, 'egress', '10.42.0.2'), undefined);
    const egressDenyAll = build([
      policy('e', 'default', { podSelector: {}, policyTypes: ['Egress'] }),
    ]);
    assert.deepEqual(chainOf(egressDenyAll, 'egress', '10.42.0.3'), ['counter drop']);
  });

  test('an ingress named port is the number the destination pod gives that name', () => {
    const r = build([
      policy('named', 'default', {
        podSelector: { matchLabels: { app: 'web' } },
        ingress: [{ ports: [{ port: 'http' }, { port: 'http', protocol: 'UDP' }] }],
      }),
    ]);
    assert.deepEqual(chainOf(r, 'ingress', '10.42.0.2'), [
      'meta l4proto tcp th dport 8080 return',
      'counter drop',
    ]);
    assert.deepEqual(chainOf(r, 'ingress', '10.42.0.3'), [
      'meta l4proto tcp th dport 9090 return',
      'counter drop',
    ]);
    nftAccepts(r);
  });

  test('an egress named port is matched per destination pod, selected or inside an ipBlock', () => {
    const r = build([
      policy('to-metrics', 'default', {
        podSelector: { matchLabels: { app: 'web' } },
        policyTypes: ['Egress'],
        egress: [
          { to: [{ namespaceSelector: {} }], ports: [{ port: 'metrics' }, { port: 'http' }] },
          { ports: [{ port: 'dns', protocol: 'UDP' }] },
          {
            to: [{ ipBlock: { cidr: '10.42.0.0/16', except: ['10.42.0.3/32'] } }],
            ports: [{ port: 'http' }],
          },
        ],
      }),
    ]);
    assert.deepEqual(chainOf(r, 'egress', '10.42.0.2'), [
      'ip daddr . meta l4proto . th dport { 10.42.0.2 . tcp . 8080, 10.42.0.3 . tcp . 9090, 10.42.2.5 . tcp . 9100 } return',
      'ip daddr . meta l4proto . th dport { 10.42.2.7 . udp . 53 } return',
      'ip daddr . meta l4proto . th dport { 10.42.0.2 . tcp . 8080 } return',
      'counter drop',
    ]);
    nftAccepts(r);
  });

  test('what does not resolve allows nothing, and never breaks the ruleset', () => {
    const r = build([
      policy('odd', 'default', {
        podSelector: { matchLabels: { app: 'web' } },
        ingress: [
          { from: [{ podSelector: { matchLabels: { nobody: 'x' } } }] },
          {
            ports: [
              { port: 'nope' },
              { port: 70000 },
              { port: 80, endPort: 79 },
              { protocol: 'ICMP', port: 1 },
            ],
          },
          {
            from: [
              { ipBlock: { cidr: '10.0.0.0/33' } },
              { ipBlock: { cidr: 'not-an-ip' } },
              { ipBlock: { cidr: '10.0.0.0/8', except: ['bogus'] } },
              { ipBlock: { cidr: 'fd00::/8' } },
            ],
          },
          { from: [{ podSelector: { matchExpressions: [{ key: 'a', operator: 'Bogus' }] } }] },
          { from: [{}] },
        ],
      }),
    ]);
    assert.deepEqual(chainOf(r, 'ingress', '10.42.0.2'), ['counter drop']);
    nftAccepts(r);
  });

  test('finished and host-network pods are no peers, and a pod without an address is not enforced yet', () => {
    const more = [
      ...pods,
      pod('done', 'default', '10.42.1.9', { role: 'client' }, 'n2', [], { phase: 'Succeeded' }),
      obj({
        metadata: { name: 'host', namespace: 'default', labels: { role: 'client' } },
        spec: { nodeName: 'n2', hostNetwork: true, containers: [] },
        status: { phase: 'Running', podIP: '172.31.0.12' },
      }),
      obj({
        metadata: { name: 'new', namespace: 'default', labels: { app: 'web' } },
        spec: { nodeName: 'n1', containers: [] },
        status: { phase: 'Pending' },
      }),
    ];
    const r = build(
      [
        policy('p', 'default', {
          podSelector: {},
          ingress: [{ from: [{ podSelector: { matchLabels: { role: 'client' } } }] }],
        }),
      ],
      { pods: more, localPods: more.filter((p) => (p.spec as any).nodeName === 'n1') },
    );
    assert.deepEqual(chainOf(r, 'ingress', '10.42.0.2'), [
      'ip saddr { 10.42.1.3 } return',
      'counter drop',
    ]);
    assert.equal((r.match(/ : jump /g) ?? []).length, 2, 'only the two addressed local pods');
    nftAccepts(r);
  });

  test('a peer list of several addresses is one named set, declared once however many chains use it; one address stays inline', () => {
    const from = [{ namespaceSelector: {} }];
    const r = build([
      policy('a', 'default', {
        podSelector: { matchLabels: { app: 'web' } },
        ingress: [{ from, ports: [{ port: 'http' }] }],
      }),
      policy('b', 'default', {
        podSelector: { matchLabels: { app: 'web' } },
        ingress: [{ from: [{ podSelector: { matchLabels: { role: 'client' } } }] }],
      }),
    ]);
    // web-a and web-b differ by their named port's number, so they have a chain each
    assert.equal(r.match(/chain in-/g)!.length, 2);
    const sets = r.match(/^ {2}set s-[0-9a-f]+ \{$/gm) ?? [];
    assert.equal(sets.length, 1, r);
    const name = /set (s-[0-9a-f]+)/.exec(sets[0]!)![1]!;
    assert.equal(r.split(`ip saddr @${name} meta l4proto tcp th dport`).length - 1, 2);
    assert.deepEqual(chainOf(r, 'ingress', '10.42.0.3'), [
      'ip saddr { 10.42.0.2, 10.42.0.3, 10.42.1.3, 10.42.1.4, 10.42.2.5, 10.42.2.6, 10.42.2.7 } meta l4proto tcp th dport 9090 return',
      'ip saddr { 10.42.1.3 } return',
      'counter drop',
    ]);
    assert.match(r, /ip saddr \{ 10\.42\.1\.3 \} return/);
    nftAccepts(r);
  });

  test('a rule that two policies repeat is written once in the chain, in the place of its first copy', () => {
    const ingress = [{ from: [{ podSelector: { matchLabels: { role: 'client' } } }] }];
    const r = build([
      policy('a', 'default', { podSelector: {}, ingress }),
      policy('b', 'default', {
        podSelector: {},
        ingress: [{ ports: [{ port: 443 }] }, ...ingress],
      }),
    ]);
    assert.deepEqual(chainOf(r, 'ingress', '10.42.0.2'), [
      'ip saddr { 10.42.1.3 } return',
      'meta l4proto tcp th dport 443 return',
      'counter drop',
    ]);
  });

  test('an egress rule open to everyone and one whose peers match nobody do not share lines', () => {
    const more = [...pods, pod('solo', 'default', '10.42.0.9', { app: 'solo' }, 'n1')];
    const r = build(
      [
        policy('any', 'default', {
          podSelector: { matchLabels: { app: 'web' } },
          policyTypes: ['Egress'],
          egress: [{ ports: [{ protocol: 'UDP', port: 53 }] }],
        }),
        policy('none', 'default', {
          podSelector: { matchLabels: { app: 'solo' } },
          policyTypes: ['Egress'],
          egress: [
            {
              to: [{ podSelector: { matchLabels: { nobody: 'x' } } }],
              ports: [{ protocol: 'UDP', port: 53 }],
            },
          ],
        }),
      ],
      { pods: more, localPods: more.filter((p) => (p.spec as any).nodeName === 'n1') },
    );
    assert.deepEqual(chainOf(r, 'egress', '10.42.0.2'), [
      'meta l4proto udp th dport 53 return',
      'counter drop',
    ]);
    assert.deepEqual(chainOf(r, 'egress', '10.42.0.9'), ['counter drop']);
  });

  test('a pod or policy replaced by a newer object (as informers do) is read afresh', () => {
    const pol = policy('p', 'default', {
      podSelector: {},
      ingress: [{ from: [{ podSelector: { matchLabels: { role: 'client' } } }] }],
    });
    assert.deepEqual(chainOf(build([pol]), 'ingress', '10.42.0.2'), [
      'ip saddr { 10.42.1.3 } return',
      'counter drop',
    ]);
    // the client moved to another address and the other pod became a client
    const moved = pods.map((p) =>
      p.metadata.name === 'client'
        ? pod('client', 'default', '10.42.1.30', { role: 'client' }, 'n2')
        : p.metadata.name === 'other'
          ? pod('other', 'default', '10.42.1.4', { role: 'client' }, 'n2')
          : p,
    );
    assert.deepEqual(chainOf(build([pol], { pods: moved }), 'ingress', '10.42.0.2'), [
      'ip saddr { 10.42.1.30, 10.42.1.4 } return',
      'counter drop',
    ]);
    const changed = policy('p', 'default', {
      podSelector: {},
      ingress: [{ from: [{ podSelector: { matchLabels: { role: 'other' } } }] }],
    });
    assert.deepEqual(chainOf(build([changed]), 'ingress', '10.42.0.2'), [
      'ip saddr { 10.42.1.4 } return',
      'counter drop',
    ]);
  });

  test('a namespaceSelector on the name label picks pods of a namespace with no Namespace object yet', () => {
    const more = [...pods, pod('lost', 'fresh', '10.42.3.3', {}, 'n3')];
    const r = build(
      [
        policy('p', 'default', {
          podSelector: { matchLabels: { app: 'web' } },
          ingress: [
            {
              from: [
                { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'fresh' } } },
              ],
            },
          ],
        }),
      ],
      { pods: more, localPods: more.filter((p) => (p.spec as any).nodeName === 'n1') },
    );
    assert.deepEqual(chainOf(r, 'ingress', '10.42.0.2'), [
      'ip saddr { 10.42.3.3 } return',
      'counter drop',
    ]);
  });

  test('the same input gives the same text (so an unchanged cluster causes no nft call)', () => {
    const pols = [
      policy('a', 'default', { podSelector: {}, ingress: [{ from: [{ namespaceSelector: {} }] }] }),
      policy('b', 'default', { podSelector: {}, policyTypes: ['Egress'] }),
    ];
    assert.equal(build(pols), build([...pols].reverse(), { pods: [...pods].reverse() }));
  });
});
