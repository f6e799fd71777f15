import { test } from 'node:test';
import assert from 'node:assert/strict';
import { printerFor } from '../../../src/api/printers/index.js';
import { now, obj, type Any } from './fixtures.js';

const row = (group: string, plural: string, o: Any) =>
  printerFor(group, plural).rows(o as never, now)[0];
const svc = (spec: Any, status: Any = {}) =>
  obj('web', { spec: { selector: { app: 'web' }, ...spec }, status });

test('services by type: cluster IP, external IP and ports', () => {
  const ports = [
    { name: 'http', port: 80, targetPort: 8080, protocol: 'TCP' },
    { name: 'dns', port: 53, protocol: 'UDP' },
  ];
  assert.deepEqual(
    row(
      '',
      'services',
      svc({ type: 'ClusterIP', clusterIP: '10.43.0.10', clusterIPs: ['10.43.0.10'], ports }),
    ),
    ['web', 'ClusterIP', '10.43.0.10', '<none>', '80/TCP,53/UDP', '10m', 'app=web'],
  );
  const np = svc({
    type: 'NodePort',
    clusterIP: '10.43.12.1',
    ports: [{ port: 80, nodePort: 30080, protocol: 'TCP' }],
    externalIPs: ['192.0.2.10'],
  });
  assert.deepEqual(row('', 'services', np).slice(1, 5), [
    'NodePort',
    '10.43.12.1',
    '192.0.2.10',
    '80:30080/TCP',
  ]);
  const pending = svc({
    type: 'LoadBalancer',
    clusterIP: '10.43.1.1',
    clusterIPs: ['10.43.1.1'],
    ports: [{ port: 443, nodePort: 31443, protocol: 'TCP' }],
  });
  assert.equal(row('', 'services', pending)[3], '<pending>');
  const lb = svc(
    { type: 'LoadBalancer', clusterIPs: ['10.43.1.1'], externalIPs: ['192.0.2.99'] },
    {
      loadBalancer: {
        ingress: [
          { ip: '203.0.113.9' },
          { hostname: 'lb.example.com' },
          { ip: '203.0.113.2' },
          { ip: '203.0.113.9' },
        ],
      },
    },
  );
  assert.equal(
    row('', 'services', lb)[3],
    '203.0.113.2,203.0.113.9,lb.example.com,192.0.2.99',
    'sorted, unique, never clipped: the server prints wide',
  );
  const ext = svc({ type: 'ExternalName', externalName: 'db.example.com', selector: undefined });
  assert.deepEqual(row('', 'services', ext), [
    'web',
    'ExternalName',
    '<none>',
    'db.example.com',
    '<none>',
    '10m',
    '<none>',
  ]);
  const headless = svc({ type: 'ClusterIP', clusterIP: 'None', clusterIPs: ['None'], ports: [] });
  assert.deepEqual(row('', 'services', headless).slice(2, 5), ['None', '<none>', '<none>']);
  const dual = svc({
    type: 'ClusterIP',
    clusterIPs: ['10.43.0.20', 'fd00:43::20'],
    ports: [{ port: 80, protocol: 'TCP' }],
  });
  assert.equal(row('', 'services', dual)[2], '10.43.0.20');
});

test('endpoints: host:port pairs, at most three then "+ N more..."', () => {
  const ep = (subsets: Any[]) => obj('web', { subsets });
  assert.equal(row('', 'endpoints', ep([]))[1], '<none>');
  assert.equal(
    row(
      '',
      'endpoints',
      ep([
        {
          addresses: [{ ip: '10.42.0.5' }],
          ports: [{ name: 'http', port: 8080, protocol: 'TCP' }],
        },
      ]),
    )[1],
    '10.42.0.5:8080',
  );
  const many = ep([
    {
      addresses: [{ ip: '10.42.0.5' }, { ip: '10.42.1.6' }],
      ports: [
        { name: 'http', port: 8080 },
        { name: 'metrics', port: 9090 },
      ],
    },
    { addresses: [{ ip: '10.42.2.7' }], ports: [{ port: 8080 }] },
  ]);
  assert.equal(
    row('', 'endpoints', many)[1],
    '10.42.0.5:8080,10.42.1.6:8080,10.42.0.5:9090 + 2 more...',
  );
  assert.equal(
    row('', 'endpoints', ep([{ addresses: [{ ip: '10.42.0.5' }, { ip: '10.42.0.6' }] }]))[1],
    '10.42.0.5,10.42.0.6',
    'headless without ports',
  );
  assert.equal(
    row('', 'endpoints', ep([{ addresses: [{ ip: 'fd00::5' }], ports: [{ port: 80 }] }]))[1],
    '[fd00::5]:80',
  );
  assert.equal(
    row(
      '',
      'endpoints',
      ep([{ notReadyAddresses: [{ ip: '10.42.0.5' }], ports: [{ port: 80 }] }]),
    )[1],
    '',
  );
});

