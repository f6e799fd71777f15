#!/usr/bin/env node
// Runs every *.test.ts under the given folders (default: test/) with node:test and tsx.
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';

function collect(dir, out) {
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) collect(p, out);
    else if (name.endsWith('.test.ts')) out.push(p);
  }
  return out;
}

const args = process.argv.slice(2);
const roots = args.length ? args : ['test/unit', 'test/e2e'];
const files = roots.flatMap((r) => (r.endsWith('.ts') ? [r] : collect(r, [])));
if (files.length === 0) {
  console.error('no test files found under', roots.join(' '));
  process.exit(1);
}
const concurrency = process.env.SKIFF_TEST_CONCURRENCY ?? '2';
const r = spawnSync(
  process.execPath,
  // a hung test fails after 30 min instead of running into CI's limit (the longest suite takes ~12 min loaded)
  ['--import', 'tsx', '--test', `--test-concurrency=${concurrency}`, '--test-timeout=1800000', '--test-reporter=spec', ...files],
  { stdio: 'inherit' },
);
process.exit(r.status ?? 1);
