// The Node.js example end to end: a Debian base from debootstrap, `apt-get
// install nodejs` in a RUN (host network, the Debian mirror), COPY of the app,
// and the image serving HTTP as a pod on a real node. Needs the Debian mirror;
// about 3 minutes here, most of it debootstrap.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { k, type ServerHandle } from './harness.js';
import { skiffImage, until } from './image-helpers.js';
import { removeCgroupParent, startNodeCluster, type NodeCluster } from './node-harness.js';

const NODE = 'node-app-node';
const EXAMPLE = join(import.meta.dirname, '..', '..', 'examples', 'node-app');

describe('the Node.js example: debootstrap base, apt-get in RUN, served as a pod', () => {
  let c: NodeCluster;
  let s: ServerHandle;
  const buildParent = `/skiff-nodeapp-build-e2e-${process.pid}`;

  before(async () => {
    c = await startNodeCluster('skiff-nodeapp', { nodeName: NODE });
    s = c.s;
  });

  after(async () => {
    await c?.stop();
    await removeCgroupParent(buildParent);
  });

  test('debootstrap, build and run examples/node-app', async () => {
    const t0 = Date.now();
    const deb = skiffImage(['debootstrap', '--data-dir', s.dataDir]);
    assert.equal(deb.code, 0, deb.err + deb.out.slice(-2000));
    assert.match(deb.out, /Tagged debian:latest/);
    const t1 = Date.now();
    const b = skiffImage(['build', '--data-dir', s.dataDir, '--cgroup-parent', buildParent, '-t', 'node-app:1', EXAMPLE]);
    assert.equal(b.code, 0, b.err + b.out.slice(-2000));
    assert.match(b.out, /Setting up nodejs/);
    const t2 = Date.now();
    k(s, ['run', 'web', '--image=node-app:1', '--image-pull-policy=IfNotPresent', '--port=3000', `--overrides=${JSON.stringify({ spec: { nodeName: NODE } })}`]);
    const ip = await until('web running with an IP', () => {
      const st = JSON.parse(k(s, ['get', 'pod', 'web', '-o', 'json'])).status;
      return st.containerStatuses?.[0]?.state?.running && st.podIP;
    }, 60_000);
    const body = await until('an HTTP answer', () => {
      try {
        return c.inNode('curl', ['-s', '--max-time', '2', `http://${ip}:3000/`]);
      } catch {
        return undefined;
      }
    });
    assert.match(body, /^hello from node v\d+\.\d+\.\d+ on web$/m);
    process.stdout.write(`# node-app: debootstrap ${((t1 - t0) / 1000).toFixed(0)} s, build ${((t2 - t1) / 1000).toFixed(0)} s, pod serving ${((Date.now() - t2) / 1000).toFixed(0)} s\n`);
  });
});
