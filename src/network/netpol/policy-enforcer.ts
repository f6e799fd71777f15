// Keeps this node's NetworkPolicy table equal to what the policies, pods and
// namespaces say: watched through informers, rebuilt atomically with `nft -f`
// shortly after any change (changes arriving together are applied together).
import { Informer } from '../../client/informer.js';
import type { ResourceRef, RestClient } from '../../client/rest-client.js';
import { runNft } from '../proxy/service-proxy.js';
import { buildPolicyRuleset } from './policy-rules.js';

const POLICIES: ResourceRef = { group: 'networking.k8s.io', version: 'v1', plural: 'networkpolicies', namespaced: true };
const PODS: ResourceRef = { group: '', version: 'v1', plural: 'pods', namespaced: true };
const NAMESPACES: ResourceRef = { group: '', version: 'v1', plural: 'namespaces', namespaced: false };

export class PolicyEnforcer {
  private readonly informers: Informer[];
  private timer?: NodeJS.Timeout;
  private applying = false;
  private again = false;
  private last = '';

  constructor(
    client: RestClient,
    private readonly nodeName: string,
    private readonly log: (msg: string, extra?: Record<string, unknown>) => void,
  ) {
    const onError = (e: unknown) => log('network policy watch failed', { error: String(e) });
    this.informers = [POLICIES, PODS, NAMESPACES].map((r) => new Informer(client, r, { onError }));
    const changed = () => this.schedule();
    for (const i of this.informers) i.addHandlers({ onAdd: changed, onUpdate: changed, onDelete: changed });
  }

  async start(): Promise<void> {
    for (const i of this.informers) i.start();
    await Promise.all(this.informers.map((i) => i.waitForSync()));
    await this.sync();
  }

  private schedule(): void {
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.sync();
    }, 10);
  }

  private async sync(): Promise<void> {
    if (this.applying) {
      this.again = true;
      return;
    }
    this.applying = true;
    try {
      do {
        this.again = false;
        const [policies, pods, namespaces] = this.informers.map((i) => i.list());
        const script = buildPolicyRuleset({ policies: policies!, pods: pods!, namespaces: namespaces!, nodeName: this.nodeName });
        if (script === this.last) continue;
        try {
          await runNft(script);
          this.last = script;
        } catch (e) {
          this.log('applying network policy rules failed', { error: String(e) });
          setTimeout(() => this.schedule(), 1000);
        }
      } while (this.again);
    } finally {
      this.applying = false;
    }
  }

  async stop(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    for (const i of this.informers) i.stop();
    // the rules stay while the agent restarts: pods keep their isolation
  }
}
