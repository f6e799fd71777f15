// Starts a real `skiff server` in a child process on a free port with its own
// data dir, and runs the real kubectl against it.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const ROOT = new URL('../../', import.meta.url).pathname;

/** The Node flags bin/skiff runs `skiff agent` with: tests run their agents as users do. */
export const AGENT_NODE_FLAGS = readFileSync(join(ROOT, 'bin/agent-node-flags'), 'utf8').trim().split(/\s+/);

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const addr = s.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      s.close(() => resolve(port));
    });
  });
}

export interface ServerHandle {
  netns?: string;
  dataDir: string;
  port: number;
  url: string;
  kubeconfig: string;
  proc: ChildProcess;
  output: () => string;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
  kill9(): Promise<void>;
  cleanup(): void;
}

export interface StartOptions {
  /** run inside this network namespace (made by the test with `ip netns add`) */
  netns?: string;
  /** 'up' runs a node agent too */
  command?: 'server' | 'up';
  dataDir?: string;
  port?: number;
  env?: Record<string, string>;
  args?: string[];
}

export async function startServer(opts: StartOptions = {}): Promise<ServerHandle> {
  const dataDir = opts.dataDir ?? mkdtempSync(join(tmpdir(), 'skiff-e2e-'));
  const port = opts.port ?? (await freePort());
  // SKIFF_USE_DIST=1 runs the compiled build (benchmarks: no tsx loader in the figures), SKIFF_DIST=DIR another build (A/B)
  const dist = process.env.SKIFF_DIST ?? (process.env.SKIFF_USE_DIST ? join(ROOT, 'dist') : undefined);
  const entry = dist ? [join(dist, 'src/cli/main.js')] : ['--import', 'tsx', join(ROOT, 'src/cli/main.ts')];
  const argv = [process.execPath, ...entry, opts.command ?? 'server', '--data-dir', dataDir, '--port', String(port), ...(opts.args ?? [])];
  // nsenter switches only the network namespace: `ip netns exec` would remount /sys and hide the cgroup mounts
  if (opts.netns) argv.unshift('nsenter', `--net=/var/run/netns/${opts.netns}`);
  const proc = spawn(
    argv[0],
    argv.slice(1),
    { cwd: ROOT, env: { ...process.env, ...opts.env }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  proc.stdout!.on('data', (d) => (out += d));
  proc.stderr!.on('data', (d) => (out += d));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not become ready:\n${out}`)), 90_000); // generous: a loaded machine compiles slowly
    const check = () => {
      if (out.includes(opts.command === 'up' ? 'skiff node agent running' : 'skiff server ready')) {
        clearTimeout(timer);
        resolve();
      }
    };
    proc.stdout!.on('data', check);
    proc.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${code}:\n${out}`));
    });
  });
  const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
  return {
    netns: opts.netns,
    dataDir,
    port,
    url: `https://127.0.0.1:${port}`,
    kubeconfig: join(dataDir, 'admin.kubeconfig'),
    proc,
    output: () => out,
    async stop(signal = 'SIGTERM') {
      if (proc.exitCode !== null) return proc.exitCode;
      proc.kill(signal);
      return exited;
    },
    async kill9() {
      if (proc.exitCode === null) proc.kill('SIGKILL');
      await exited;
    },
    cleanup() {
      if (proc.exitCode === null) proc.kill('SIGKILL');
      if (!opts.dataDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export interface KubectlResult {
  code: number;
  stdout: string;
  stderr: string;
}

export function kubectl(server: { kubeconfig: string; netns?: string }, args: string[], input?: string, env?: Record<string, string>): KubectlResult {
  const cmd = server.netns ? 'nsenter' : 'kubectl';
  const argv = server.netns ? [`--net=/var/run/netns/${server.netns}`, 'kubectl', ...args] : args;
  const r = spawnSync(cmd, argv, {
    env: { ...process.env, KUBECONFIG: server.kubeconfig, HOME: process.env.HOME ?? '/root', ...env },
    input,
    encoding: 'utf8',
    // above the longest --timeout a test gives kubectl (rollouts on a loaded machine)
    timeout: 120_000,
  });
  return { code: r.status ?? -1, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
}

/** kubectl that must succeed; returns stdout. */
export function k(server: { kubeconfig: string; netns?: string }, args: string[], input?: string, env?: Record<string, string>): string {
  const r = kubectl(server, args, input, env);
  if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')} failed (${r.code}):\n${r.stderr}${r.stdout}`);
  return r.stdout;
}

/**
 * Polls fn until it returns something truthy. A throw (e.g. kubectl failing while
 * an object is not there yet) counts as "not yet"; the last one is reported if
 * time runs out.
 */
export async function until<T>(what: string, fn: () => T | undefined | false | Promise<T | undefined | false>, ms = 30_000, every = 250): Promise<T> {
  const end = Date.now() + ms;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, every));
  }
}
