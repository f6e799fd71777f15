// statField reads one "key value" line of a cgroup stat file (memory.stat,
// cpu.stat) without splitting the file: first line, middle, last line without
// a newline, a key that is only a prefix of another, and a missing key.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { statField } from '../../../src/runtime/oci/cgroup-stats.js';

test('statField finds whole keys anywhere in the file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'skiff-statfield-'));
  try {
    const f = join(dir, 'memory.stat');
    writeFileSync(f, 'anon 100\ninactive_file_x 7\ninactive_file 4096\nactive_file 12\nlast 9');
    assert.equal(statField(f, 'anon'), 100);
    assert.equal(statField(f, 'inactive_file'), 4096);
    assert.equal(statField(f, 'active_file'), 12);
    assert.equal(statField(f, 'last'), 9);
    assert.equal(statField(f, 'file'), undefined);
    assert.equal(statField(f, 'missing'), undefined);
    assert.equal(statField(join(dir, 'absent'), 'anon'), undefined);
    // every key of a real memory.stat (v1's at the hierarchy root, or v2's), copied once so its numbers hold still
    const real = readFileSync(existsSync('/sys/fs/cgroup/cgroup.controllers') ? '/sys/fs/cgroup/memory.stat' : '/sys/fs/cgroup/memory/memory.stat', 'utf8');
    writeFileSync(f, real);
    const lines = real.split('\n').filter(Boolean);
    assert.ok(lines.length > 10);
    for (const line of lines) assert.equal(statField(f, line.split(' ')[0]!), Number(line.split(' ')[1]), line);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

