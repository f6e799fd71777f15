// Host-gw routing between nodes (flannel's host-gw backend): every other node's
// pod CIDR is routed via that node's InternalIP. Our routes carry their own
// protocol number, so stale ones are found and removed without touching others.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { KubeObject } from '../api/object.js';
import { Informer, stripManagedFields } from '../client/informer.js';
import type { ResourceRef, RestClient } from '../client/rest-client.js';

const run = promisify(execFile);
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

export class NodeRoutes {
  private readonly nodes: Informer;
  private timer?: NodeJS.Timeout;
  private syncing = Promise.resolve();

  constructor(
    client: RestClient,
    private readonly self: string,
    private readonly log: (msg: string, extra?: Record<string, unknown>) => void,
  ) {
    this.nodes = new Informer(client, NODES, { transform: stripManagedFields, onError: (e) => log('node watch failed', { error: String(e) }) });
    const changed = () => this.schedule();
    this.nodes.addHandlers({ onAdd: changed, onUpdate: changed, onDelete: changed });
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
    const { stdout } = await run('ip', ['-j', 'route', 'show', 'proto', ROUTE_PROTO]);
    const have = new Map<string, string>();
    for (const r of (stdout.trim() ? JSON.parse(stdout) : []) as { dst: string; gateway?: string }[]) have.set(r.dst, r.gateway ?? '');
    for (const [cidr, via] of want) {
      if (have.get(cidr) === via) continue;
      await run('ip', ['route', 'replace', cidr, 'via', via, 'proto', ROUTE_PROTO]);
      this.log('route to node pods', { podCIDR: cidr, via });
    }
    for (const cidr of have.keys()) if (!want.has(cidr)) await run('ip', ['route', 'del', cidr, 'proto', ROUTE_PROTO]).catch(() => {});
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.nodes.stop();
  }
}
