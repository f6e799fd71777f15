// Which OCI runtimes a node offers: the chosen default first, what is missing
// said with the package to install, and crun's hybrid-cgroup wrapper.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findRuntimeBinary, isHybridCgroupHost, missingRuntimeMessage, resolveHandlers } from '../../../src/runtime/oci/runtime-handlers.js';
import { RuntimeHandlerError } from '../../../src/runtime/runtime.js';

test('a missing runtime is named with the package that provides it', () => {
  assert.match(missingRuntimeMessage('crun'), /crun is not installed .*apt-get install crun/);
  assert.match(missingRuntimeMessage('youki'), /unknown OCI runtime "youki"/);
});

test('hybrid cgroup hosts are told apart from pure v1 and pure v2 ones', () => {
  const dir = mkdtempSync(join(tmpdir(), 'skiff-cg-'));
  try {
    mkdirSync(join(dir, 'memory'));
    assert.equal(isHybridCgroupHost(dir), false, 'v1 only');
    mkdirSync(join(dir, 'unified'));
    writeFileSync(join(dir, 'unified', 'cgroup.controllers'), '');
    assert.equal(isHybridCgroupHost(dir), true, 'v1 with a cgroup2 mount');
    writeFileSync(join(dir, 'cgroup.controllers'), 'memory pids');
    assert.equal(isHybridCgroupHost(dir), false, 'v2 unified');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the chosen runtime comes first, each with its own state root; a bad --oci-runtime is refused', { skip: !findRuntimeBinary('runc') && 'runc is not installed' }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'skiff-rt-'));
  try {
    const handlers = resolveHandlers(dir);
    assert.equal(handlers[0]!.name, 'runc');
    assert.equal(handlers[0]!.root, join(dir, 'runc'));
    assert.ok(existsSync(join(dir, 'runc')));
    const crun = handlers.find((h) => h.name === 'crun');
    if (crun && isHybridCgroupHost()) {
      // conmon creates crun containers through the wrapper; everything else calls crun itself
      assert.equal(crun.createPath, join(dir, 'crun-hybrid'));
      assert.match(readFileSync(crun.createPath, 'utf8'), /unshare --mount --propagation private .*umount \/sys\/fs\/cgroup\/unified/s);
    }
    assert.throws(() => resolveHandlers(dir, { runtimePath: join(dir, 'no-such-runtime') }), RuntimeHandlerError);
    assert.throws(() => resolveHandlers(dir, { runtime: 'youki' }), /unknown OCI runtime "youki"/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
