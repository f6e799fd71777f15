// `skiff agent`: a node. Registers the Node, renews its Lease and runs the pods
// bound to it as runc containers, talking to the control plane only through the API.
import { mkdirSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { loadKubeconfig } from '../client/kubeconfig.js';
import { RestClient } from '../client/rest-client.js';
import { NodeAgent } from '../kubelet/node-agent.js';
import { Kubelet } from '../kubelet/kubelet.js';
import { builtinImages } from '../kubelet/images.js';
import { internalIp } from '../kubelet/node-status.js';
import { OciRuntime } from '../runtime/oci/oci-runtime.js';
import { ensureBusyboxRootfs } from '../image/builtin-busybox.js';
import { logger } from '../apiserver/log.js';

export interface AgentOptions {
  kubeconfig: string;
  server?: string;
  nodeName?: string;
  dataDir: string;
  cgroupParent?: string;
}

export interface RunningAgent {
  stop(): Promise<void>;
}

export async function startAgent(opts: AgentOptions): Promise<RunningAgent> {
  const nodeName = opts.nodeName ?? hostname().toLowerCase();
  const dataDir = join(opts.dataDir, 'agent');
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const config = loadKubeconfig(opts.kubeconfig);
  if (opts.server) config.server = opts.server;
  const client = new RestClient(config);
  const log = (msg: string, extra?: Record<string, unknown>) => logger.info(msg, { component: 'agent', node: nodeName, ...extra });
  const imageStore = join(dataDir, 'images');
  const runtime = new OciRuntime({ stateDir: join(dataDir, 'runtime'), sandboxRoot: ensureBusyboxRootfs(imageStore) });
  const node = new NodeAgent(client, { name: nodeName, runtimeVersion: 'runc://1.1' }, log);
  await node.register();
  node.start();
  const kubelet = new Kubelet(client, runtime, builtinImages(imageStore), { nodeName, cgroupParent: opts.cgroupParent ?? '/skiff', hostIP: internalIp() }, log);
  await kubelet.start();
  log('agent ready');
  return {
    async stop() {
      node.stop();
      await kubelet.stop();
      client.close();
    },
  };
}
