// The namespaces of a container's OCI config: the sandbox's network, IPC and
// UTS are joined; the PID namespace is its own unless another container's is
// given (an ephemeral container with a target, kubectl debug --target).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ociSpec } from '../../../src/runtime/oci/oci-spec.js';

const base = { args: ['sh'], env: [], cwd: '/', uid: 0, gid: 0, mounts: [], cgroupsPath: '/skiff/x' };
const namespaces = (s: object) => (s as { linux: { namespaces: Array<{ type: string; path?: string }> } }).linux.namespaces;

test('a container gets its own PID namespace and joins the sandbox for the others', () => {
  const ns = namespaces(ociSpec({ ...base, joinNamespaces: { network: '/proc/7/ns/net', ipc: '/proc/7/ns/ipc', uts: '/proc/7/ns/uts' } }));
  assert.deepEqual(ns, [{ type: 'pid' }, { type: 'mount' }, { type: 'network', path: '/proc/7/ns/net' }, { type: 'ipc', path: '/proc/7/ns/ipc' }, { type: 'uts', path: '/proc/7/ns/uts' }]);
});

test("a target's PID namespace is joined by path", () => {
  const ns = namespaces(ociSpec({ ...base, joinNamespaces: { pid: '/proc/42/ns/pid', network: '/proc/7/ns/net' } }));
  assert.deepEqual(ns.find((n) => n.type === 'pid'), { type: 'pid', path: '/proc/42/ns/pid' });
  assert.deepEqual(ns.find((n) => n.type === 'mount'), { type: 'mount' }, 'the mount namespace stays its own');
});
