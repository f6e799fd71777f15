// A rule's ports (NetworkPolicyPort): a protocol (TCP by default, UDP, SCTP),
// and a number, a number range (port..endPort), or a name that stands for the
// container port of that name and protocol on the pod the traffic goes to.
import type { KubeObject } from '../../api/object.js';

type Obj = Record<string, any>;

export type Proto = 'tcp' | 'udp' | 'sctp';

export interface PortMatch {
  proto: Proto;
  /** absent: every port of the protocol */
  from?: number;
  to?: number;
}

/** A port spec: either resolved already, or a name to look up on the target pod. */
export type PortSpec =
  { kind: 'numbers'; match: PortMatch } | { kind: 'named'; proto: Proto; name: string };

function protocolOf(p: Obj): Proto | undefined {
  const proto = String(p.protocol ?? 'TCP');
  return proto === 'TCP' ? 'tcp' : proto === 'UDP' ? 'udp' : proto === 'SCTP' ? 'sctp' : undefined;
}

const validPort = (n: unknown): n is number =>
  typeof n === 'number' && Number.isInteger(n) && n >= 1 && n <= 65535;

/** The rule's port specs; undefined when the rule has none (every port). A spec that is not valid is left out: it allows nothing. */
export function portSpecs(ports: Obj[] | undefined): PortSpec[] | undefined {
  if (!ports || ports.length === 0) return undefined;
  const out: PortSpec[] = [];
  for (const p of ports) {
    const proto = protocolOf(p ?? {});
    if (!proto) continue;
    const port = p.port;
    if (port === undefined || port === null) {
      out.push({ kind: 'numbers', match: { proto } });
    } else if (typeof port === 'string' && !/^\d+$/.test(port)) {
      out.push({ kind: 'named', proto, name: port });
    } else {
      const from = Number(port);
      if (!validPort(from)) continue;
      const to = p.endPort === undefined || p.endPort === null ? from : p.endPort;
      if (!validPort(to) || to < from) continue;
      out.push({ kind: 'numbers', match: { proto, from, to } });
    }
  }
  return out;
}

/** The number a named port has on a pod (its containers' ports, init containers too as sidecars may serve). */
export function namedPort(pod: KubeObject, name: string, proto: Proto): number | undefined {
  const spec = (pod.spec ?? {}) as Obj;
  for (const c of [
    ...((spec.containers ?? []) as Obj[]),
    ...((spec.initContainers ?? []) as Obj[]),
  ]) {
    for (const cp of (c.ports ?? []) as Obj[]) {
      if (cp.name === name && (protocolOf(cp) ?? 'tcp') === proto && validPort(cp.containerPort))
        return cp.containerPort;
    }
  }
  return undefined;
}

export function portText(m: PortMatch): string {
  if (m.from === undefined) return `meta l4proto ${m.proto}`;
  return `meta l4proto ${m.proto} th dport ${m.to !== undefined && m.to !== m.from ? `${m.from}-${m.to}` : m.from}`;
}
