// The kubelet's /metrics/resource endpoint: the Summary's figures in the
// Prometheus text format, with upstream's metric names and labels.
import type { Summary } from './stats-provider.js';

const esc = (v: string) => v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
const labels = (l: Record<string, string>) => `{${Object.entries(l).map(([k, v]) => `${k}="${esc(v)}"`).join(',')}}`;

interface Family {
  name: string;
  help: string;
  type: 'counter' | 'gauge';
  samples: Array<{ labels?: Record<string, string>; value: number; time: string }>;
}

export function resourceMetricsText(s: Summary): string {
  const seconds = (ns: number) => ns / 1e9;
  const ms = (t: string) => Date.parse(t);
  const containers = s.pods.flatMap((p) => p.containers.map((c) => ({ p, c, l: { container: c.name, namespace: p.podRef.namespace, pod: p.podRef.name } })));
  const pod = (p: Summary['pods'][number]) => ({ namespace: p.podRef.namespace, pod: p.podRef.name });
  const families: Family[] = [
    { name: 'container_cpu_usage_seconds_total', help: '[STABLE] Cumulative cpu time consumed by the container in core-seconds', type: 'counter', samples: containers.map(({ c, l }) => ({ labels: l, value: seconds(c.cpu.usageCoreNanoSeconds), time: c.cpu.time })) },
    { name: 'container_memory_working_set_bytes', help: '[STABLE] Current working set of the container in bytes', type: 'gauge', samples: containers.map(({ c, l }) => ({ labels: l, value: c.memory.workingSetBytes, time: c.memory.time })) },
    { name: 'node_cpu_usage_seconds_total', help: '[STABLE] Cumulative cpu time consumed by the node in core-seconds', type: 'counter', samples: [{ value: seconds(s.node.cpu.usageCoreNanoSeconds), time: s.node.cpu.time }] },
    { name: 'node_memory_working_set_bytes', help: '[STABLE] Current working set of the node in bytes', type: 'gauge', samples: [{ value: s.node.memory.workingSetBytes, time: s.node.memory.time }] },
    { name: 'pod_cpu_usage_seconds_total', help: '[STABLE] Cumulative cpu time consumed by the pod in core-seconds', type: 'counter', samples: s.pods.map((p) => ({ labels: pod(p), value: seconds(p.cpu.usageCoreNanoSeconds), time: p.cpu.time })) },
    { name: 'pod_memory_working_set_bytes', help: '[STABLE] Current working set of the pod in bytes', type: 'gauge', samples: s.pods.map((p) => ({ labels: pod(p), value: p.memory.workingSetBytes, time: p.memory.time })) },
  ];
  let out = '';
  for (const f of families) {
    out += `# HELP ${f.name} ${f.help}\n# TYPE ${f.name} ${f.type}\n`;
    for (const x of f.samples) out += `${f.name}${x.labels ? labels(x.labels) : ''} ${x.value} ${ms(x.time)}\n`;
  }
  out += '# HELP scrape_error [ALPHA] 1 if there was an error while getting container metrics, 0 otherwise\n# TYPE scrape_error gauge\nscrape_error 0\n';
  return out;
}
