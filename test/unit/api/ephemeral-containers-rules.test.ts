// Ephemeral container validation, as upstream's validateEphemeralContainers and
// ValidatePodEphemeralContainersUpdate: additions only, names unique across the
// pod, a real target, an image, and no ports, probes, lifecycle or resources.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { keepAllButEphemeralContainers, validateEphemeralContainers, validateEphemeralContainersUpdate, validateNoEphemeralContainersInTemplate, validateNoEphemeralContainersOnCreate } from '../../../src/api/kinds/ephemeral-containers-rules.js';
import type { KubeObject } from '../../../src/api/object.js';

type Obj = Record<string, any>;
const spec = (ephemeral: Obj[]): Obj => ({
  containers: [{ name: 'main', image: 'busybox' }],
  initContainers: [{ name: 'setup', image: 'busybox' }],
  volumes: [{ name: 'data', emptyDir: {} }],
  ephemeralContainers: ephemeral,
});
const pod = (ephemeral: Obj[], annotations?: Record<string, string>): KubeObject => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', ...(annotations ? { annotations } : {}) }, spec: spec(ephemeral) });
const fields = (causes: { field?: string; reason: string }[]) => causes.map((c) => `${c.field} ${c.reason}`);

test('a plain debug container is valid, with empty objects counting as unset (kubectl sends resources: {})', () => {
  assert.deepEqual(validateEphemeralContainers(spec([{ name: 'debugger', image: 'busybox', targetContainerName: 'main', stdin: true, tty: true, resources: {}, terminationMessagePath: '/dev/termination-log', volumeMounts: [{ name: 'data', mountPath: '/data' }] }])), []);
});

test('names are unique across containers, init containers and ephemeral containers', () => {
  const causes = validateEphemeralContainers(spec([{ name: 'main', image: 'busybox' }, { name: 'setup', image: 'busybox' }, { name: 'd', image: 'busybox' }, { name: 'd', image: 'busybox' }]));
  assert.deepEqual(fields(causes), ['spec.ephemeralContainers[0].name FieldValueDuplicate', 'spec.ephemeralContainers[1].name FieldValueDuplicate', 'spec.ephemeralContainers[3].name FieldValueDuplicate']);
});

test('the image is required and the target must be a container of the pod (not an ephemeral one)', () => {
  const causes = validateEphemeralContainers(spec([{ name: 'a', image: 'busybox' }, { name: 'b', targetContainerName: 'a' }, { name: 'c', image: 'busybox', targetContainerName: 'setup' }]));
  assert.deepEqual(fields(causes), ['spec.ephemeralContainers[1].image FieldValueRequired', 'spec.ephemeralContainers[1].targetContainerName FieldValueNotFound']);
  assert.equal(causes[1]!.message, 'Not found: "a"');
});

test('ports, probes, lifecycle and resources cannot be set; nor a volume subPath', () => {
  const causes = validateEphemeralContainers(spec([{
    name: 'd', image: 'busybox',
    ports: [{ containerPort: 80 }],
    livenessProbe: { exec: { command: ['true'] } },
    readinessProbe: { exec: { command: ['true'] } },
    startupProbe: { exec: { command: ['true'] } },
    lifecycle: { postStart: { exec: { command: ['true'] } } },
    resources: { limits: { memory: '10Mi' } },
    volumeMounts: [{ name: 'data', mountPath: '/d', subPath: 'x' }],
  }]));
  const p = 'spec.ephemeralContainers[0]';
  assert.deepEqual(fields(causes).sort(), [`${p}.lifecycle`, `${p}.livenessProbe`, `${p}.ports`, `${p}.readinessProbe`, `${p}.resources`, `${p}.startupProbe`, `${p}.volumeMounts[0].subPath`].map((f) => `${f} FieldValueForbidden`));
  assert.ok(causes.every((c) => c.message === 'Forbidden: cannot be set for an Ephemeral Container'));
});

test('a mount of a volume the pod does not have is not found', () => {
  assert.deepEqual(fields(validateEphemeralContainers(spec([{ name: 'd', image: 'busybox', volumeMounts: [{ name: 'nope', mountPath: '/x' }] }]))), ['spec.ephemeralContainers[0].volumeMounts[0].name FieldValueNotFound']);
});

test('a new pod may not bring ephemeral containers', () => {
  assert.deepEqual(validateNoEphemeralContainersOnCreate(spec([])), []);
  const [c] = validateNoEphemeralContainersOnCreate(spec([{ name: 'd', image: 'busybox' }]));
  assert.equal(c!.field, 'spec.ephemeralContainers');
  assert.equal(c!.message, 'Forbidden: cannot have ephemeral containers on create');
});

test('a pod template may not have ephemeral containers', () => {
  assert.deepEqual(validateNoEphemeralContainersInTemplate(spec([]), 'spec.template.spec'), []);
  const [c] = validateNoEphemeralContainersInTemplate(spec([{ name: 'd', image: 'busybox' }]), 'spec.template.spec');
  assert.equal(c!.field, 'spec.template.spec.ephemeralContainers');
  assert.equal(c!.message, 'Forbidden: ephemeral containers not allowed in pod template');
});

test('containers can be added; removing or changing one is forbidden', () => {
  const d = { name: 'd', image: 'busybox', command: ['sh'] };
  assert.deepEqual(validateEphemeralContainersUpdate(pod([d]), pod([])), []);
  assert.deepEqual(validateEphemeralContainersUpdate(pod([{ command: ['sh'], image: 'busybox', name: 'd' }, { name: 'e', image: 'busybox' }]), pod([d])), [], 'key order is no change');
  const [removed] = validateEphemeralContainersUpdate(pod([]), pod([d]));
  assert.equal(removed!.field, 'spec.ephemeralContainers');
  assert.equal(removed!.reason, 'FieldValueForbidden');
  assert.equal(removed!.message, 'Forbidden: existing ephemeral containers "d" may not be removed\n');
  const [changed] = validateEphemeralContainersUpdate(pod([{ ...d, image: 'debian' }]), pod([d]));
  assert.equal(changed!.message, 'Forbidden: existing ephemeral containers "d" may not be changed\n');
});

test('static (mirror) pods take no ephemeral containers', () => {
  const [c] = validateEphemeralContainersUpdate(pod([{ name: 'd', image: 'busybox' }]), pod([], { 'kubernetes.io/config.mirror': 'x' }));
  assert.equal(c!.message, 'Forbidden: static pods do not support ephemeral containers');
});

test('the subresource keeps everything but spec.ephemeralContainers from the stored pod', () => {
  const old = pod([]);
  old.status = { phase: 'Running' };
  old.metadata.labels = { a: '1' };
  const next = pod([{ name: 'd', image: 'busybox' }]);
  (next.spec as Obj).containers[0].image = 'debian';
  next.metadata.labels = { a: '2' };
  next.metadata.managedFields = [{ manager: 'kubectl-debug' }];
  next.status = { phase: 'Failed' };
  keepAllButEphemeralContainers(next, old);
  assert.equal((next.spec as Obj).containers[0].image, 'busybox');
  assert.deepEqual(next.metadata.labels, { a: '1' });
  assert.deepEqual(next.status, { phase: 'Running' });
  assert.deepEqual(next.metadata.managedFields, [{ manager: 'kubectl-debug' }]);
  assert.deepEqual((next.spec as Obj).ephemeralContainers, [{ name: 'd', image: 'busybox' }]);
});
