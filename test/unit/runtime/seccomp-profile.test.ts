// The RuntimeDefault seccomp profile: an allowlist with EPERM for the rest,
// capability-gated syscalls, and Localhost profiles in OCI and Docker form.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { defaultSeccompProfile, parseLocalhostProfile, SeccompProfileError, type SeccompProfile } from '../../../src/runtime/oci/seccomp-profile.js';
import { capabilitySet } from '../../../src/runtime/oci/oci-spec.js';

const allowed = (p: SeccompProfile) => new Set(p.syscalls!.filter((r) => r.action === 'SCMP_ACT_ALLOW' && !r.args).flatMap((r) => r.names));

test('the default profile denies with EPERM and allows what ordinary programs use', () => {
  const p = defaultSeccompProfile(capabilitySet(), 'x64');
  assert.equal(p.defaultAction, 'SCMP_ACT_ERRNO');
  assert.equal(p.defaultErrnoRet, 1);
  assert.deepEqual(p.architectures, ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32']);
  const a = allowed(p);
  for (const s of ['read', 'write', 'openat', 'execve', 'mmap', 'futex', 'socket', 'connect', 'wait4', 'exit_group', 'arch_prctl', 'chroot']) assert.ok(a.has(s), s);
});

test('escapes are not allowed with the default capabilities', () => {
  const a = allowed(defaultSeccompProfile(capabilitySet(), 'x64'));
  for (const s of ['keyctl', 'add_key', 'request_key', 'unshare', 'setns', 'mount', 'umount2', 'pivot_root', 'kexec_load', 'init_module', 'reboot', 'bpf', 'open_by_handle_at', 'userfaultfd', 'clock_settime', 'swapon']) {
    assert.ok(!a.has(s), s);
  }
});

test('clone is allowed only without namespace flags; clone3 answers ENOSYS so libc falls back', () => {
  const p = defaultSeccompProfile(capabilitySet(), 'x64');
  const clone = p.syscalls!.find((r) => r.names.includes('clone'))!;
  assert.deepEqual(clone.args, [{ index: 0, value: 0x7e020000, valueTwo: 0, op: 'SCMP_CMP_MASKED_EQ' }]);
  const clone3 = p.syscalls!.find((r) => r.names.includes('clone3'))!;
  assert.equal(clone3.action, 'SCMP_ACT_ERRNO');
  assert.equal(clone3.errnoRet, 38);
});

test('capabilities open their syscalls: SYS_ADMIN gives mount, unshare and any clone; SYS_TIME the clock', () => {
  const p = defaultSeccompProfile(capabilitySet(['SYS_ADMIN', 'SYS_TIME']), 'x64');
  const a = allowed(p);
  for (const s of ['mount', 'unshare', 'setns', 'clone', 'clone3', 'clock_settime', 'settimeofday']) assert.ok(a.has(s), s);
  assert.ok(!a.has('keyctl'));
  assert.ok(!p.syscalls!.some((r) => r.action === 'SCMP_ACT_ERRNO'), 'no clone3 ENOSYS rule with SYS_ADMIN');
  // dropping a default capability closes its syscall
  assert.ok(!allowed(defaultSeccompProfile(capabilitySet([], ['SYS_CHROOT']), 'x64')).has('chroot'));
});

test('personality is allowed only for the values programs set on themselves', () => {
  const rules = defaultSeccompProfile([], 'x64').syscalls!.filter((r) => r.names.includes('personality'));
  assert.deepEqual(rules.map((r) => r.args![0]!.value).sort((x, y) => x - y), [0, 8, 0x20000, 0x20008, 0xffffffff]);
});

test('arm64 gets its own architectures and no x86-only calls', () => {
  const p = defaultSeccompProfile([], 'arm64');
  assert.deepEqual(p.architectures, ['SCMP_ARCH_AARCH64', 'SCMP_ARCH_ARM']);
  assert.ok(!allowed(p).has('arch_prctl'));
});

test('Localhost profiles: the OCI form passes through, Docker form is converted', () => {
  const oci = parseLocalhostProfile(JSON.stringify({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['mkdir'], action: 'SCMP_ACT_ERRNO', errnoRet: 1 }] }), 'x64');
  assert.equal(oci.defaultAction, 'SCMP_ACT_ALLOW');
  assert.deepEqual(oci.syscalls, [{ names: ['mkdir'], action: 'SCMP_ACT_ERRNO', errnoRet: 1 }]);
  assert.deepEqual(oci.architectures, ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32']);
  const docker = parseLocalhostProfile(JSON.stringify({
    defaultAction: 'SCMP_ACT_ERRNO',
    archMap: [{ architecture: 'SCMP_ARCH_X86_64', subArchitectures: ['SCMP_ARCH_X86'] }, { architecture: 'SCMP_ARCH_AARCH64', subArchitectures: ['SCMP_ARCH_ARM'] }],
    syscalls: [{ name: 'read', action: 'SCMP_ACT_ALLOW' }],
  }), 'x64');
  assert.deepEqual(docker.architectures, ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86']);
  assert.deepEqual(docker.syscalls, [{ names: ['read'], action: 'SCMP_ACT_ALLOW' }]);
});

test('Localhost profiles that are not profiles are refused with the reason', () => {
  assert.throws(() => parseLocalhostProfile('{not json'), SeccompProfileError);
  assert.throws(() => parseLocalhostProfile('{}'), /defaultAction/);
  assert.throws(() => parseLocalhostProfile(JSON.stringify({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ action: 'SCMP_ACT_ALLOW' }] })), /syscalls\[0\]/);
});
