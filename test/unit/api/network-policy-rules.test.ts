// NetworkPolicy defaults and validation: what upstream fills in, and the
// causes a bad policy is refused with.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { networkPolicyStrategy } from '../../../src/api/kinds/network-policy-rules.js';
import type { KubeObject } from '../../../src/api/object.js';

const np = (spec: object) =>
  ({ metadata: { name: 'p', namespace: 'default' }, spec }) as unknown as KubeObject;
const causes = (spec: object) => {
  const o = np(spec);
  networkPolicyStrategy.defaults!(o);
  return networkPolicyStrategy.validate!(o).map((c) => `${c.field}: ${c.message}`);
};

test('defaults: TCP ports, policyTypes from the rules present', () => {
  const a = np({
    podSelector: {},
    ingress: [{ ports: [{ port: 80 }, { port: 53, protocol: 'UDP' }] }],
  });
  networkPolicyStrategy.defaults!(a);
  assert.deepEqual((a.spec as any).policyTypes, ['Ingress']);
  assert.deepEqual((a.spec as any).ingress[0].ports, [
    { port: 80, protocol: 'TCP' },
    { port: 53, protocol: 'UDP' },
  ]);
  const b = np({ podSelector: {}, egress: [{}] });
  networkPolicyStrategy.defaults!(b);
  assert.deepEqual((b.spec as any).policyTypes, ['Ingress', 'Egress']);
  const c = np({ podSelector: {}, policyTypes: ['Egress'], ingress: [{}] });
  networkPolicyStrategy.defaults!(c);
  assert.deepEqual((c.spec as any).policyTypes, ['Egress'], 'given policyTypes are kept');
});

test('a valid policy of every kind of rule passes', () => {
  assert.deepEqual(
    causes({
      podSelector: {
        matchLabels: { app: 'web' },
        matchExpressions: [
          { key: 'tier', operator: 'In', values: ['a'] },
          { key: 'x', operator: 'Exists' },
        ],
      },
      ingress: [
        {
          from: [
            { podSelector: {} },
            {
              namespaceSelector: { matchLabels: { team: 'ops' } },
              podSelector: { matchLabels: { app: 'prom' } },
            },
            { ipBlock: { cidr: '10.0.0.0/8', except: ['10.1.0.0/16'] } },
          ],
          ports: [{ port: 'http' }, { port: 8000, endPort: 8080 }, { protocol: 'SCTP' }],
        },
      ],
      egress: [{ to: [{ ipBlock: { cidr: 'fd00::/8', except: ['fd00:1::/32'] } }] }],
    }),
    [],
  );
});

test('bad ports, peers, blocks, selectors and policyTypes are named field by field', () => {
  const got = causes({
    podSelector: {
      matchExpressions: [
        { key: 'a', operator: 'In' },
        { key: 'b', operator: 'Exists', values: ['x'] },
        { key: 'c', operator: 'Near' },
      ],
    },
    policyTypes: ['Ingress', 'Sideways'],
    ingress: [
      {
        ports: [
          { protocol: 'ICMP' },
          { port: 0 },
          { port: 90, endPort: 80 },
          { port: 'http', endPort: 90 },
          { port: 'Not_A_Name' },
          { endPort: 90 },
        ],
      },
      {
        from: [
          {},
          { ipBlock: { cidr: '10.0.0.0/8' }, podSelector: {} },
          { ipBlock: { cidr: '10.0.0.0/33' } },
          {
            ipBlock: {
              cidr: '10.0.0.0/8',
              except: ['11.0.0.0/16', '10.0.0.0/8', 'fd00::/64', 'x'],
            },
          },
          { ipBlock: {} },
        ],
      },
    ],
  });
  const want = [
    "spec.podSelector.matchExpressions[0].values: Required value: must be specified when `operator` is 'In' or 'NotIn'",
    "spec.podSelector.matchExpressions[1].values: Forbidden: may not be specified when `operator` is 'Exists' or 'DoesNotExist'",
    'spec.podSelector.matchExpressions[2].operator: Unsupported value: "Near": supported values: "In", "NotIn", "Exists", "DoesNotExist"',
    'spec.ingress[0].ports[0].protocol: Unsupported value: "ICMP": supported values: "TCP", "UDP", "SCTP"',
    'spec.ingress[0].ports[1].port: Invalid value: 0: must be between 1 and 65535, inclusive',
    'spec.ingress[0].ports[2].endPort: Invalid value: 80: must be greater than or equal to `port`',
    'spec.ingress[0].ports[3].endPort: Invalid value: 90: may not be specified when `port` is non-numeric',
    'spec.ingress[0].ports[4].port: Invalid value: "Not_A_Name": must be a valid port name (at most 15 lowercase letters, digits and non-adjacent hyphens, with at least one letter)',
    'spec.ingress[0].ports[5].port: Required value: must be specified when `endPort` is specified',
    'spec.ingress[1].from[0]: Required value: must specify a peer',
    'spec.ingress[1].from[1]: Forbidden: may not specify more than 1 peer',
    'spec.ingress[1].from[2].ipBlock.cidr: Invalid value: "10.0.0.0/33": must be a valid CIDR (e.g. 10.0.0.0/16 or fd00::/64)',
    'spec.ingress[1].from[3].ipBlock.except[0]: Invalid value: "11.0.0.0/16": must be a strict subset of `cidr`',
    'spec.ingress[1].from[3].ipBlock.except[1]: Invalid value: "10.0.0.0/8": must be a strict subset of `cidr`',
    'spec.ingress[1].from[3].ipBlock.except[2]: Invalid value: "fd00::/64": must be a strict subset of `cidr`',
    'spec.ingress[1].from[3].ipBlock.except[3]: Invalid value: "x": must be a valid CIDR (e.g. 10.0.0.0/16 or fd00::/64)',
    'spec.ingress[1].from[4].ipBlock.cidr: Required value',
    'spec.policyTypes[1]: Unsupported value: "Sideways": supported values: "Ingress", "Egress"',
  ];
  for (const w of want) assert.ok(got.includes(w), `missing ${w}\ngot:\n${got.join('\n')}`);
  assert.equal(got.length, want.length, got.join('\n'));
});
