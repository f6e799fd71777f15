// The service proxy of one node (kube-proxy's nftables mode): watches Services
// and EndpointSlices and rewrites skiff's one nftables table whenever they
// change. Changes arriving together are applied together (a short debounce),
// and a failed apply is retried on the next change or tick.
import { spawn } from 'node:child_process';
import type { KubeObject } from '../../api/object.js';
import type { Informer } from '../../client/informer.js';
import type { ResourceRef } from '../../client/rest-client.js';
import { buildRuleset, TABLE, type ProxyConfig } from './nft-rules.js';
import { SERVICE_NAME_LABEL, serviceRules } from './service-model.js';

export const SERVICES: ResourceRef = { group: '', version: 'v1', plural: 'services', namespaced: true };
export const ENDPOINT_SLICES: ResourceRef = { group: 'discovery.k8s.io', version: 'v1', plural: 'endpointslices', namespaced: true };

export function runNft(script: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('nft', ['-f', '-'], { stdio: ['pipe', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d) => (err += d));
    child.on('error', (e) => reject(new Error(`nft could not run (apt-get install nftables): ${e.message}`)));
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`nft -f failed (${code}): ${err.trim().slice(0, 2000)}`))));
    child.stdin.end(script);
  });
}

export class ServiceProxy {
  private timer?: NodeJS.Timeout;
  private applying = false;
  private again = false;
  private lastApplied = '';
  /** when the newest change was seen, for the propagation figure in the log */
  private changedAt = 0;

  /** The informers are shared with the node's other users (cluster DNS); the proxy does not start or stop them. */
  constructor(
    private readonly services: Informer,
    private readonly slices: Informer,
    private readonly cfg: ProxyConfig,
    private readonly log: (msg: string, extra?: Record<string, unknown>) => void,
  ) {
    const changed = () => this.schedule();
    for (const inf of [this.services, this.slices]) inf.addHandlers({ onAdd: changed, onUpdate: changed, onDelete: changed });
  }

  async start(): Promise<void> {
    await Promise.all([this.services.waitForSync(), this.slices.waitForSync()]);
    await this.sync();
  }

  private schedule(): void {
    if (!this.changedAt) this.changedAt = Date.now();
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.sync();
    }, 5);
  }

  /** The ruleset for what the informers hold now. */
  ruleset(): string {
    const byService = new Map<string, KubeObject[]>();
    for (const s of this.slices.list()) {
      const name = s.metadata.labels?.[SERVICE_NAME_LABEL];
      if (!name) continue;
      const key = `${s.metadata.namespace}/${name}`;
      const list = byService.get(key) ?? [];
      list.push(s);
      byService.set(key, list);
    }
    return buildRuleset(serviceRules(this.services.list(), byService), this.cfg);
  }

  async sync(): Promise<void> {
    if (this.applying) {
      this.again = true;
      return;
    }
    this.applying = true;
    try {
      do {
        this.again = false;
        const since = this.changedAt;
        this.changedAt = 0;
        const script = this.ruleset();
        if (script === this.lastApplied) continue;
        try {
          await runNft(script);
          this.lastApplied = script;
          if (since) this.log('service rules applied', { ms: Date.now() - since });
        } catch (e) {
          this.log('applying service rules failed', { error: String(e) });
          this.again = false;
          setTimeout(() => this.schedule(), 1000);
        }
      } while (this.again);
    } finally {
      this.applying = false;
    }
  }

  async stop(removeRules = false): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    // rules stay by default: services keep working while the agent restarts
    if (removeRules) await runNft(`table ip ${TABLE} {}\ndelete table ip ${TABLE}\n`).catch(() => {});
  }
}
