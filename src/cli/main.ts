// skiff's command line: parses arguments and wires components, nothing more.
import { readFileSync } from 'node:fs';
// util.parseArgs is an accessor: a named import of it fails the agent bundle (scripts/bundle-agent.mjs)
import util from 'node:util';
import { NODE_RUNTIME_FLAGS, NODE_RUNTIME_USAGE, nodeRuntimeOptions } from './node-runtime-flags.js';
import { FLANNEL_BACKENDS, type FlannelBackend } from '../network/backend-annotations.js';
// each command imports its own code when it runs (server-command, agent-run, image-command):
// a node agent's process never loads the API server, SQLite or the image builder, which
// would stay in its RSS for nothing

const USAGE = `skiff — a Kubernetes-compatible cluster in one program

Usage:
  skiff server [--data-dir DIR] [--port PORT] [--bind-address ADDR] [--tls-san NAME]...
               [--disable-controller NAME]... [--cluster-cidr 10.42.0.0/16] [--service-cidr 10.43.0.0/16]
               [--service-node-port-range 30000-32767] [--advertise-address IP]
               [--scheduler-score LeastAllocated|MostAllocated]
  skiff up     [--data-dir DIR] [--port PORT] [--bind-address ADDR]   (server and a node in one process)
               [--flannel-backend vxlan|host-gw]
  skiff agent  --server URL --token TOKEN|--token-file FILE  (or --kubeconfig FILE) [--node-name NAME] [--data-dir DIR] [--cgroup-parent /skiff]
               [--node-ip IP] [--pod-cidr CIDR] [--cni-bin-dir DIR] [--flannel-backend vxlan|host-gw]
               [--insecure-registry HOST[:PORT]]... [--registry-ca-file PEM]   (agent and up: where pods' images are pulled from)
  skiff agent and skiff up: ${NODE_RUNTIME_USAGE}
  skiff image  ls|build|inspect|rm|import|export|tag|pull|push|import-busybox|debootstrap [--data-dir DIR]
  skiff version

Run "skiff server" and then:
  KUBECONFIG=/var/lib/skiff/admin.kubeconfig kubectl get ns
`;

/** k3s's --flannel-backend values that skiff implements; others are refused before anything starts. */
function flannelBackend(v: string): FlannelBackend | undefined {
  if ((FLANNEL_BACKENDS as readonly string[]).includes(v)) return v as FlannelBackend;
  process.stderr.write(`skiff: --flannel-backend must be ${FLANNEL_BACKENDS.join(' or ')}, got ${v}\n`);
  return undefined;
}

