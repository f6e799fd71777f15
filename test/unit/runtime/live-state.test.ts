// live-state.ts reads a container's liveness from its pid file and /proc; real
// processes stand in for containers here (the pid file is what runc writes).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { processInfo, readPidFile, runningProcess, stillRunning, stillTheSame } from '../../../src/runtime/oci/live-state.js';

test('a live process behind the pid file is running; not before start, not after exit', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'live-state-'));
  const child = spawn('sleep', ['30']);
  try {
    writeFileSync(join(dir, 'pid'), `${child.pid}`);
    assert.equal(runningProcess(dir, true)?.pid, child.pid);
    assert.equal(runningProcess(dir, false), undefined, 'created but not started: the runtime decides');
    const info = processInfo(child.pid!)!;
    assert.ok(Math.abs(info.startMs - Date.now()) < 10_000, `start time ${new Date(info.startMs).toISOString()} is about now`);
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    assert.equal(runningProcess(dir, true), undefined, 'an exited process is not running');
  } finally {
    child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a pid file older than the process with its number is a reused pid', () => {
  const dir = mkdtempSync(join(tmpdir(), 'live-state-'));
  const child = spawn('sleep', ['30']);
  try {
    writeFileSync(join(dir, 'pid'), `${child.pid}`);
    const hourAgo = new Date(Date.now() - 3600_000);
    utimesSync(join(dir, 'pid'), hourAgo, hourAgo);
    assert.equal(runningProcess(dir, true), undefined);
  } finally {
    child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
});

test('missing or garbled pid files say nothing', () => {
  const dir = mkdtempSync(join(tmpdir(), 'live-state-'));
  try {
    assert.equal(runningProcess(dir, true), undefined);
    writeFileSync(join(dir, 'pid'), 'not a pid');
    assert.equal(runningProcess(dir, true), undefined);
    writeFileSync(join(dir, 'pid'), '0');
    assert.equal(runningProcess(dir, true), undefined);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a remembered pid file (the runtime keeps it while the container runs) follows the process to its exit', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'live-state-'));
  const child = spawn('sleep', ['30']);
  try {
    writeFileSync(join(dir, 'pid'), `${child.pid}`);
    const p = readPidFile(dir)!;
    assert.equal(p.pid, child.pid);
    rmSync(join(dir, 'pid'));
    assert.equal(stillRunning(p.pid, p.written), true, 'no file is read again');
    assert.equal(stillRunning(p.pid, p.written - 3600_000), false, 'a process younger than the remembered pid file is another one');
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    assert.equal(stillRunning(p.pid, p.written), false);
  } finally {
    child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
});

test('processInfo reads the state and start time after the last ")", whatever the command name holds', () => {
  // a command name with spaces and parentheses (comm may hold both); /proc/<pid>/comm is the one place it can be set
  const child = spawn('sh', ['-c', 'printf "a) b (c" > /proc/self/comm; sleep 30']);
  try {
    const stat = () => readFileSync(`/proc/${child.pid}/stat`, 'utf8');
    for (const end = Date.now() + 5000; !stat().includes('(a) b (c)') && Date.now() < end; );
    assert.match(stat(), /\(a\) b \(c\) /, 'the name was set');
    const fields = stat().slice(stat().lastIndexOf(')') + 2).split(' ');
    const info = processInfo(child.pid!)!;
    assert.equal(info.state, fields[0]);
    const btime = Number(/^btime (\d+)$/m.exec(readFileSync('/proc/stat', 'utf8'))![1]) * 1000;
    assert.equal(info.startMs, btime + Number(fields[19]) * 10);
  } finally {
    child.kill('SIGKILL');
  }
});

test('stillTheSame: a verified process is then only probed; gone is seen at once, a zombie on a fresh look', async () => {
  // the outer shell becomes `sleep 60` and never reaps its child: killed, the inner sleep stays a zombie
  const outer = spawn('sh', ['-c', 'sleep 30 & echo $!; exec sleep 60']);
  try {
    const innerPid = await new Promise<number>((resolve) => outer.stdout.once('data', (d) => resolve(Number(String(d).trim()))));
    const start = processInfo(innerPid)!.startMs;
    assert.equal(stillTheSame(innerPid, start), true);
    assert.equal(stillTheSame(innerPid, start + 10_000), false, 'another start time is another process');
    assert.equal(stillTheSame(innerPid, start), true);
    process.kill(innerPid, 'SIGKILL');
    for (const end = Date.now() + 5000; processInfo(innerPid)?.state !== 'Z' && Date.now() < end; ) await new Promise((r) => setTimeout(r, 10));
    assert.equal(processInfo(innerPid)?.state, 'Z');
    assert.equal(stillTheSame(innerPid, start, true), false, 'a fresh look sees the zombie');
    // gone entirely: the probe fails at once, whatever was verified before
    const child = spawn('sleep', ['30']);
    await new Promise((r) => setTimeout(r, 50));
    const childStart = processInfo(child.pid!)!.startMs;
    assert.equal(stillTheSame(child.pid!, childStart), true);
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    assert.equal(stillTheSame(child.pid!, childStart), false);
  } finally {
    outer.kill('SIGKILL');
  }
});
