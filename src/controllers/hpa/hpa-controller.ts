// The HorizontalPodAutoscaler controller, as upstream's: every sync period each
// HPA reads its target's scale subresource, the pods its selector matches and
// their usage from metrics.k8s.io, computes a replica count per metric (the
// largest wins), stabilizes and rate-limits it, writes the new scale and
// records status (current metrics, desired replicas, conditions) and events.
import type { KubeObject } from '../../api/object.js';
import { defaultHpa } from '../../api/kinds/hpa-rules.js';
import { parseLabelSelector } from '../../api/selectors/label-selector.js';
import { EventRecorder } from '../../client/event-recorder.js';
import { keyOf, type Informer } from '../../client/informer.js';
import { QueueController } from '../../client/queue-controller.js';
import { resourcePath, type ResourceRef, type RestClient } from '../../client/rest-client.js';
import { parseQuantity } from '../../kubelet/quantity.js';
import { DEFAULT_CALCULATOR, MetricsError, resourceReplicas, type CalculatorOptions } from './replica-calculator.js';
import type { PodMetricsSource } from './resource-metrics-client.js';
import { ScalingHistory, type Condition } from './scaling-behavior.js';

type Obj = Record<string, any>;

export const HPAS: ResourceRef = { group: 'autoscaling', version: 'v2', plural: 'horizontalpodautoscalers', namespaced: true };

export interface HpaControllerOptions {
  /** upstream's --horizontal-pod-autoscaler-sync-period (15 s) */
  syncPeriodMs?: number;
  /** upstream's --horizontal-pod-autoscaler-downscale-stabilization (5 min) */
  downscaleStabilizationMs?: number;
  calculator?: Partial<Omit<CalculatorOptions, 'now'>>;
  now?: () => number;
}

/** The scalable kinds everyone has; anything else is guessed as upstream's RESTMapper would name it. */
const KNOWN_PLURALS: Record<string, string> = { Deployment: 'deployments', ReplicaSet: 'replicasets', StatefulSet: 'statefulsets', ReplicationController: 'replicationcontrollers' };

function targetRef(ref: Obj): ResourceRef {
  const [group, version] = String(ref.apiVersion ?? 'v1').includes('/') ? String(ref.apiVersion).split('/') : ['', String(ref.apiVersion ?? 'v1')];
  return { group: group!, version: version!, plural: KNOWN_PLURALS[ref.kind] ?? `${String(ref.kind).toLowerCase()}s`, namespaced: true };
}

/** A milli-unit figure as a Quantity string. */
function milliQuantity(v: number): string {
  return v % 1000 === 0 ? String(v / 1000) : `${v}m`;
}

const metaNow = (t: number) => new Date(t).toISOString().replace(/\.\d+Z$/, 'Z');

export class HorizontalPodAutoscalerController extends QueueController {
  private readonly recorder: EventRecorder;
  private readonly history: ScalingHistory;
  private readonly syncPeriodMs: number;
  private readonly now: () => number;
  /** the last rescale per HPA: a sync that starts from a cache not yet showing it must not drop it */
  private readonly lastScale = new Map<string, string>();

  constructor(
    private readonly client: RestClient,
    private readonly hpas: Informer,
    private readonly pods: Informer,
    private readonly metrics: PodMetricsSource,
    private readonly log: (msg: string, extra?: Record<string, unknown>) => void,
    private readonly opts: HpaControllerOptions = {},
  ) {
    super({ failed: 'hpa sync failed', keyField: 'hpa', workers: 2, baseDelayMs: 100, maxDelayMs: 60_000, log });
    this.recorder = new EventRecorder(client, { component: 'horizontal-pod-autoscaler' });
    this.history = new ScalingHistory(opts.downscaleStabilizationMs ?? 300_000);
    this.syncPeriodMs = opts.syncPeriodMs ?? 15_000;
    this.now = opts.now ?? Date.now;
    hpas.addHandlers({
      onAdd: this.enqueue,
      // only spec changes matter at once; status writes of our own come back here too
      onUpdate: (o, n) => {
        if (JSON.stringify(o.spec) !== JSON.stringify(n.spec)) this.enqueue(n);
      },
      onDelete: (o) => {
        this.history.forget(keyOf(o));
        this.lastScale.delete(keyOf(o));
      },
    });
  }