async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  switch (cmd) {
    case 'server':
    case 'up': {
      const { values } = util.parseArgs({
        args: rest,
        options: {
          'data-dir': { type: 'string', default: '/var/lib/skiff' },
          port: { type: 'string', default: '6443' },
          'bind-address': { type: 'string', default: '127.0.0.1' },
          'tls-san': { type: 'string', multiple: true, default: [] },
          'disable-controller': { type: 'string', multiple: true, default: [] },
          'node-name': { type: 'string' },
          'cgroup-parent': { type: 'string', default: '/skiff' },
          'kubelet-port': { type: 'string', default: '10250' },
          'cluster-cidr': { type: 'string', default: '10.42.0.0/16' },
          'cni-bin-dir': { type: 'string' },
          'node-ip': { type: 'string' },
          'service-cidr': { type: 'string', default: '10.43.0.0/16' },
          'service-node-port-range': { type: 'string', default: '30000-32767' },
          'advertise-address': { type: 'string' },
          'scheduler-score': { type: 'string', default: 'LeastAllocated' },
          ...NODE_RUNTIME_FLAGS,
          'insecure-registry': { type: 'string', multiple: true, default: [] },
          'registry-ca-file': { type: 'string' },
          'flannel-backend': { type: 'string', default: 'vxlan' },
        },
        strict: true,
      });
      const port = Number(values.port);
      if (!Number.isInteger(port) || port < 0 || port > 65535) {
        process.stderr.write(`skiff: --port must be a number from 0 to 65535, got ${values.port}\n`);
        return 2;
      }
      const score = values['scheduler-score'];
      if (score !== 'LeastAllocated' && score !== 'MostAllocated') {
        process.stderr.write(`skiff: --scheduler-score must be LeastAllocated or MostAllocated, got ${score}\n`);
        return 2;
      }
      const backend = flannelBackend(values['flannel-backend']!);
      if (!backend) return 2;
      const nodeRuntime = nodeRuntimeOptions(values);
      if ('error' in nodeRuntime) {
        process.stderr.write(`skiff: ${nodeRuntime.error}\n`);
        return 2;
      }
      const { runServer } = await import('./server-command.js');
      return runServer({
        nodeRuntime,
        flannelBackend: backend,
        schedulerScore: score,
        withAgent: cmd === 'up',
        insecureRegistries: values['insecure-registry'],
        registryCaFile: values['registry-ca-file'],
        nodeName: values['node-name'],
        cgroupParent: values['cgroup-parent'],
        dataDir: values['data-dir']!,
        port,
        bindAddress: values['bind-address']!,
        extraSans: values['tls-san'],
        disableControllers: values['disable-controller'],
        clusterCIDR: values['cluster-cidr'],
        cniBinDir: values['cni-bin-dir'],
        nodeIp: values['node-ip'],
        serviceCIDR: values['service-cidr'],
        serviceNodePortRange: values['service-node-port-range'],
        advertiseAddress: values['advertise-address'],
      });
    }
    case 'agent': {
      const { values } = util.parseArgs({
        args: rest,
        options: {
          server: { type: 'string' },
          kubeconfig: { type: 'string' },
          'node-name': { type: 'string' },
          'data-dir': { type: 'string', default: '/var/lib/skiff' },
          'cgroup-parent': { type: 'string', default: '/skiff' },
          'node-ip': { type: 'string' },
          'kubelet-port': { type: 'string', default: '10250' },
          'pod-cidr': { type: 'string' },
          'cni-bin-dir': { type: 'string' },
          'cluster-cidr': { type: 'string', default: '10.42.0.0/16' },
          'cni-bridge': { type: 'string', default: 'cni0' },
          'ingress-port': { type: 'string', default: '80' },
          'ingress-https-port': { type: 'string', default: '443' },
          token: { type: 'string' },
          'token-file': { type: 'string' },
          ...NODE_RUNTIME_FLAGS,
          'insecure-registry': { type: 'string', multiple: true, default: [] },
          'registry-ca-file': { type: 'string' },
          'flannel-backend': { type: 'string', default: 'vxlan' },
        },
        strict: true,
      });
      const token = values.token ?? (values['token-file'] ? readFileSync(values['token-file'], 'utf8').trim() : undefined);
      if (!values.kubeconfig && !token) {
        process.stderr.write('skiff agent: give --server URL --token TOKEN (the server writes it to DIR/node-token), or --kubeconfig FILE\n');
        return 2;
      }
      if (token && !values.server) {
        process.stderr.write('skiff agent: --token needs --server https://HOST:PORT\n');
        return 2;
      }
      const backend = flannelBackend(values['flannel-backend']!);
      if (!backend) return 2;
      const nodeRuntime = nodeRuntimeOptions(values);
      if ('error' in nodeRuntime) {
        process.stderr.write(`skiff agent: ${nodeRuntime.error}\n`);
        return 2;
      }
      const { runAgent } = await import('./agent-run.js');
      return runAgent({ ...nodeRuntime, insecureRegistries: values['insecure-registry'], registryCaFile: values['registry-ca-file'], flannelBackend: backend, token, kubeconfig: values.kubeconfig, server: values.server, nodeName: values['node-name'], dataDir: values['data-dir']!, cgroupParent: values['cgroup-parent'], nodeIp: values['node-ip'], kubeletPort: Number(values['kubelet-port']), podCIDR: values['pod-cidr'], cniBinDir: values['cni-bin-dir'], clusterCIDR: values['cluster-cidr'], cniBridge: values['cni-bridge'], ingressPort: Number(values['ingress-port']), ingressHttpsPort: Number(values['ingress-https-port']) });
    }
    case 'image':
      return (await import('./image-command.js')).runImageCommand(rest);
    case 'version':
    case '--version':
      process.stdout.write('skiff 0.1.0 (Kubernetes API v1.32)\n');
      return 0;
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      process.stdout.write(USAGE);
      return 0;
    default:
      process.stderr.write(`skiff: unknown command ${JSON.stringify(cmd)}\n\n${USAGE}`);
      return 2;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code !== -1) process.exitCode = code;
  },
  (err) => {
    process.stderr.write(`skiff: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  },
);
