// A StatefulSet on a real node (`skiff up` in the test's own network namespace
// and cgroup parent, runc containers): OrderedReady really waits for each pod's
// readiness probe before starting the next, the pods carry their stable
// hostnames, and scale-down stops them from the highest ordinal.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { k, kubectl, until as waitUntil } from './harness.js';
import { startNodeCluster, type NodeCluster } from './node-harness.js';

// this file's waits are slower (nodes joining): a longer default than the harness's
const until = <T,>(what: string, fn: () => T | undefined | false, ms = 60000) => waitUntil(what, fn, ms);

describe('StatefulSet on a real node', () => {
  let c: NodeCluster;
  before(async () => {
    c = await startNodeCluster('sts', { env: { SKIFF_NODE_GRACE_SECONDS: '10' } });
  });
  after(async () => {
    await c?.stop();
  });

  test('OrderedReady starts web-0, web-1, web-2 each after the previous is Ready, and stops them in reverse', async () => {
    const s = c.s;
    await until('node Ready', () => /True/.test(kubectl(s, ['get', 'node', c.nodeName, '-o', 'jsonpath={.status.conditions[?(@.type=="Ready")].status}']).stdout));
    k(s, ['apply', '-f', '-'], JSON.stringify({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'web' }, spec: { clusterIP: 'None', selector: { app: 'web' }, ports: [{ port: 80 }] } }));
    k(s, ['apply', '-f', '-'], JSON.stringify({
      apiVersion: 'apps/v1',
      kind: 'StatefulSet',
      metadata: { name: 'web' },
      spec: {
        replicas: 3,
        serviceName: 'web',
        selector: { matchLabels: { app: 'web' } },
        template: {
          metadata: { labels: { app: 'web' } },
          spec: {
            terminationGracePeriodSeconds: 1,
            containers: [{
              name: 'c',
              image: 'busybox',
              // ready one second after start: long enough to see the next pod wait
              command: ['sh', '-c', 'sleep 1; touch /tmp/ready; exec sleep 3600'],
              readinessProbe: { exec: { command: ['cat', '/tmp/ready'] }, periodSeconds: 1 },
            }],
          },
        },
      },
    }));
    assert.match(k(s, ['rollout', 'status', 'statefulset/web', '--timeout=90s']), /roll out complete: 3 new pods/);
    const pods = (JSON.parse(k(s, ['get', 'pods', '-l', 'app=web', '-o', 'json'])).items as any[]).sort((a, b) => a.metadata.name.localeCompare(b.metadata.name));
    assert.deepEqual(pods.map((p) => p.metadata.name), ['web-0', 'web-1', 'web-2']);
    const readyAt = (p: any) => Date.parse(p.status.conditions.find((x: any) => x.type === 'Ready').lastTransitionTime);
    for (let i = 1; i < 3; i++) {
      // whole seconds on both sides: created no earlier than the previous pod turned Ready
      assert.ok(Date.parse(pods[i].metadata.creationTimestamp) >= readyAt(pods[i - 1]), `${pods[i].metadata.name} created before ${pods[i - 1].metadata.name} was Ready`);
    }
    assert.equal(k(s, ['exec', 'web-2', '--', 'hostname']).trim(), 'web-2');
    assert.equal(c.runcList().length >= 3, true, 'three containers run');

    k(s, ['scale', 'sts/web', '--replicas=0']);
    await until('all gone', () => k(s, ['get', 'pods', '-l', 'app=web', '-o', 'name']).trim() === '');
    const events = k(s, ['get', 'events', '--field-selector', 'involvedObject.kind=StatefulSet', '--sort-by=.lastTimestamp', '-o', 'custom-columns=MSG:.message']);
    const order = ['web-2', 'web-1', 'web-0'].map((n) => events.indexOf(`delete Pod ${n}`));
    assert.ok(order.every((x) => x >= 0) && order[0] < order[1] && order[1] < order[2], events);
  });
});