  override async sync(key: string): Promise<void> {
    const cached = this.hpas.get(key);
    if (!cached) return;
    try {
      await this.reconcile(structuredClone(cached));
    } finally {
      // every HPA is looked at again after the sync period, whatever happened
      if (this.hpas.get(key)) this.queue.addAfter(key, this.syncPeriodMs);
    }
  }

  private async reconcile(hpa: KubeObject): Promise<void> {
    defaultHpa(hpa);
    const key = keyOf(hpa);
    const ns = hpa.metadata.namespace!;
    const spec = hpa.spec as Obj;
    const before = JSON.stringify(hpa.status ?? {});
    const status = ((hpa.status ??= {}) as Obj);
    const setCondition = (c: Condition | { type: 'ScalingActive'; status: 'True' | 'False'; reason: string; message: string }) => {
      const list: Obj[] = (status.conditions ??= []);
      const old = list.find((x) => x.type === c.type);
      const entry = { ...c, lastTransitionTime: old && old.status === c.status ? old.lastTransitionTime : metaNow(this.now()) };
      if (old) list.splice(list.indexOf(old), 1, entry);
      else list.push(entry);
    };
    const ref = spec.scaleTargetRef ?? {};
    const refDesc = `${ref.kind}/${ref.name}`;
    const target = targetRef(ref);
    const scalePath = resourcePath(target, ns, ref.name, 'scale');
    let scale: Obj;
    try {
      scale = await this.client.request('GET', scalePath);
    } catch (e) {
      const message = `the HPA controller was unable to get the target's current scale: ${(e as Error).message}`;
      setCondition({ type: 'AbleToScale', status: 'False', reason: 'FailedGetScale', message });
      this.recorder.event(hpa, 'Warning', 'FailedGetScale', (e as Error).message);
      return this.writeStatus(hpa, before);
    }
    setCondition({ type: 'AbleToScale', status: 'True', reason: 'SucceededGetScale', message: "the HPA controller was able to get the target's current scale" });
    const current: number = scale.spec?.replicas ?? 0;
    const min: number = spec.minReplicas ?? 1;
    const max: number = spec.maxReplicas;
    let desired = 0;
    let rescaleReason = '';
    let metricStatuses: Obj[] | undefined;
    if (current === 0 && min !== 0) {
      setCondition({ type: 'ScalingActive', status: 'False', reason: 'ScalingDisabled', message: 'scaling is disabled since the replica count of the target is zero' });
    } else if (current > max) {
      rescaleReason = 'Current number of replicas above Spec.MaxReplicas';
      desired = max;
    } else if (current < min) {
      rescaleReason = 'Current number of replicas below Spec.MinReplicas';
      desired = min;
    } else {
      const computed = await this.computeReplicas(hpa, scale, current, setCondition);
      metricStatuses = computed.statuses;
      if (computed.replicas === -1) {
        status.currentReplicas = scale.status?.replicas ?? 0;
        status.currentMetrics = metricStatuses;
        this.recorder.event(hpa, 'Warning', 'FailedComputeMetricsReplicas', computed.error ?? 'failed to compute desired number of replicas');
        return this.writeStatus(hpa, before);
      }
      desired = computed.replicas;
      if (desired > current) rescaleReason = `${computed.metric} above target`;
      if (desired < current) rescaleReason = 'All metrics below target';
      const n = spec.behavior
        ? this.history.normalizeWithBehavior(key, current, desired, min, max, spec.behavior, this.now())
        : this.history.normalize(key, current, desired, min, max, this.now());
      for (const c of n.conditions) setCondition(c);
      desired = n.replicas;
    }
    const rescale = current !== 0 || min === 0 ? desired !== current : false;
    if (rescale) {
      try {
        await this.client.request('PUT', scalePath, { ...scale, spec: { ...scale.spec, replicas: desired } });
      } catch (e) {
        this.recorder.event(hpa, 'Warning', 'FailedRescale', `New size: ${desired}; reason: ${rescaleReason}; error: ${(e as Error).message}`);
        setCondition({ type: 'AbleToScale', status: 'False', reason: 'FailedUpdateScale', message: `the HPA controller was unable to update the target scale: ${(e as Error).message}` });
        status.currentReplicas = current;
        if (metricStatuses) status.currentMetrics = metricStatuses;
        return this.writeStatus(hpa, before);
      }
      setCondition({ type: 'AbleToScale', status: 'True', reason: 'SucceededRescale', message: `the HPA controller was able to update the target scale to ${desired}` });
      this.recorder.event(hpa, 'Normal', 'SuccessfulRescale', `New size: ${desired}; reason: ${rescaleReason}`);
      this.history.recordScale(key, spec.behavior, current, desired, this.now());
      this.log('hpa rescaled', { hpa: key, target: refDesc, from: current, to: desired, reason: rescaleReason });
      status.lastScaleTime = metaNow(this.now());
      this.lastScale.set(key, status.lastScaleTime);
    } else desired = current;
    status.currentReplicas = current;
    status.desiredReplicas = desired;
    if (metricStatuses) status.currentMetrics = metricStatuses;
    else delete status.currentMetrics;
    await this.writeStatus(hpa, before);
  }

