// A node's pod network: every pod sandbox gets a veth on the node's bridge and
// an address from the node's pod CIDR, through the standard CNI plugins
// (loopback, bridge + host-local, portmap for hostPorts). The result of each
// ADD is kept on disk so a restarted agent still knows its pods' addresses.
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { invokeList, invokePlugin, type CniResult } from './cni.js';
import type { Launcher } from '../runtime/launcher.js';

const run = promisify(execFile);

export interface PodNetworkOptions {
  binDir: string;
  /** runs the CNI plugins without forking the agent (runtime/launcher.ts); a child each when absent */
  launcher?: Launcher;
  /** where IPAM leases and per-sandbox results live */
  stateDir: string;
  podCIDR: string;
  bridge?: string;
  /** pods' interfaces and the bridge: the overlay's MTU when pods cross one */
  mtu?: number;
}

export interface PortMapping {
  hostPort: number;
  containerPort: number;
  protocol: 'tcp' | 'udp' | 'sctp';
  hostIP?: string;
}

export interface PodNetworkStatus {
  ip: string;
  ips: string[];
  /** the sandbox process whose namespace was set up; a new sandbox needs a new ADD */
  sandboxPid: number;
}

export interface PodIdentity {
  namespace: string;
  name: string;
  uid: string;
}

export class PodNetwork {
  readonly bridge: string;

  constructor(private readonly opts: PodNetworkOptions) {
    this.bridge = opts.bridge ?? 'cni0';
    mkdirSync(this.resultsDir, { recursive: true });
  }

  private get resultsDir(): string {
    return join(this.opts.stateDir, 'results');
  }

  get podCIDR(): string {
    return this.opts.podCIDR;
  }

  /** The bridge's own address: the first host of the pod CIDR (host-local's default gateway). */
  get gateway(): string {
    const [base] = this.opts.podCIDR.split('/');
    const o = base!.split('.').map(Number);
    o[3] = o[3]! + 1;
    return o.join('.');
  }

  /**
   * The bridge with its gateway address, made before any pod exists so node
   * services (cluster DNS) can listen on it; the bridge plugin adopts it.
   */
  async ensureBridge(): Promise<void> {
    const prefix = this.opts.podCIDR.split('/')[1];
    const ip = (args: string[]) => run('ip', args);
    await ip(['link', 'add', this.bridge, 'type', 'bridge']).catch(() => {});
    await ip(['addr', 'replace', `${this.gateway}/${prefix}`, 'dev', this.bridge]);
    // the bridge's own traffic (node to pod, cluster DNS replies) must fit an overlay too
    if (this.opts.mtu) await ip(['link', 'set', this.bridge, 'mtu', String(this.opts.mtu)]);
    await ip(['link', 'set', this.bridge, 'up']);
  }

  /**
   * The chain for eth0. portmap only when the pod has host ports: with none its ADD
   * passes the result through (one process per pod saved); DEL always runs it, as
   * the pod's ports may not be known then (orphans).
   */
  private conflist(portmap = true): { cniVersion: string; name: string; plugins: object[] } {
    return {
      cniVersion: '1.0.0',
      name: 'skiff',
      plugins: [
        {
          type: 'bridge',
          bridge: this.bridge,
          isGateway: true,
          // masquerade is the service proxy's (one nftables table), not iptables rules from the plugin
          ipMasq: false,
          hairpinMode: true,
          ...(this.opts.mtu ? { mtu: this.opts.mtu } : {}),
          ipam: { type: 'host-local', ranges: [[{ subnet: this.opts.podCIDR }]], routes: [{ dst: '0.0.0.0/0' }], dataDir: join(this.opts.stateDir, 'ipam') },
        },
        ...(portmap ? [{ type: 'portmap', capabilities: { portMappings: true }, snat: true }] : []),
      ],
    };
  }

  private resultPath(sandboxId: string): string {
    return join(this.resultsDir, `${sandboxId}.json`);
  }

  status(sandboxId: string): PodNetworkStatus | undefined {
    const p = this.resultPath(sandboxId);
    if (!existsSync(p)) return undefined;
    try {
      return JSON.parse(readFileSync(p, 'utf8')) as PodNetworkStatus;
    } catch {
      return undefined;
    }
  }

  /** Idempotent per sandbox process: a second call for the same sandbox returns the first result. */
  async setUp(sandboxId: string, sandboxPid: number, pod: PodIdentity, ports: PortMapping[] = []): Promise<PodNetworkStatus> {
    const known = this.status(sandboxId);
    if (known && known.sandboxPid === sandboxPid) return known;
    // a new sandbox process for the same pod: the old lease goes first
    if (known) await this.tearDown(sandboxId, undefined, ports);
    const netns = `/proc/${sandboxPid}/ns/net`;
    const rt = { containerId: sandboxId, netns, ifName: 'eth0', args: { IgnoreUnknown: '1', K8S_POD_NAMESPACE: pod.namespace, K8S_POD_NAME: pod.name, K8S_POD_INFRA_CONTAINER_ID: sandboxId, K8S_POD_UID: pod.uid } };
    // lo and eth0 are independent: both plugins run at once
    const lo = invokePlugin(this.opts.binDir, 'ADD', { ...rt, ifName: 'lo' }, { cniVersion: '1.0.0', name: 'skiff-lo', type: 'loopback' }, this.opts.launcher);
    // awaited below; a failure before then must not count as an unhandled rejection (which ends the process)
    lo.catch(() => {});
    let result: CniResult | undefined;
    try {
      result = await invokeList(this.opts.binDir, 'ADD', rt, this.conflist(ports.length > 0), { portMappings: ports }, this.opts.launcher);
      await lo;
    } catch (e) {
      await lo.catch(() => {});
      // leave nothing half-made: the address goes back to the pool
      await invokeList(this.opts.binDir, 'DEL', rt, this.conflist(), { portMappings: ports }, this.opts.launcher).catch(() => {});
      throw e;
    }
    const ips = (result?.ips ?? []).map((i) => i.address.split('/')[0]!);
    if (!ips.length) throw new Error(`CNI returned no address for sandbox ${sandboxId}`);
    const st: PodNetworkStatus = { ip: ips[0]!, ips, sandboxPid };
    const tmp = `${this.resultPath(sandboxId)}.tmp`;
    writeFileSync(tmp, JSON.stringify(st));
    renameSync(tmp, this.resultPath(sandboxId));
    return st;
  }

  /** Releases the address and host ports; works when the namespace is already gone. */
  async tearDown(sandboxId: string, sandboxPid: number | undefined, ports: PortMapping[] = []): Promise<void> {
    const netns = sandboxPid && existsSync(`/proc/${sandboxPid}/ns/net`) ? `/proc/${sandboxPid}/ns/net` : '';
    await invokeList(this.opts.binDir, 'DEL', { containerId: sandboxId, netns, ifName: 'eth0' }, this.conflist(), { portMappings: ports }, this.opts.launcher);
    rmSync(this.resultPath(sandboxId), { force: true });
  }
}
