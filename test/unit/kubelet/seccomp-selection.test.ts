// Which seccomp filter a container gets (container over pod, --seccomp-default,
// Localhost files under the agent's seccomp dir) and which runtime a pod's
// RuntimeClass picks.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { containerSeccomp, SeccompConfigError } from '../../../src/kubelet/seccomp.js';
import { podRuntimeHandler, RuntimeClassError } from '../../../src/kubelet/runtime-class.js';

const pod = (podProfile?: object) => ({ spec: { securityContext: podProfile ? { seccompProfile: podProfile } : {} } });

test('container profile over pod profile; unset is Unconfined unless --seccomp-default', () => {
  const rootDir = '/nonexistent';
  assert.deepEqual(containerSeccomp(pod(), { name: 'c' }, { rootDir }), { type: 'Unconfined' });
  assert.deepEqual(containerSeccomp(pod(), { name: 'c' }, { rootDir, seccompDefault: true }), { type: 'RuntimeDefault' });
  assert.deepEqual(containerSeccomp(pod({ type: 'RuntimeDefault' }), { name: 'c' }, { rootDir }), { type: 'RuntimeDefault' });
  assert.deepEqual(containerSeccomp(pod({ type: 'RuntimeDefault' }), { name: 'c', securityContext: { seccompProfile: { type: 'Unconfined' } } }, { rootDir }), { type: 'Unconfined' });
  assert.throws(() => containerSeccomp(pod({ type: 'Strict' }), { name: 'c' }, { rootDir }), SeccompConfigError);
});

test('Localhost profiles come from <data dir>/seccomp, and only from there', () => {
  const rootDir = mkdtempSync(join(tmpdir(), 'skiff-seccomp-'));
  try {
    mkdirSync(join(rootDir, 'seccomp', 'profiles'), { recursive: true });
    writeFileSync(join(rootDir, 'seccomp', 'profiles', 'deny-mkdir.json'), JSON.stringify({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['mkdir', 'mkdirat'], action: 'SCMP_ACT_ERRNO' }] }));
    const got = containerSeccomp(pod({ type: 'Localhost', localhostProfile: 'profiles/deny-mkdir.json' }), { name: 'c' }, { rootDir });
    assert.equal(got?.type, 'Localhost');
    assert.equal((got as { profile: { defaultAction: string } }).profile.defaultAction, 'SCMP_ACT_ALLOW');
    assert.throws(() => containerSeccomp(pod({ type: 'Localhost', localhostProfile: 'missing.json' }), { name: 'c' }, { rootDir }), /cannot load seccomp profile ".*missing.json": no such file/);
    assert.throws(() => containerSeccomp(pod({ type: 'Localhost', localhostProfile: '../../etc/passwd' }), { name: 'c' }, { rootDir }), /inside the node's seccomp directory/);
    assert.throws(() => containerSeccomp(pod({ type: 'Localhost', localhostProfile: '/etc/passwd' }), { name: 'c' }, { rootDir }), /inside the node's seccomp directory/);
    assert.throws(() => containerSeccomp(pod({ type: 'Localhost' }), { name: 'c' }, { rootDir }), /needs a localhostProfile/);
    writeFileSync(join(rootDir, 'seccomp', 'bad.json'), '{"syscalls": []}');
    assert.throws(() => containerSeccomp(pod({ type: 'Localhost', localhostProfile: 'bad.json' }), { name: 'c' }, { rootDir }), /is invalid: a seccomp profile needs a defaultAction/);
  } finally {
    rmSync(rootDir, { recursive: true, force: true });
  }
});

test('runtimeClassName picks the RuntimeClass handler; a missing class is a clear error', async () => {
  const classes: Record<string, object> = { fast: { metadata: { name: 'fast' }, handler: 'crun' } };
  const get = async (name: string) => classes[name] as never;
  assert.equal(await podRuntimeHandler({ metadata: {}, spec: {} } as never, get), undefined);
  assert.equal(await podRuntimeHandler({ metadata: {}, spec: { runtimeClassName: 'fast' } } as never, get), 'crun');
  await assert.rejects(podRuntimeHandler({ metadata: {}, spec: { runtimeClassName: 'kata' } } as never, get), (e: unknown) => e instanceof RuntimeClassError && e.message === 'RuntimeClass "kata" not found');
});