  /** Every metric's proposal; the largest wins. replicas -1: no usable answer. */
  private async computeReplicas(hpa: KubeObject, scale: Obj, current: number, setCondition: (c: { type: 'ScalingActive'; status: 'True' | 'False'; reason: string; message: string }) => void): Promise<{ replicas: number; metric: string; statuses: Obj[]; error?: string }> {
    const spec = hpa.spec as Obj;
    const selectorText: string | undefined = scale.status?.selector;
    if (!selectorText) {
      const message = 'the HPA target\'s scale is missing a selector';
      setCondition({ type: 'ScalingActive', status: 'False', reason: 'InvalidSelector', message });
      this.recorder.event(hpa, 'Warning', 'SelectorRequired', 'selector is required');
      return { replicas: -1, metric: '', statuses: [], error: message };
    }
    let selector;
    try {
      selector = parseLabelSelector(selectorText);
    } catch (e) {
      const message = `couldn't convert selector into a corresponding internal selector object: ${(e as Error).message}`;
      setCondition({ type: 'ScalingActive', status: 'False', reason: 'InvalidSelector', message });
      return { replicas: -1, metric: '', statuses: [], error: message };
    }
    const ns = hpa.metadata.namespace!;
    const pods = this.pods.list(ns).filter((p) => selector.matches(p.metadata.labels ?? {}));
    const metricSpecs: Obj[] = spec.metrics ?? [];
    const statuses: Obj[] = [];
    let best = 0;
    let bestName = '';
    let invalid = 0;
    let firstError: { reason: string; message: string } | undefined;
    const now = this.now();
    for (const m of metricSpecs) {
      try {
        if (m.type !== 'Resource') throw new MetricsError(`unsupported metric source type "${m.type}"`);
        const name: string = m.resource.name;
        const t = m.resource.target ?? {};
        const utilization = t.type === 'Utilization';
        const targetValue = utilization ? Number(t.averageUtilization) : Math.round(parseQuantity(String(t.averageValue)) * 1000);
        if (!utilization && !Number.isFinite(targetValue)) throw new MetricsError(`invalid resource target value for ${name}`);
        let usage;
        try {
          usage = await this.metrics.podMetrics(ns, name, selectorText);
        } catch (e) {
          throw new MetricsError(`unable to get metrics for resource ${name}: unable to fetch metrics from resource metrics API: ${(e as Error).message}`);
        }
        const p = resourceReplicas(current, utilization ? 'Utilization' : 'AverageValue', targetValue, name, pods, usage, parseQuantity, { ...DEFAULT_CALCULATOR, ...this.opts.calculator, now });
        statuses.push({ type: 'Resource', resource: { name, current: utilization ? { averageUtilization: p.utilization, averageValue: milliQuantity(p.average) } : { averageValue: milliQuantity(p.average) } } });
        if (best === 0 || p.replicas > best) {
          best = p.replicas;
          bestName = utilization ? `${name} resource utilization (percentage of request)` : `${name} resource`;
        }
      } catch (e) {
        const message = `the HPA was unable to compute the replica count: ${(e as Error).message}`;
        if (!firstError) firstError = { reason: m.type === 'Resource' ? 'FailedGetResourceMetric' : 'InvalidMetricSourceType', message };
        if (m.type === 'Resource') this.recorder.event(hpa, 'Warning', 'FailedGetResourceMetric', (e as Error).message);
        invalid++;
      }
    }
    // all metrics failed, or some did and the rest would scale down: do nothing rather than shrink on partial data
    if (firstError && (invalid >= metricSpecs.length || best < current)) {
      setCondition({ type: 'ScalingActive', status: 'False', reason: firstError.reason, message: firstError.message });
      return { replicas: -1, metric: '', statuses, error: `invalid metrics (${invalid} invalid out of ${metricSpecs.length}), first error is: ${firstError.message}` };
    }
    setCondition({ type: 'ScalingActive', status: 'True', reason: 'ValidMetricFound', message: `the HPA was able to successfully calculate a replica count from ${bestName}` });
    return { replicas: best, metric: bestName, statuses };
  }

