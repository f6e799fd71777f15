// A node without a cgroup filesystem (what `ip netns exec` gives: a fresh /sys)
// is told so, and what to do, when its runtime starts: runc would only fail
// each container later with no reason given.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { assertCgroupsMounted } from '../../../src/runtime/oci/cgroups.js';

test('cgroup v2, v1 and hybrid roots pass; an empty one fails naming nsenter', () => {
  const dir = mkdtempSync(join(tmpdir(), 'skiff-cgroot-'));
  try {
    assert.throws(() => assertCgroupsMounted(dir), /no cgroup filesystem is mounted .*nsenter --net=/);
    assert.throws(() => assertCgroupsMounted(join(dir, 'absent')), /no cgroup filesystem/);
    mkdirSync(join(dir, 'memory'));
    writeFileSync(join(dir, 'memory', 'cgroup.procs'), '');
    assert.doesNotThrow(() => assertCgroupsMounted(dir)); // v1 (and hybrid) trees
    rmSync(join(dir, 'memory'), { recursive: true });
    writeFileSync(join(dir, 'cgroup.controllers'), 'cpu memory pids\n');
    assert.doesNotThrow(() => assertCgroupsMounted(dir)); // v2
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  assert.doesNotThrow(() => assertCgroupsMounted()); // this machine's own
});

test('under a real `ip netns exec` (a namespace this test makes) the check fails with the advice', () => {
  const ns = `skiff-cgcheck-${process.pid}`;
  execFileSync('ip', ['netns', 'add', ns]);
  try {
    const module = new URL('../../../src/runtime/oci/cgroups.ts', import.meta.url).pathname;
    const r = spawnSync('ip', ['netns', 'exec', ns, process.execPath, '--import', 'tsx', '-e', `import(${JSON.stringify(module)}).then((m) => m.assertCgroupsMounted())`], { encoding: 'utf8' });
    assert.notEqual(r.status, 0, 'fails');
    assert.match(r.stderr, /no cgroup filesystem is mounted at \/sys\/fs\/cgroup.*nsenter --net=\/var\/run\/netns\/NAME/);
  } finally {
    execFileSync('ip', ['netns', 'del', ns]);
  }
});
