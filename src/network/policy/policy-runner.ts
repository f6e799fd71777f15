// Keeps this node's NetworkPolicy table equal to what the policies, pods and
// namespaces say. Informers feed a short debounce, so changes arriving together
// are applied together in one atomic `nft -f`; a failed apply is retried.
import type { KubeObject } from '../../api/object.js';
import { Informer, stripManagedFields } from '../../client/informer.js';
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

/** The pods and namespaces that policies select, watched once a policy exists. */
interface Selection {
  pods: Informer;
  namespaces: Informer;
}

export class NetworkPolicyRunner {
  private readonly policies: Informer;
  // Pods and namespaces are listed and watched only once a NetworkPolicy exists
  // (and from then on): a cluster without policies then costs no node a
  // cluster-wide pod watch, nor the memory to hold every pod.
  private selection?: Selection;
  private readonly loop = new ApplyLoop(() => this.pass());
  private readonly changed = () => this.loop.schedule(DEBOUNCE_MS);
  private readonly onError: (e: unknown) => void;
  private lastApplied = '';

  constructor(
    private readonly client: RestClient,
    private readonly nodeName: string,
    private readonly log: (msg: string, extra?: Record<string, unknown>) => void,
    /** writes the table (nft -f); a test may keep the script instead */
    private readonly apply: (script: string) => Promise<void> = runNft,
  ) {
    this.onError = (e: unknown) => log('network policy watch failed', { error: String(e) });
    this.policies = new Informer(client, NETWORK_POLICIES, { onError: this.onError, transform: stripManagedFields });
    this.policies.addHandlers({ onAdd: this.changed, onUpdate: this.changed, onDelete: this.changed });
  }

  async start(): Promise<void> {
    this.policies.start();
    await this.policies.waitForSync();
    await this.loop.run();
  }

  private watchSelection(): Selection {
    if (this.selection) return this.selection;
    const pods = new Informer(this.client, PODS, { onError: this.onError, transform: stripManagedFields });
    const namespaces = new Informer(this.client, NAMESPACES, { onError: this.onError, transform: stripManagedFields });
    namespaces.addHandlers({ onAdd: this.changed, onUpdate: this.changed, onDelete: this.changed });
    pods.addHandlers({
      onAdd: this.changed,
      onDelete: this.changed,
      onUpdate: (a, b) => {
        if (podFingerprint(a) !== podFingerprint(b)) this.changed();
      },
    });
    pods.start();
    namespaces.start();
    this.selection = { pods, namespaces };
    return this.selection;
  }

  private async pass(): Promise<void> {
    const policies = this.policies.list();
    let pods: KubeObject[] = [];
    let namespaces: KubeObject[] = [];
    if (policies.length > 0 || this.selection) {
      const sel = this.watchSelection();
      // never rules from a partial picture: an unsynced pod list would isolate pods wrongly
      await Promise.all([sel.pods.waitForSync(), sel.namespaces.waitForSync()]);
      if (this.loop.isStopped) return;
      pods = sel.pods.list();
      namespaces = sel.namespaces.list();
    }
    const script = buildPolicyRuleset({
      policies,
      pods,
      namespaces,
      localPods: pods.filter(
        (p) => (p.spec as Record<string, unknown> | undefined)?.nodeName === this.nodeName,
      ),
    });
    if (script === this.lastApplied) return;
    try {
      await this.apply(script);
      this.lastApplied = script;
    } catch (e) {
      this.log('applying network policy rules failed', { error: String(e) });
      this.loop.schedule(RETRY_MS);
    }
  }

  /** The table stays: the node's pods keep their isolation while the agent restarts. */
  stop(): void {
    this.loop.stop();
    this.policies.stop();
    this.selection?.pods.stop();
    this.selection?.namespaces.stop();
  }
}