  private async writeStatus(hpa: KubeObject, before: string): Promise<void> {
    const status = hpa.status as Obj;
    const scaled = this.lastScale.get(keyOf(hpa));
    // RFC 3339 times of one format compare as strings
    if (scaled && !(status.lastScaleTime >= scaled)) status.lastScaleTime = scaled;
    if (JSON.stringify(hpa.status) === before) return;
    // the informer's copy carries defaults the stored object may not have: write status only
    let fresh: KubeObject | undefined = this.hpas.get(keyOf(hpa));
    // a spec edit racing this sync (kubectl patch right after autoscale) is a 409; the
    // status is ours alone, so it goes onto the newest object rather than being lost
    // with the lastScaleTime of a rescale already made
    for (let attempt = 0; fresh && attempt < 3; attempt++) {
      try {
        await this.client.update(HPAS, { ...fresh, status: hpa.status }, 'status');
        return;
      } catch (e) {
        const code = (e as { code?: number }).code;
        if (code === 404) return;
        if (code !== 409) throw e;
        fresh = await this.client.get<KubeObject>(HPAS, hpa.metadata.namespace, hpa.metadata.name!).catch(() => undefined);
      }
    }
  }
}

/**
 * Upstream's flags as environment variables (tests shorten them):
 * SKIFF_HPA_SYNC_PERIOD_MS (--horizontal-pod-autoscaler-sync-period, 15 s) and
 * SKIFF_HPA_DOWNSCALE_STABILIZATION_MS (--horizontal-pod-autoscaler-downscale-stabilization, 5 min).
 */
export function hpaOptionsFromEnv(env: NodeJS.ProcessEnv = process.env): HpaControllerOptions {
  const ms = (k: string) => (env[k] !== undefined && /^\d+$/.test(env[k]!) ? Number(env[k]) : undefined);
  return { syncPeriodMs: ms('SKIFF_HPA_SYNC_PERIOD_MS'), downscaleStabilizationMs: ms('SKIFF_HPA_DOWNSCALE_STABILIZATION_MS') };
}
