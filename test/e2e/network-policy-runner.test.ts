// The node's NetworkPolicy runner against a real API server, driven by the real
// kubectl: without any NetworkPolicy it lists and watches no pods or namespaces
// (a cluster without policies costs no node a cluster-wide pod watch); the first
// policy starts those watches and the rules select the pods it names; deleting
// the last policy leaves an empty table. The nft script is kept by the test
// instead of applied (nft would act on the root network namespace, which tests
// never touch); test/e2e/network-policy.test.ts enforces real rules on real pods.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { k, startServer, until, type ServerHandle } from './harness.js';
import { loadKubeconfig } from '../../src/client/kubeconfig.js';
import { RestClient, type ResourceRef } from '../../src/client/rest-client.js';
import { NetworkPolicyRunner } from '../../src/network/policy/policy-runner.js';

describe('network policy runner: pods watched only once a policy exists', () => {
  let s: ServerHandle;
  let runner: NetworkPolicyRunner | undefined;
  const requested: string[] = [];
  const scripts: string[] = [];
  const last = () => scripts[scripts.length - 1] ?? '';

  before(async () => {
    // the pod is bound to a node that does not exist: pod GC would remove it
    s = await startServer({ args: ['--disable-controller', 'podgc'] });
  });
  after(async () => {
    runner?.stop();
    await s?.stop();
  });

  test('no policy: no pod or namespace list or watch; a policy: both, and its pods in the rules', async () => {
    const client = new RestClient(loadKubeconfig(s.kubeconfig));
    // the runner's informers only list and watch: record which resources they ask the server for
    const list = client.list.bind(client);
    const watch = client.watch.bind(client);
    client.list = ((r: ResourceRef, ...rest: unknown[]) => {
      requested.push(`list ${r.plural}`);
      return (list as (...a: unknown[]) => unknown)(r, ...rest);
    }) as typeof client.list;
    client.watch = ((path: string, ...rest: unknown[]) => {
      requested.push(`watch ${path.split('?')[0]}`);
      return (watch as (...a: unknown[]) => unknown)(path, ...rest);
    }) as typeof client.watch;

    k(s, ['create', 'namespace', 'shop']);
    k(s, ['apply', '-f', '-'], JSON.stringify({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'web', namespace: 'shop', labels: { app: 'web' } }, spec: { nodeName: 'n1', containers: [{ name: 'c', image: 'busybox' }] } }));
    k(s, ['-n', 'shop', 'patch', 'pod', 'web', '--subresource=status', '--type=merge', '-p', JSON.stringify({ status: { phase: 'Running', podIP: '10.42.0.17', podIPs: [{ ip: '10.42.0.17' }] } })]);

    runner = new NetworkPolicyRunner(client, 'n1', () => {}, async (script) => void scripts.push(script));
    await runner.start();
    assert.ok(scripts.length >= 1, 'the first pass writes the table');
    assert.doesNotMatch(last(), /10\.42\.0\.17/, 'no policy selects the pod yet');
    await new Promise((r) => setTimeout(r, 500));
    assert.deepEqual(requested.filter((r) => /pods|namespaces/.test(r)), [], `no pod or namespace requests without a policy: ${requested.join(', ')}`);
    assert.ok(requested.some((r) => r.startsWith('list networkpolicies')), requested.join(', '));

    k(s, ['apply', '-f', '-'], JSON.stringify({ apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name: 'deny-web', namespace: 'shop' }, spec: { podSelector: { matchLabels: { app: 'web' } }, policyTypes: ['Ingress'] } }));
    await until('the rules isolate the selected pod', () => /10\.42\.0\.17/.test(last()));
    assert.ok(requested.includes('list pods') && requested.includes('list namespaces'), requested.join(', '));
    assert.ok(requested.includes('watch /api/v1/pods'), requested.join(', '));

    // a pod's new address reaches the rules through the watch
    k(s, ['-n', 'shop', 'patch', 'pod', 'web', '--subresource=status', '--type=merge', '-p', JSON.stringify({ status: { podIP: '10.42.0.18', podIPs: [{ ip: '10.42.0.18' }] } })]);
    await until('the new address in the rules', () => /10\.42\.0\.18/.test(last()) && !/10\.42\.0\.17/.test(last()));

    k(s, ['-n', 'shop', 'delete', 'networkpolicy', 'deny-web']);
    await until('no policy, no isolated pod', () => !/10\.42\.0\.18/.test(last()));
  });
});
