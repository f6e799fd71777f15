// The service proxy of one node (kube-proxy's nftables mode): watches Services
// and EndpointSlices and keeps skiff's one nftables table in step with them.
// A change is applied as the difference between the model the table holds and
// the new one, in one transaction through a long-lived `nft -i` (nft-diff.ts,
// nft-session.ts): a few milliseconds instead of rewriting the whole table
// with a new nft process. The whole table is written with `nft -f` at start,
// after any failed update (the table may not hold what the proxy thinks), and
// whenever a periodic check finds it differs from the model.
import { spawn } from 'node:child_process';
import type { KubeObject } from '../../api/object.js';
import type { Informer } from '../../client/informer.js';
import type { ResourceRef } from '../../client/rest-client.js';
import { ApplyLoop } from '../apply-loop.js';
import { buildUpdate } from './nft-diff.js';
import { buildRuleset, ELEMENT_SETS, TABLE, tableModel, type ProxyConfig, type RulePiece, type TableModel } from './nft-rules.js';
import { NftSession } from './nft-session.js';
import { SERVICE_NAME_LABEL, serviceRules, type ServicePortRule } from './service-model.js';

export const SERVICES: ResourceRef = { group: '', version: 'v1', plural: 'services', namespaced: true };
export const ENDPOINT_SLICES: ResourceRef = { group: 'discovery.k8s.io', version: 'v1', plural: 'endpointslices', namespaced: true };

/** How often the table is compared with the model (and rewritten if they differ). */
const RESYNC_MS = 60_000;

function runNftWith(args: string[], input: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('nft', args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.on('error', (e) => reject(new Error(`nft could not run (apt-get install nftables): ${e.message}`)));
    child.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`nft ${args.join(' ')} failed (${code}): ${err.trim().slice(0, 2000)}`))));
    child.stdin.end(input);
  });
}

export async function runNft(script: string): Promise<void> {
  await runNftWith(['-f', '-'], script);
}

/** Names and element counts of what the table holds, from nft's JSON listing; undefined when there is no table. */
async function tableShape(): Promise<string | undefined> {
  const out = await runNftWith(['-j', 'list', 'table', 'ip', TABLE], '').catch(() => undefined);
  if (out === undefined) return undefined;
  const items = (JSON.parse(out).nftables ?? []) as Array<Record<string, { name?: string; elem?: unknown[] }>>;
  const parts: string[] = [];
  for (const it of items) {
    if (it.chain?.name) parts.push(`chain ${it.chain.name}`);
    const set = it.set ?? it.map;
    if (set?.name) parts.push(set.name in ELEMENT_SETS ? `${set.name} ${set.elem?.length ?? 0}` : `set ${set.name}`);
  }
  return parts.sort().join('\n');
}

/** The same summary for a model (the skeleton's base chains included). */
function modelShape(m: TableModel, cfg: ProxyConfig): string {
  const base = ['services', 'nat-prerouting', 'nat-output', 'nat-postrouting', 'endpoints-check', 'filter-forward', 'filter-output', 'filter-input', ...(cfg.localDns ? ['local-dns'] : [])];
  const parts = [...base, ...m.chains.keys()].map((c) => `chain ${c}`);
  for (const name of Object.keys(ELEMENT_SETS) as Array<keyof typeof ELEMENT_SETS>) parts.push(`${name} ${m.elements[name].size}`);
  for (const name of m.sets.keys()) parts.push(`set ${name}`);
  return parts.sort().join('\n');
}

export class ServiceProxy {
  private readonly loop = new ApplyLoop(() => this.pass());
  private resyncTimer?: NodeJS.Timeout;
  /** what the table holds, as far as the proxy knows; undefined: unknown, write it whole */
  private applied?: TableModel;
  private readonly session = new NftSession();
  /** when the newest change was seen, for the propagation figure in the log */
  private changedAt = 0;
  /** per service: the versions its rules were computed from, and those rules (see model()) */
  private rulesBySvc = new Map<string, { version: string; rules: ServicePortRule[] }>();
  private readonly pieces = new WeakMap<ServicePortRule, RulePiece>();

  /** The informers are shared with the node's other users (cluster DNS); the proxy does not start or stop them. */
  constructor(
    private readonly services: Informer,
    private readonly slices: Informer,
    private readonly cfg: ProxyConfig,
    private readonly log: (msg: string, extra?: Record<string, unknown>) => void,
    private readonly resyncMs = RESYNC_MS,
  ) {
    const changed = () => this.schedule();
    for (const inf of [this.services, this.slices]) inf.addHandlers({ onAdd: changed, onUpdate: changed, onDelete: changed });
  }

