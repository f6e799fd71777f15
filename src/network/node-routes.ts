// Host-gw routing between nodes (flannel's host-gw backend): every other node's
// pod CIDR is routed via that node's InternalIP. Our routes carry their own
// protocol number, so stale ones are found and removed without touching others.
import { existsSync } from 'node:fs';
import type { KubeObject } from '../api/object.js';
import { Informer, stripManagedFields } from '../client/informer.js';
import type { ResourceRef, RestClient } from '../client/rest-client.js';
import { execProgram, type Launcher } from '../runtime/launcher.js';
const NODES: ResourceRef = { group: '', version: 'v1', plural: 'nodes', namespaced: false };
/** route protocol number marking skiff's routes (any value unused by the kernel and daemons) */
export const ROUTE_PROTO = '177';

type Obj = Record<string, any>;

export function wantedRoutes(nodes: KubeObject[], self: string): Map<string, string> {
  const want = new Map<string, string>();
  for (const n of nodes) {
    if (n.metadata.name === self) continue;
    const cidr = ((n.spec ?? {}) as Obj).podCIDR as string | undefined;
    const ip = (((n.status ?? {}) as Obj).addresses as Obj[] | undefined)?.find((a) => a.type === 'InternalIP')?.address as string | undefined;
    if (cidr && ip && !ip.includes(':') && ip !== '127.0.0.1') want.set(cidr, ip);
  }
  return want;
}

const IP = ['/usr/sbin/ip', '/sbin/ip', '/usr/bin/ip', '/bin/ip'].find((p) => existsSync(p)) ?? 'ip';

const routesKey = (want: Map<string, string>): string => JSON.stringify([...want].sort());

export class NodeRoutes {
  private readonly nodes: Informer;
  private timer?: NodeJS.Timeout;
  private syncing = Promise.resolve();
  /** the routes last written: node status heartbeats that change no route cost no `ip` run */
  private applied = '';

  constructor(
    client: RestClient,
    private readonly self: string,
    private readonly log: (msg: string, extra?: Record<string, unknown>) => void,
    /** runs `ip` (runtime/launcher.ts); without one, a child of this process */
    private readonly launcher?: Launcher,
  ) {
    this.nodes = new Informer(client, NODES, { transform: stripManagedFields, onError: (e) => log('node watch failed', { error: String(e) }) });
    const changed = () => {
      if (routesKey(wantedRoutes(this.nodes.list(), this.self)) !== this.applied) this.schedule();
    };
    this.nodes.addHandlers({ onAdd: changed, onUpdate: changed, onDelete: changed });
  }

  private async ip(args: string[]): Promise<string> {
    // by its path: the launcher's busybox shell would run its own `ip` applet for a bare name (no -j)
    return (await execProgram(this.launcher, IP, args)).stdout;
  }

  async start(): Promise<void> {
    this.nodes.start();
    await this.nodes.waitForSync();
    await this.sync();
    // routes removed by hand come back
    this.timer = setInterval(() => this.schedule(), 10_000);
  }

  private schedule(): void {
    this.syncing = this.syncing.then(() => this.sync()).catch((e) => this.log('route sync failed', { error: String(e) }));
  }

  private async sync(): Promise<void> {
    const want = wantedRoutes(this.nodes.list(), this.self);
    const stdout = await this.ip(['-j', 'route', 'show', 'proto', ROUTE_PROTO]);
    const have = new Map<string, string>();
    for (const r of (stdout.trim() ? JSON.parse(stdout) : []) as { dst: string; gateway?: string }[]) have.set(r.dst, r.gateway ?? '');
    for (const [cidr, via] of want) {
      if (have.get(cidr) === via) continue;
      await this.ip(['route', 'replace', cidr, 'via', via, 'proto', ROUTE_PROTO]);
      this.log('route to node pods', { podCIDR: cidr, via });
    }
    for (const cidr of have.keys()) if (!want.has(cidr)) await this.ip(['route', 'del', cidr, 'proto', ROUTE_PROTO]).catch(() => {});
    this.applied = routesKey(want);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.nodes.stop();
  }
}
