// Keeps this node's NetworkPolicy table equal to what the policies, pods and
// namespaces say. Informers feed a short debounce, so changes arriving together
// are applied together in one atomic `nft -f`; a failed apply is retried.
import type { KubeObject } from '../../api/object.js';
import { Informer } from '../../client/informer.js';
import type { ResourceRef, RestClient } from '../../client/rest-client.js';
import { ApplyLoop } from '../apply-loop.js';
import { runNft } from '../proxy/service-proxy.js';
import { buildPolicyRuleset } from './policy-ruleset.js';
import { isTerminalPhase } from '../../api/kinds/pod-phase.js';

export const NETWORK_POLICIES: ResourceRef = {
  group: 'networking.k8s.io',
  version: 'v1',
  plural: 'networkpolicies',
  namespaced: true,
};
const PODS: ResourceRef = { group: '', version: 'v1', plural: 'pods', namespaced: true };
const NAMESPACES: ResourceRef = {
  group: '',
  version: 'v1',
  plural: 'namespaces',
  namespaced: false,
};

const DEBOUNCE_MS = 20;
const RETRY_MS = 1000;

/** What of a pod the rules depend on; other changes (conditions, container states) need no rebuild. */
function podFingerprint(p: KubeObject): string {
  const spec = (p.spec ?? {}) as Record<string, any>;
  const status = (p.status ?? {}) as Record<string, any>;
  const ports = [...(spec.containers ?? []), ...(spec.initContainers ?? [])].map(
    (c: any) => c.ports ?? [],
  );
  return JSON.stringify([
    p.metadata.labels ?? {},
    spec.nodeName,
    spec.hostNetwork,
    status.podIP,
    isTerminalPhase(status.phase),
    ports,
  ]);
}

export class NetworkPolicyRunner {
  private readonly policies: Informer;
  private readonly pods: Informer;
  private readonly namespaces: Informer;
  private readonly loop = new ApplyLoop(() => this.pass());
  private lastApplied = '';

  constructor(
    client: RestClient,
    private readonly nodeName: string,
    private readonly log: (msg: string, extra?: Record<string, unknown>) => void,
  ) {
    const onError = (e: unknown) => log('network policy watch failed', { error: String(e) });
    this.policies = new Informer(client, NETWORK_POLICIES, { onError });
    this.pods = new Informer(client, PODS, { onError });
    this.namespaces = new Informer(client, NAMESPACES, { onError });
    const changed = () => this.loop.schedule(DEBOUNCE_MS);
    for (const i of [this.policies, this.namespaces])
      i.addHandlers({ onAdd: changed, onUpdate: changed, onDelete: changed });
    this.pods.addHandlers({
      onAdd: changed,
      onDelete: changed,
      onUpdate: (a, b) => {
        if (podFingerprint(a) !== podFingerprint(b)) changed();
      },
    });
  }

  async start(): Promise<void> {
    for (const i of [this.policies, this.pods, this.namespaces]) i.start();
    await Promise.all([this.policies, this.pods, this.namespaces].map((i) => i.waitForSync()));
    await this.loop.run();
  }

  private async pass(): Promise<void> {
    const pods = this.pods.list();
    const script = buildPolicyRuleset({
      policies: this.policies.list(),
      pods,
      namespaces: this.namespaces.list(),
      localPods: pods.filter(
        (p) => (p.spec as Record<string, unknown> | undefined)?.nodeName === this.nodeName,
      ),
    });
    if (script === this.lastApplied) return;
    try {
      await runNft(script);
      this.lastApplied = script;
    } catch (e) {
      this.log('applying network policy rules failed', { error: String(e) });
      this.loop.schedule(RETRY_MS);
    }
  }

  /** The table stays: the node's pods keep their isolation while the agent restarts. */
  stop(): void {
    this.loop.stop();
    for (const i of [this.policies, this.pods, this.namespaces]) i.stop();
  }
}