  async start(): Promise<void> {
    await Promise.all([this.services.waitForSync(), this.slices.waitForSync()]);
    await this.sync();
    this.resyncTimer = setInterval(() => void this.resync(), this.resyncMs);
    this.resyncTimer.unref();
  }

  private schedule(): void {
    if (!this.changedAt) this.changedAt = Date.now();
    // one macrotask: the events of one watch read (a Service and its slice) are taken together
    this.loop.schedule(0);
  }

  /** The model for what the informers hold now. */
  model(): TableModel {
    const byService = new Map<string, KubeObject[]>();
    for (const s of this.slices.list()) {
      const name = s.metadata.labels?.[SERVICE_NAME_LABEL];
      if (!name) continue;
      const key = `${s.metadata.namespace}/${name}`;
      const list = byService.get(key) ?? [];
      list.push(s);
      byService.set(key, list);
    }
    // a service whose object and slices are the versions seen last keeps its rule objects,
    // and with them its part of the model (tableModel's pieces): a change costs the
    // services it touches, not all of them
    const memo = new Map<string, { version: string; rules: ServicePortRule[] }>();
    const rules: ServicePortRule[] = [];
    for (const svc of this.services.list()) {
      const key = `${svc.metadata.namespace}/${svc.metadata.name}`;
      const slices = byService.get(key) ?? [];
      const versions = [svc, ...slices].map((o) => o.metadata.resourceVersion && `${o.metadata.name}@${o.metadata.resourceVersion}`);
      const version = versions.every(Boolean) ? versions.sort().join(' ') : undefined;
      const old = this.rulesBySvc.get(key);
      const entry = version !== undefined && old?.version === version ? old : { version: version ?? '', rules: serviceRules([svc], new Map([[key, slices]])) };
      if (version !== undefined) memo.set(key, entry);
      rules.push(...entry.rules);
    }
    this.rulesBySvc = memo;
    rules.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    return tableModel(rules, this.cfg, this.pieces);
  }

  /** The whole ruleset for what the informers hold now. */
  ruleset(): string {
    return buildRuleset(this.model(), this.cfg);
  }

  sync(): Promise<void> {
    return this.loop.run();
  }

  private async pass(): Promise<void> {
    const since = this.changedAt;
    this.changedAt = 0;
    const next = this.model();
    try {
      const how = await this.apply(next);
      if (since && how) this.log('service rules applied', { ms: Date.now() - since, how });
    } catch (e) {
      this.log('applying service rules failed', { error: String(e) });
      this.loop.skipRerun();
      setTimeout(() => this.schedule(), 1000).unref();
    }
  }

  /** Moves the table to `next`: by difference when the table is known, else (or if that fails) whole. */
  private async apply(next: TableModel): Promise<string | undefined> {
    if (this.applied) {
      const commands = buildUpdate(this.applied, next);
      if (!commands.length) return undefined;
      try {
        await this.session.run(commands);
        this.applied = next;
        return `update (${commands.length} commands)`;
      } catch (e) {
        this.log('service rules update failed, rewriting the table', { error: String(e) });
      }
    }
    this.applied = undefined;
    await runNft(buildRuleset(next, this.cfg));
    this.applied = next;
    return 'whole table';
  }

  /** Compares the table with the model now and then; anything else changed it: written whole. */
  private async resync(): Promise<void> {
    if (this.loop.busy || this.loop.isStopped || !this.applied) return;
    const expected = modelShape(this.applied, this.cfg);
    const actual = await tableShape();
    if (this.loop.busy || this.loop.isStopped || !this.applied || expected !== modelShape(this.applied, this.cfg)) return; // changed meanwhile: next time
    if (actual === expected) return;
    this.log('service rules differ from the model, rewriting the table', {});
    this.applied = undefined;
    await this.sync();
  }

  async stop(removeRules = false): Promise<void> {
    this.loop.stop();
    if (this.resyncTimer) clearInterval(this.resyncTimer);
    this.session.close();
    // rules stay by default: services keep working while the agent restarts
    if (removeRules) await runNft(`table ip ${TABLE} {}\ndelete table ip ${TABLE}\n`).catch(() => {});
  }
}
