// Where a pod's start spends its time, for bench/pod-startup.ts: with
// SKIFF_POD_TRACE=1 the kubelet marks each step of a pod's first start (watch
// event, worker, sandbox, network, volumes, container create and start, status
// write) and prints one line per pod with the milliseconds between marks.
// Without the variable every call returns at once. The global performance, not
// node:perf_hooks: importing that builds its ES facade, loading the module and
// its timing classes into every agent, traced or not.

const enabled = !!process.env.SKIFF_POD_TRACE;
const marks = new Map<string, Array<[string, number]>>();

/** Records a named point in the start of the pod with this key (namespace/name); the first mark opens its trace. */
export function traceMark(key: string, name: string): void {
  if (!enabled) return;
  let m = marks.get(key);
  if (!m) {
    if (name !== 'event') return; // only starts seen from their watch event are traced
    m = [];
    marks.set(key, m);
  }
  m.push([name, performance.now()]);
}

/** Ends the pod's trace (its first status is written): one line on stderr, then forgotten. */
export function traceEnd(key: string): void {
  if (!enabled) return;
  const m = marks.get(key);
  if (!m) return;
  marks.delete(key);
  const t0 = m[0]![1];
  const spans = m.slice(1).map(([name, t], i) => `${name}=${(t - m[i]![1]).toFixed(1)}`);
  process.stderr.write(`pod-start-trace ${key} total=${(performance.now() - t0).toFixed(1)} ${spans.join(' ')}\n`);
}