test('endpoint slices: address type, ports and endpoints', () => {
  const es = obj('web-abcde', {
    addressType: 'IPv4',
    ports: [{ name: 'http', port: 8080, protocol: 'TCP' }, { name: 'grpc', protocol: 'TCP' }, {}],
    endpoints: [
      { addresses: ['10.42.0.5'] },
      { addresses: ['10.42.1.6', '10.42.1.7'] },
      { addresses: ['10.42.2.8'] },
    ],
  });
  assert.deepEqual(row('discovery.k8s.io', 'endpointslices', es), [
    'web-abcde',
    'IPv4',
    '8080,grpc,*',
    '10.42.0.5,10.42.1.6,10.42.1.7 + 1 more...',
    '10m',
  ]);
  assert.deepEqual(
    row('discovery.k8s.io', 'endpointslices', obj('empty', { addressType: 'IPv6' })).slice(1, 4),
    ['IPv6', '<unset>', '<unset>'],
  );
});

test('ingresses: class, hosts, address, ports', () => {
  const ing = obj('shop', {
    spec: {
      ingressClassName: 'nginx',
      rules: [{ host: 'shop.example.com' }, { host: 'api.example.com' }],
      tls: [{ hosts: ['shop.example.com'], secretName: 'tls' }],
    },
    status: { loadBalancer: { ingress: [{ ip: '192.0.2.5' }] } },
  });
  assert.deepEqual(row('networking.k8s.io', 'ingresses', ing), [
    'shop',
    'nginx',
    'shop.example.com,api.example.com',
    '192.0.2.5',
    '80, 443',
    '10m',
  ]);
  const plain = obj('any', { spec: { rules: [{ http: {} }] } });
  assert.deepEqual(row('networking.k8s.io', 'ingresses', plain).slice(1, 5), [
    '<none>',
    '*',
    '',
    '80',
  ]);
  const lots = obj('lots', {
    spec: { rules: [{ host: 'a' }, { host: 'b' }, { host: 'c' }, { host: 'd' }, { host: 'e' }] },
  });
  assert.equal(row('networking.k8s.io', 'ingresses', lots)[2], 'a,b,c + 2 more...');
});

test('ingress classes: controller and parameters', () => {
  const ic = obj('nginx', {
    spec: {
      controller: 'k8s.io/ingress-nginx',
      parameters: { apiGroup: 'k8s.example.com', kind: 'IngressParameters', name: 'external-lb' },
    },
  });
  assert.deepEqual(row('networking.k8s.io', 'ingressclasses', ic), [
    'nginx',
    'k8s.io/ingress-nginx',
    'IngressParameters.k8s.example.com/external-lb',
    '10m',
  ]);
  assert.equal(
    row(
      'networking.k8s.io',
      'ingressclasses',
      obj('c', { spec: { controller: 'x', parameters: { kind: 'ConfigMap', name: 'cfg' } } }),
    )[2],
    'ConfigMap/cfg',
  );
  assert.equal(
    row('networking.k8s.io', 'ingressclasses', obj('c', { spec: { controller: 'x' } }))[2],
    '<none>',
  );
});

test('network policies: the pod selector, <none> when it selects every pod', () => {
  assert.deepEqual(
    row(
      'networking.k8s.io',
      'networkpolicies',
      obj('deny-all', { spec: { podSelector: {}, policyTypes: ['Ingress'] } }),
    ),
    ['deny-all', '<none>', '10m'],
  );
  assert.equal(
    row(
      'networking.k8s.io',
      'networkpolicies',
      obj('db', { spec: { podSelector: { matchLabels: { role: 'db' } } } }),
    )[1],
    'role=db',
  );
});
