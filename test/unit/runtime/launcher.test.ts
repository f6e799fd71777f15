// Programs started through the launcher's shell: arguments arrive exactly as
// given (quotes, $, spaces), environment additions, stdin, working directory,
// exit statuses and output, many at once. Real busybox sh and real programs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { Launcher, LaunchError } from '../../../src/runtime/launcher.js';
import { busyboxBinary } from '../../../src/image/builtin-busybox.js';

test('arguments, environment, stdin and cwd reach the program as given', async () => {
  const l = new Launcher(busyboxBinary());
  try {
    const args = ["it's", 'a "test"', '$HOME `id` $(id)', ' spaced ', ''];
    const echoed = await l.run('/bin/sh', ['-c', 'for a in "$@"; do printf "[%s]" "$a"; done', 'sh', ...args]);
    assert.equal(echoed.stdout, args.map((a) => `[${a}]`).join(''));
    const r = await l.run('/bin/sh', ['-c', 'echo "$FOO"; cat; pwd; echo oops >&2; exit 3'], { env: { FOO: "b 'a' r" }, input: 'from stdin\n', cwd: '/tmp' });
    assert.deepEqual(r, { code: 3, stdout: "b 'a' r\nfrom stdin\n/tmp\n", stderr: 'oops\n' });
  } finally {
    l.close();
  }
});

test('a missing program is status 127; exec rejects with the status and stderr', async () => {
  const l = new Launcher(busyboxBinary());
  try {
    assert.equal((await l.run('/nonexistent/program', [])).code, 127);
    await assert.rejects(l.exec('/bin/sh', ['-c', 'echo bad >&2; exit 4']), (e: unknown) => e instanceof LaunchError && e.code === 4 && /bad/.test(e.message));
    assert.deepEqual(await l.exec('/bin/echo', ['ok']), { stdout: 'ok\n', stderr: '' });
  } finally {
    l.close();
  }
});

test('many at once each get their own answer; an argument with a newline still runs', async () => {
  const l = new Launcher(busyboxBinary());
  try {
    const outs = await Promise.all(Array.from({ length: 200 }, (_, i) => l.run('/bin/echo', [String(i)])));
    assert.deepEqual(outs.map((o) => o.stdout), Array.from({ length: 200 }, (_, i) => `${i}\n`));
    assert.equal((await l.run('/bin/echo', ['two\nlines'])).stdout, 'two\nlines\n');
  } finally {
    l.close();
  }
});

test('an idle launcher does not keep its process alive', () => {
  const script = `import { Launcher } from ${JSON.stringify(new URL('../../../src/runtime/launcher.ts', import.meta.url).pathname)};
const l = new Launcher(${JSON.stringify(busyboxBinary())});
const r = await l.run('/bin/sh', ['-c', 'sleep 0.3; echo done']);
console.log(r.stdout.trim());`;
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8', timeout: 20_000 });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout.trim(), 'done', 'waits for a running job, then exits');
});
