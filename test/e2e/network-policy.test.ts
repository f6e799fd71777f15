// NetworkPolicy on a real two-node cluster (network namespaces made by the
// test, real kubectl, runc and nftables): busybox pods talk over TCP with `nc`,
// and each policy is checked both ways (what it lets through and what it keeps
// out), across nodes and between pods of one node, then taken away again.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { k, kubectl, until } from './harness.js';
import { startCluster, type Cluster } from './cluster-harness.js';

// two httpd in each web pod: 8080 (named http) and 9090 (named alt), each answering with the pod's name
const WEB =
  'mkdir -p /www && hostname > /www/index.html && httpd -p 9090 -h /www && exec httpd -f -p 8080 -h /www';
const netpol = (name: string, spec: object, namespace = 'default') =>
  JSON.stringify({
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: { name, namespace },
    spec,
  });

describe('NetworkPolicy on a two-node cluster', () => {
  let c: Cluster;
  const json = (args: string[]) => JSON.parse(k(c.s, [...args, '-o', 'json']));
  const ip: Record<string, string> = {};
  let clusterIP = '';

  /** Which of the targets ("ip:port") the pod reaches: every connection tried at once, so one call costs one timeout. */
  function reaches(from: string, targets: string[], ns = 'default'): Record<string, boolean> {
    const script = `for t in ${targets.join(' ')}; do (r=$(printf 'GET / HTTP/1.0\\r\\n\\r\\n' | timeout 2 nc \${t%:*} \${t#*:} 2>/dev/null | tail -n 1); echo "$t \${r:-NONE}") & done; wait`;
    const out = kubectl(c.s, ['exec', '-n', ns, from, '--', 'sh', '-c', script]).stdout;
    const got: Record<string, boolean> = {};
    for (const t of targets) {
      const line = out.split('\n').find((l) => l.startsWith(`${t} `));
      got[t] = !!line && !line.endsWith(' NONE');
    }
    return got;
  }
  /** Waits until the pod reaches exactly the targets marked true; returns what was seen last on timeout. */
  async function expectReach(
    from: string,
    want: Record<string, boolean>,
    ns = 'default',
  ): Promise<void> {
    let seen: Record<string, boolean> = {};
    await until(
      `${from} reaching ${JSON.stringify(want)} (last seen ${JSON.stringify(seen)})`,
      () => {
        seen = reaches(from, Object.keys(want), ns);
        return Object.entries(want).every(([t, v]) => seen[t] === v);
      },
    ).catch((e) => {
      throw new Error(`${(e as Error).message}; last seen ${JSON.stringify(seen)}`);
    });
  }
  const at = (pod: string, port: number) => `${ip[pod]}:${port}`;

  before(async () => {
    c = await startCluster('np', 2);
    const [n0, n1] = c.nodes.map((n) => n.name);
    const pod = (
      name: string,
      node: string,
      labels: Record<string, string>,
      ns = 'default',
      web = false,
    ) => ({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name, namespace: ns, labels },
      spec: {
        nodeName: node,
        terminationGracePeriodSeconds: 1,
        containers: [
          web
            ? {
                name: 'httpd',
                image: 'busybox',
                command: ['sh', '-c', WEB],
                ports: [
                  { name: 'http', containerPort: 8080 },
                  { name: 'alt', containerPort: 9090 },
                ],
              }
            : { name: 'sh', image: 'busybox', command: ['sleep', '3600'] },
        ],
      },
    });
    // web-0 shares node 0 with client and mon-side; web-1 shares node 1 with other and mon
    const manifests = [
      {
        apiVersion: 'v1',
        kind: 'Namespace',
        metadata: { name: 'np-ops', labels: { team: 'ops' } },
      },
      pod('web-0', n0!, { app: 'web' }, 'default', true),
      pod('web-1', n1!, { app: 'web' }, 'default', true),
      pod('client', n0!, { role: 'client' }),
      pod('other', n1!, { role: 'other' }),
      pod('mon', n1!, { app: 'prom' }, 'np-ops'),
      pod('mon-side', n0!, { app: 'side' }, 'np-ops'),
      {
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { name: 'web', namespace: 'default' },
        spec: { selector: { app: 'web' }, ports: [{ port: 80, targetPort: 'http' }] },
      },
    ];
    k(c.s, ['apply', '-f', '-'], manifests.map((m) => JSON.stringify(m)).join('\n'));
    for (const [name, ns] of [
      ['web-0', 'default'],
      ['web-1', 'default'],
      ['client', 'default'],
      ['other', 'default'],
      ['mon', 'np-ops'],
      ['mon-side', 'np-ops'],
    ] as const) {
      ip[name] = await until(
        `${name} running`,
        () => {
          const st = json(['get', 'pod', '-n', ns, name]).status;
          return st.phase === 'Running' && st.podIP;
        },
        60_000,
      );
    }
    clusterIP = json(['get', 'svc', 'web']).spec.clusterIP;
    // without a policy everything is open: the checks below can only fail for the policy's sake
    await expectReach('client', {
      [at('web-0', 8080)]: true,
      [at('web-1', 8080)]: true,
      [at('web-0', 9090)]: true,
      [`${clusterIP}:80`]: true,
    });
    await expectReach('other', { [at('web-0', 8080)]: true, [at('web-1', 8080)]: true });
  });
  after(async () => {
    await c?.stop();
  });

  test('deny-all ingress, then allow from a label: enforced across nodes, on one node and through the ClusterIP', async () => {
    k(
      c.s,
      ['apply', '-f', '-'],
      netpol('web-deny', {
        podSelector: { matchLabels: { app: 'web' } },
        policyTypes: ['Ingress'],
      }),
    );
    await expectReach('client', { [at('web-0', 8080)]: false, [at('web-1', 8080)]: false });
    await expectReach('other', { [at('web-0', 8080)]: false, [at('web-1', 8080)]: false });

    k(
      c.s,
      ['apply', '-f', '-'],
      netpol('web-from-client', {
        podSelector: { matchLabels: { app: 'web' } },
        ingress: [
          { from: [{ podSelector: { matchLabels: { role: 'client' } } }], ports: [{ port: 8080 }] },
        ],
      }),
    );
    // client: web-0 on its own node, web-1 across; the ClusterIP lands on either; 9090 is not in the rule
    await expectReach('client', {
      [at('web-0', 8080)]: true,
      [at('web-1', 8080)]: true,
      [`${clusterIP}:80`]: true,
      [at('web-0', 9090)]: false,
      [at('web-1', 9090)]: false,
    });
    // other: web-1 on its own node, web-0 across, both still kept out
    await expectReach('other', {
      [at('web-0', 8080)]: false,
      [at('web-1', 8080)]: false,
      [`${clusterIP}:80`]: false,
    });
    // the pods themselves are not egress-isolated: web-0 still reaches other pods freely... but not the isolated web-1
    await expectReach('web-0', { [at('web-1', 8080)]: false });

    k(c.s, ['delete', 'networkpolicy', 'web-deny', 'web-from-client']);
    await expectReach('other', { [at('web-0', 8080)]: true, [at('web-1', 8080)]: true });
  });

  test('a policy that cannot be enforced as written is refused with its causes', () => {
    const r = kubectl(
      c.s,
      ['apply', '-f', '-'],
      netpol('bad', {
        podSelector: {},
        ingress: [
          {
            from: [{ ipBlock: { cidr: '10.0.0.0/8', except: ['11.0.0.0/16'] } }],
            ports: [{ port: 'http', endPort: 90 }],
          },
        ],
      }),
    );
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /The NetworkPolicy "bad" is invalid/);
    assert.match(
      r.stderr,
      /spec\.ingress\[0\]\.from\[0\]\.ipBlock\.except\[0\]: Invalid value: "11\.0\.0\.0\/16": must be a strict subset of `cidr`/,
    );
    assert.match(r.stderr, /spec\.ingress\[0\]\.ports\[0\]\.endPort/);
    assert.equal(kubectl(c.s, ['get', 'networkpolicy', 'bad']).code, 1);
  });

  test('namespaceSelector alone lets in every pod of the namespace; with a podSelector only the matching ones', async () => {
    k(
      c.s,
      ['apply', '-f', '-'],
      netpol('from-ops', {
        podSelector: { matchLabels: { app: 'web' } },
        ingress: [{ from: [{ namespaceSelector: { matchLabels: { team: 'ops' } } }] }],
      }),
    );
    await expectReach('mon', { [at('web-0', 8080)]: true, [at('web-1', 8080)]: true }, 'np-ops');
    await expectReach(
      'mon-side',
      { [at('web-0', 8080)]: true, [at('web-1', 8080)]: true },
      'np-ops',
    );
    await expectReach('client', { [at('web-0', 8080)]: false, [at('web-1', 8080)]: false });

    // the same policy changed in place: both selectors in one peer
    k(
      c.s,
      ['apply', '-f', '-'],
      netpol('from-ops', {
        podSelector: { matchLabels: { app: 'web' } },
        ingress: [
          {
            from: [
              {
                namespaceSelector: { matchLabels: { team: 'ops' } },
                podSelector: { matchLabels: { app: 'prom' } },
              },
            ],
          },
        ],
      }),
    );
    await expectReach(
      'mon-side',
      { [at('web-0', 8080)]: false, [at('web-1', 8080)]: false },
      'np-ops',
    );
    await expectReach('mon', { [at('web-0', 8080)]: true, [at('web-1', 8080)]: true }, 'np-ops');

    k(c.s, ['delete', 'networkpolicy', 'from-ops']);
    await expectReach('client', { [at('web-0', 8080)]: true, [at('web-1', 8080)]: true });
  });

  test('a named port lets in the container port of that name and no other', async () => {
    k(
      c.s,
      ['apply', '-f', '-'],
      netpol('alt-from-other', {
        podSelector: { matchLabels: { app: 'web' } },
        ingress: [
          { from: [{ podSelector: { matchLabels: { role: 'other' } } }], ports: [{ port: 'alt' }] },
        ],
      }),
    );
    await expectReach('other', {
      [at('web-0', 9090)]: true,
      [at('web-1', 9090)]: true,
      [at('web-0', 8080)]: false,
      [at('web-1', 8080)]: false,
    });
    await expectReach('client', { [at('web-0', 9090)]: false });
    k(c.s, ['delete', 'networkpolicy', 'alt-from-other']);
  });

  test('egress: deny-all but an ipBlock with an exception, then a named port to chosen pods', async () => {
    // client may reach the pod network except web-0 (its own node's neighbour)
    k(
      c.s,
      ['apply', '-f', '-'],
      netpol('client-out', {
        podSelector: { matchLabels: { role: 'client' } },
        policyTypes: ['Egress'],
        egress: [{ to: [{ ipBlock: { cidr: '10.42.0.0/16', except: [`${ip['web-0']}/32`] } }] }],
      }),
    );
    await expectReach('client', {
      [at('web-1', 8080)]: true,
      [at('web-0', 8080)]: false,
      [at('web-0', 9090)]: false,
    });
    // the Service address is DNATed before the filter: what counts is the pod it lands on
    const viaService = new Set<boolean>();
    await until('the ClusterIP answers from web-1 and not from web-0', () => {
      const r = kubectl(c.s, [
        'exec',
        'client',
        '--',
        'sh',
        '-c',
        `for i in 1 2 3 4 5 6; do printf 'GET / HTTP/1.0\\r\\n\\r\\n' | timeout 2 nc ${clusterIP} 80 | tail -n 1; echo; done`,
      ]).stdout;
      assert.doesNotMatch(r, /web-0/);
      viaService.add(/web-1/.test(r));
      return viaService.has(true);
    });

    k(
      c.s,
      ['apply', '-f', '-'],
      netpol('client-to-alt', {
        podSelector: { matchLabels: { role: 'client' } },
        policyTypes: ['Egress'],
        egress: [
          { to: [{ podSelector: { matchLabels: { app: 'web' } } }], ports: [{ port: 'alt' }] },
        ],
      }),
    );
    await expectReach('client', {
      [at('web-0', 9090)]: true,
      [at('web-0', 8080)]: false,
      [at('web-1', 8080)]: true,
    });

    k(c.s, ['delete', 'networkpolicy', 'client-out', 'client-to-alt']);
    await expectReach('client', { [at('web-0', 8080)]: true });
  });
});
