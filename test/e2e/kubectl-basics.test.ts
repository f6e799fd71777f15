// The real kubectl against a real skiff server: the everyday verbs.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { k, kubectl, startServer, type ServerHandle } from './harness.js';

const DEPLOYMENT = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  labels: {app: web}
spec:
  replicas: 2
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
      - name: httpd
        image: busybox:1.36
        command: ["httpd", "-f", "-p", "8080"]
        ports:
        - containerPort: 8080
`;

describe('kubectl basics', () => {
  let s: ServerHandle;
  before(async () => {
    s = await startServer();
  });
  after(() => s?.cleanup());

  test('default namespaces exist and kubectl talks HTTPS with the written kubeconfig', () => {
    const out = k(s, ['get', 'ns']);
    for (const ns of ['default', 'kube-system', 'kube-public', 'kube-node-lease']) {
      assert.match(out, new RegExp(`^${ns}\\s+Active\\s+`, 'm'));
    }
    assert.match(out, /^NAME\s+STATUS\s+AGE/m);
  });

  test('api-resources and api-versions list the upstream groups', () => {
    const res = k(s, ['api-resources']);
    assert.match(res, /^deployments\s+deploy\s+apps\/v1\s+true\s+Deployment$/m);
    assert.match(res, /^pods\s+po\s+v1\s+true\s+Pod$/m);
    assert.match(res, /^horizontalpodautoscalers\s+hpa\s+autoscaling\/v2\s+true\s+HorizontalPodAutoscaler$/m);
    assert.match(res, /^namespaces\s+ns\s+v1\s+false\s+Namespace$/m);
    const versions = k(s, ['api-versions']);
    for (const gv of ['v1', 'apps/v1', 'batch/v1', 'autoscaling/v1', 'autoscaling/v2', 'policy/v1', 'rbac.authorization.k8s.io/v1']) {
      assert.match(versions, new RegExp(`^${gv.replace('/', '\\/')}$`, 'm'));
    }
  });

  test('create, get in every output, label, annotate, scale, delete', () => {
    k(s, ['create', 'namespace', 'basics']);
    k(s, ['-n', 'basics', 'create', 'configmap', 'cfg', '--from-literal=a=1', '--from-literal=b=2']);
    const table = k(s, ['-n', 'basics', 'get', 'cm', 'cfg']);
    assert.match(table, /^cfg\s+2\s+\d+s$/m);
    const obj = JSON.parse(k(s, ['-n', 'basics', 'get', 'cm', 'cfg', '-o', 'json']));
    assert.deepEqual(obj.data, { a: '1', b: '2' });
    assert.ok(obj.metadata.uid && obj.metadata.resourceVersion && obj.metadata.creationTimestamp);
    assert.match(k(s, ['-n', 'basics', 'get', 'cm', 'cfg', '-o', 'yaml']), /^kind: ConfigMap$/m);
    assert.equal(k(s, ['-n', 'basics', 'get', 'cm', 'cfg', '-o', 'jsonpath={.data.b}']), '2');

    k(s, ['-n', 'basics', 'label', 'cm', 'cfg', 'tier=backend']);
    k(s, ['-n', 'basics', 'annotate', 'cm', 'cfg', 'note=hello']);
    const labelled = JSON.parse(k(s, ['-n', 'basics', 'get', 'cm', 'cfg', '-o', 'json']));
    assert.equal(labelled.metadata.labels.tier, 'backend');
    assert.equal(labelled.metadata.annotations.note, 'hello');
    assert.match(k(s, ['-n', 'basics', 'get', 'cm', '-l', 'tier=backend']), /^cfg\s/m);
    assert.doesNotMatch(k(s, ['-n', 'basics', 'get', 'cm', '-l', 'tier=frontend']), /cfg/);
    assert.match(k(s, ['-n', 'basics', 'get', 'cm', '--field-selector', 'metadata.name=cfg', '-o', 'name']), /^configmap\/cfg$/m);

    k(s, ['-n', 'basics', 'apply', '-f', '-'], DEPLOYMENT);
    // no node here: the deployment's pods stay pending, whatever its ReplicaSet has made
    assert.match(k(s, ['-n', 'basics', 'get', 'deploy', 'web']), /^web\s+0\/2\s+\d+\s+0\s+/m);
    k(s, ['-n', 'basics', 'scale', 'deploy', 'web', '--replicas=5']);
    assert.equal(k(s, ['-n', 'basics', 'get', 'deploy', 'web', '-o', 'jsonpath={.spec.replicas}']), '5');
    const wide = k(s, ['-n', 'basics', 'get', 'deploy', 'web', '-o', 'wide']);
    assert.match(wide, /CONTAINERS\s+IMAGES\s+SELECTOR/);
    assert.match(wide, /httpd\s+busybox:1\.36\s+app=web/);

    assert.match(k(s, ['get', 'cm', '-A']), /^basics\s+cfg\s/m);
    k(s, ['-n', 'basics', 'delete', 'cm', 'cfg']);
    const gone = kubectl(s, ['-n', 'basics', 'get', 'cm', 'cfg']);
    assert.equal(gone.code, 1);
    assert.match(gone.stderr, /configmaps "cfg" not found/);
  });

  test('kubectl create subcommands send protobuf: ingress (inline rule values), service, job from a cronjob', () => {
    k(s, ['create', 'namespace', 'pb']);
    // an IngressRule's http is an inline struct in Go: a protobuf field of its own on the wire
    k(s, ['-n', 'pb', 'create', 'ingress', 'web', '--class=skiff', '--rule=web.test/*=web:80', '--rule=api.test/v1=api:http']);
    const ing = JSON.parse(k(s, ['-n', 'pb', 'get', 'ingress', 'web', '-o', 'json']));
    assert.deepEqual(ing.spec.rules.map((r: { host: string; http: { paths: object[] } }) => [r.host, r.http.paths]), [
      ['web.test', [{ path: '/', pathType: 'Prefix', backend: { service: { name: 'web', port: { number: 80 } } } }]],
      ['api.test', [{ path: '/v1', pathType: 'Exact', backend: { service: { name: 'api', port: { name: 'http' } } } }]],
    ]);
    k(s, ['-n', 'pb', 'create', 'service', 'nodeport', 'np', '--tcp=80:8080']);
    assert.match(k(s, ['-n', 'pb', 'get', 'svc', 'np', '-o', 'jsonpath={.spec.ports[0].nodePort}']), /^3\d{4}$/);
    k(s, ['-n', 'pb', 'create', 'cronjob', 'cj', '--image=busybox', '--schedule=*/5 * * * *', '--', 'true']);
    k(s, ['-n', 'pb', 'create', 'job', 'once', '--from=cronjob/cj']);
    assert.equal(k(s, ['-n', 'pb', 'get', 'job', 'once', '-o', 'jsonpath={.metadata.annotations.cronjob\\.kubernetes\\.io/instantiate}']), 'manual');
  });

  test('apply twice (client-side and server-side) with a change', () => {
    k(s, ['create', 'namespace', 'applied']);
    k(s, ['-n', 'applied', 'apply', '-f', '-'], DEPLOYMENT);
    const again = k(s, ['-n', 'applied', 'apply', '-f', '-'], DEPLOYMENT);
    assert.match(again, /deployment.apps\/web unchanged/);
    const changed = DEPLOYMENT.replace('replicas: 2', 'replicas: 3').replace('busybox:1.36', 'busybox:1.37');
    assert.match(k(s, ['-n', 'applied', 'apply', '-f', '-'], changed), /deployment.apps\/web configured/);
    const d = JSON.parse(k(s, ['-n', 'applied', 'get', 'deploy', 'web', '-o', 'json']));
    assert.equal(d.spec.replicas, 3);
    assert.equal(d.spec.template.spec.containers[0].image, 'busybox:1.37');
    assert.equal(d.metadata.generation, 2);
    assert.ok(d.metadata.annotations['kubectl.kubernetes.io/last-applied-configuration']);

    const ssa = DEPLOYMENT.replace('name: web', 'name: web-ssa');
    assert.match(k(s, ['-n', 'applied', 'apply', '--server-side', '-f', '-'], ssa), /deployment.apps\/web-ssa serverside-applied/);
    assert.match(k(s, ['-n', 'applied', 'apply', '--server-side', '-f', '-'], ssa), /serverside-applied/);
    const ssa2 = ssa.replace('replicas: 2', 'replicas: 4');
    k(s, ['-n', 'applied', 'apply', '--server-side', '-f', '-'], ssa2);
    const d2 = JSON.parse(k(s, ['-n', 'applied', 'get', 'deploy', 'web-ssa', '-o', 'json', '--show-managed-fields']));
    assert.equal(d2.spec.replicas, 4);
    assert.ok(d2.metadata.managedFields.some((m: { manager: string; operation: string }) => m.manager === 'kubectl' && m.operation === 'Apply'));

    // another manager changes replicas; a non-forced apply now conflicts
    k(s, ['-n', 'applied', 'scale', 'deploy', 'web-ssa', '--replicas=7']);
    const conflict = kubectl(s, ['-n', 'applied', 'apply', '--server-side', '-f', '-'], ssa2.replace('replicas: 4', 'replicas: 5'));
    assert.notEqual(conflict.code, 0);
    assert.match(conflict.stderr, /conflict/i);
    k(s, ['-n', 'applied', 'apply', '--server-side', '--force-conflicts', '-f', '-'], ssa2.replace('replicas: 4', 'replicas: 5'));
    assert.equal(k(s, ['-n', 'applied', 'get', 'deploy', 'web-ssa', '-o', 'jsonpath={.spec.replicas}']), '5');
  });

  test('patch of every type, replace, edit and diff', () => {
    k(s, ['create', 'namespace', 'patching']);
    k(s, ['-n', 'patching', 'apply', '-f', '-'], DEPLOYMENT);
    k(s, ['-n', 'patching', 'patch', 'deploy', 'web', '-p', '{"spec":{"template":{"spec":{"containers":[{"name":"httpd","image":"busybox:2"}]}}}}']);
    let d = JSON.parse(k(s, ['-n', 'patching', 'get', 'deploy', 'web', '-o', 'json']));
    assert.equal(d.spec.template.spec.containers.length, 1, 'strategic merge keeps the list merged by name');
    assert.equal(d.spec.template.spec.containers[0].image, 'busybox:2');
    assert.deepEqual(d.spec.template.spec.containers[0].command, ['httpd', '-f', '-p', '8080']);

    k(s, ['-n', 'patching', 'patch', 'deploy', 'web', '--type=merge', '-p', '{"metadata":{"labels":{"merged":"yes"}}}']);
    k(s, ['-n', 'patching', 'patch', 'deploy', 'web', '--type=json', '-p', '[{"op":"replace","path":"/spec/replicas","value":4}]']);
    d = JSON.parse(k(s, ['-n', 'patching', 'get', 'deploy', 'web', '-o', 'json']));
    assert.equal(d.metadata.labels.merged, 'yes');
    assert.equal(d.spec.replicas, 4);

    const bad = kubectl(s, ['-n', 'patching', 'patch', 'deploy', 'web', '--type=json', '-p', '[{"op":"test","path":"/spec/replicas","value":99}]']);
    assert.notEqual(bad.code, 0);

    d.spec.replicas = 6;
    delete d.metadata.resourceVersion;
    k(s, ['-n', 'patching', 'replace', '-f', '-'], JSON.stringify(d));
    assert.equal(k(s, ['-n', 'patching', 'get', 'deploy', 'web', '-o', 'jsonpath={.spec.replicas}']), '6');

    // kubectl edit with an editor that rewrites the replicas
    k(s, ['-n', 'patching', 'edit', 'deploy', 'web'], undefined, { KUBE_EDITOR: `sed -i -e 's/^  replicas: 6$/  replicas: 8/'` });
    assert.equal(k(s, ['-n', 'patching', 'get', 'deploy', 'web', '-o', 'jsonpath={.spec.replicas}']), '8');

    const diff = kubectl(s, ['-n', 'patching', 'diff', '-f', '-'], DEPLOYMENT);
    assert.equal(diff.code, 1, `diff exits 1 when there are differences: ${diff.stderr}`);
    assert.match(diff.stdout, /replicas/);
  });

  test('explain reads the OpenAPI schema', () => {
    const out = k(s, ['explain', 'deployment.spec.replicas']);
    assert.match(out, /KIND:\s+Deployment/);
    assert.match(out, /replicas/);
    assert.match(k(s, ['explain', 'pods.spec.containers']), /FIELDS?:/);
  });

  test('wait --for and delete with cascade options', () => {
    k(s, ['create', 'namespace', 'waiting']);
    k(s, ['-n', 'waiting', 'create', 'configmap', 'c1']);
    k(s, ['-n', 'waiting', 'label', 'cm', 'c1', 'ready=yes']);
    const w = k(s, ['-n', 'waiting', 'wait', '--for=jsonpath={.metadata.labels.ready}=yes', 'cm/c1', '--timeout=10s']);
    assert.match(w, /condition met/);
    k(s, ['-n', 'waiting', 'delete', 'cm', 'c1', '--wait=false', '--cascade=background']);
    assert.equal(kubectl(s, ['-n', 'waiting', 'get', 'cm', 'c1']).code, 1);
  });
});
