// spec.containers[].ports with a hostPort become CNI portmap entries.
import type { PortMapping } from '../network/pod-network.js';

export function hostPortMappings(spec: Record<string, any>): PortMapping[] {
  const out: PortMapping[] = [];
  for (const c of (spec.containers ?? []) as Record<string, any>[]) {
    for (const p of (c.ports ?? []) as Record<string, any>[]) {
      if (!p.hostPort) continue;
      out.push({ hostPort: p.hostPort, containerPort: p.containerPort, protocol: String(p.protocol ?? 'TCP').toLowerCase() as PortMapping['protocol'], ...(p.hostIP ? { hostIP: p.hostIP } : {}) });
    }
  }
  return out;
}
