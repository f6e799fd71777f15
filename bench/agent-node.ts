// A control plane (`skiff server`) and a node (`skiff agent`) as two separate
// processes inside one network namespace the bench made, so a bench can time
// and weigh the agent alone. The bench itself runs inside that namespace too
// (inBenchNetns re-runs the script there): it reaches the API on the
// namespace's loopback and never touches the root namespace. SKIFF_USE_DIST=1
// runs the compiled build in dist/ (`npm run build`), SKIFF_DIST=DIR another one
// (DIR/src/cli/main.js, e.g. after `npx tsc -p tsconfig.json --outDir tmp/dist`;
// the agent runs DIR/agent/main.js instead once `node scripts/bundle-agent.mjs
// tmp/dist` made it, as `npm run build` does for dist/): no tsx loader in the
// agent's RSS and CPU.
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { AGENT_NODE_FLAGS, freePort } from '../test/e2e/harness.js';
import { makeNetns, removeNetns } from '../test/e2e/netns.js';
import { removeCgroupParent, removeContainers } from '../test/e2e/node-harness.js';

const ROOT = new URL('../', import.meta.url).pathname;

export interface SkiffProcess {
  proc: ChildProcess;
  output(): string;
}

/**
 * Returns the namespace this script runs in; when it does not run in one yet,
 * makes one, runs the script again inside it (nsenter switches only the
 * network namespace, so the cgroup mounts stay visible), removes it and exits.
 */
export async function inBenchNetns(prefix: string): Promise<string> {
  const inside = process.env.SKIFF_BENCH_NETNS;
  if (inside) return inside;
  const netns = makeNetns(prefix);
  const child = spawn('nsenter', [`--net=/var/run/netns/${netns}`, process.execPath, ...process.execArgv, ...process.argv.slice(1)], { cwd: process.cwd(), env: { ...process.env, SKIFF_BENCH_NETNS: netns }, stdio: 'inherit' });
  const forward = (sig: NodeJS.Signals) => child.kill(sig);
  process.on('SIGINT', forward);
  process.on('SIGTERM', forward);
  const code = await new Promise<number>((r) => child.once('exit', (c) => r(c ?? 1)));
  removeNetns(netns);
  process.exit(code);
}

/** One skiff command (in the bench's namespace); resolves once it prints `ready`. */
export async function spawnSkiff(args: string[], ready: string, env: Record<string, string> = {}, nodeFlags: string[] = []): Promise<SkiffProcess> {
  const dist = process.env.SKIFF_DIST ?? (process.env.SKIFF_USE_DIST ? join(ROOT, 'dist') : undefined);
  // a compiled build runs through bin/skiff, as users run it (the agent's Node flags are the launcher's);
  // from source the same agent flags are given here
  const proc = dist
    ? spawn(join(ROOT, 'bin/skiff'), args, { cwd: ROOT, env: { ...process.env, ...env, SKIFF_DIST: resolve(dist), SKIFF_NODE_FLAGS: nodeFlags.join(' ') }, stdio: ['ignore', 'pipe', 'pipe'] })
    : spawn(process.execPath, [...(args[0] === 'agent' ? AGENT_NODE_FLAGS : []), ...nodeFlags, '--import', 'tsx', join(ROOT, 'src/cli/main.ts'), ...args], { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  // SKIFF_BENCH_LOG_DIR=DIR keeps each process's output in DIR/<command>.log (agent traces, profiles)
  const logDir = process.env.SKIFF_BENCH_LOG_DIR;
  const log = logDir ? createWriteStream(join(logDir, `${args[0]}.log`)) : undefined;
  proc.stdout!.on('data', (d) => ((out += d), log?.write(d)));
  proc.stderr!.on('data', (d) => ((out += d), log?.write(d)));
  await new Promise<void>((ok, fail) => {
    const timer = setTimeout(() => fail(new Error(`${args[0]} not ready:\n${out}`)), 90_000);
    proc.stdout!.on('data', () => {
      if (out.includes(ready)) {
        clearTimeout(timer);
        ok();
      }
    });
    proc.once('exit', (code) => {
      clearTimeout(timer);
      fail(new Error(`${args[0]} exited with ${code}:\n${out}`));
    });
  });
  return { proc, output: () => out };
}

export interface AgentNode {
  port: number;
  kubeconfig: string;
  nodeName: string;
  server: SkiffProcess;
  agent: SkiffProcess;
  agentDataDir: string;
  stop(): Promise<void>;
}

async function stopProcess(p: ChildProcess): Promise<void> {
  if (p.exitCode !== null || p.signalCode !== null) return;
  const exited = new Promise((r) => p.once('exit', r));
  p.kill('SIGTERM');
  const timer = setTimeout(() => p.kill('SIGKILL'), 30_000);
  await exited;
  clearTimeout(timer);
}

/**
 * Server and agent in the bench's namespace (call inBenchNetns first).
 * SKIFF_BENCH_AGENT_FLAGS gives the agent's node extra flags (e.g. "--cpu-prof --cpu-prof-dir=DIR").
 */
export async function startAgentNode(prefix: string, agentEnv: Record<string, string> = {}): Promise<AgentNode> {
  const serverDir = mkdtempSync(join(tmpdir(), `skiff-bench-${prefix}-server-`));
  const agentDataDir = mkdtempSync(join(tmpdir(), `skiff-bench-${prefix}-agent-`));
  const cgroupParent = `/skiff-bench-${prefix}-${process.pid}`;
  const nodeName = `${prefix}-node`;
  const agentFlags = (process.env.SKIFF_BENCH_AGENT_FLAGS ?? '').split(' ').filter(Boolean);
  const port = await freePort();
  const kubeconfig = join(serverDir, 'admin.kubeconfig');
  let server: SkiffProcess | undefined;
  let agent: SkiffProcess | undefined;
  const stop = async () => {
    if (agent) await stopProcess(agent.proc);
    if (server) await stopProcess(server.proc);
    removeContainers(agentDataDir);
    rmSync(agentDataDir, { recursive: true, force: true });
    rmSync(serverDir, { recursive: true, force: true });
    await removeCgroupParent(cgroupParent);
  };
  try {
    server = await spawnSkiff(['server', '--data-dir', serverDir, '--port', String(port)], 'skiff server ready');
    agent = await spawnSkiff(['agent', '--kubeconfig', kubeconfig, '--node-name', nodeName, '--data-dir', agentDataDir, '--cgroup-parent', cgroupParent], 'skiff agent ready', agentEnv, agentFlags);
  } catch (e) {
    await stop();
    throw e;
  }
  return { port, kubeconfig, nodeName, server, agent, agentDataDir, stop };
}
