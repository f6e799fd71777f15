// `skiff server`: runs the control plane until SIGTERM/SIGINT, then stops cleanly.
import { mkdirSync } from 'node:fs';
import { ApiServer, type ApiServerOptions } from '../apiserver/server.js';
import { startAgent, type RunningAgent } from './agent-command.js';
import type { NodeRuntimeOptions } from './node-runtime-flags.js';
import type { FlannelBackend } from '../network/backend-annotations.js';

/** Resolves -1 while running (the process stays up); exits on signals. */
export async function runServer(opts: ApiServerOptions & { withAgent?: boolean; nodeName?: string; cgroupParent?: string; kubeletPort?: number; cniBinDir?: string; nodeIp?: string; nodeRuntime?: NodeRuntimeOptions; insecureRegistries?: string[]; registryCaFile?: string; flannelBackend?: FlannelBackend }): Promise<number> {
  const started = Date.now();
  mkdirSync(opts.dataDir, { recursive: true, mode: 0o700 });
  const server = new ApiServer(opts);
  await server.start();
  process.stdout.write(
    `skiff server ready at ${server.url} in ${Date.now() - started} ms\n` +
      `kubeconfig: ${server.kubeconfigPath}\n` +
      `try: KUBECONFIG=${server.kubeconfigPath} kubectl get ns\n` +
      `join a node: skiff agent --server https://<this host>:${opts.port} --token-file ${server.nodeTokenPath}\n`,
  );
  let agent: RunningAgent | undefined;
  if (opts.withAgent) {
    agent = await startAgent({ ...opts.nodeRuntime, kubeconfig: server.kubeconfigPath, dataDir: opts.dataDir, nodeName: opts.nodeName, cgroupParent: opts.cgroupParent, kubeletPort: opts.kubeletPort, cniBinDir: opts.cniBinDir, clusterCIDR: opts.clusterCIDR, nodeIp: opts.nodeIp, insecureRegistries: opts.insecureRegistries, registryCaFile: opts.registryCaFile, flannelBackend: opts.flannelBackend });
    process.stdout.write('skiff node agent running\n');
  }
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    process.stdout.write(`skiff server stopping (${signal})\n`);
    Promise.resolve(agent?.stop())
      .then(() => server.stop())
      .then(
      () => process.exit(0),
      (e) => {
        process.stderr.write(`skiff: error while stopping: ${String(e)}\n`);
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  return -1;
}
