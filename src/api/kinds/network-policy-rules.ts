// NetworkPolicy (networking.k8s.io/v1) defaults and validation, as upstream's
// SetDefaults_NetworkPolicy(Port) and ValidateNetworkPolicySpec: a bad policy is
// refused with 422 and its causes instead of being enforced as something else.
import { isIPv4, isIPv6 } from 'node:net';
import { field, type StatusCause } from '../errors.js';
import type { KubeObject } from '../object.js';
import type { Strategy } from '../resource.js';
import { validateLabels } from '../validation/object-meta.js';

type Obj = Record<string, any>;

const PROTOCOLS = ['TCP', 'UDP', 'SCTP'];
const POLICY_TYPES = ['Ingress', 'Egress'];
const OPERATORS = ['In', 'NotIn', 'Exists', 'DoesNotExist'];
// IANA service name, as a container port's name (upstream's IsValidPortName)
const PORT_NAME = /^[a-z0-9]([a-z0-9-]{0,13}[a-z0-9])?$/;

function validateSelector(sel: unknown, path: string): StatusCause[] {
  if (sel === undefined || sel === null) return [];
  if (typeof sel !== 'object' || Array.isArray(sel))
    return [field.invalid(path, sel, 'must be a label selector')];
  const s = sel as Obj;
  const causes = validateLabels(s.matchLabels, `${path}.matchLabels`);
  ((s.matchExpressions ?? []) as Obj[]).forEach((e, i) => {
    const p = `${path}.matchExpressions[${i}]`;
    causes.push(...validateLabels(e?.key ? { [e.key]: '' } : undefined, `${p}.key`));
    if (!e?.key) causes.push(field.required(`${p}.key`));
    if (!OPERATORS.includes(e?.operator))
      causes.push(field.notSupported(`${p}.operator`, e?.operator, OPERATORS));
    else if ((e.operator === 'In' || e.operator === 'NotIn') && !(e.values ?? []).length)
      causes.push(
        field.required(`${p}.values`, "must be specified when `operator` is 'In' or 'NotIn'"),
      );
    else if ((e.operator === 'Exists' || e.operator === 'DoesNotExist') && (e.values ?? []).length)
      causes.push(
        field.forbidden(
          `${p}.values`,
          "may not be specified when `operator` is 'Exists' or 'DoesNotExist'",
        ),
      );
  });
  return causes;
}

function parseIPv4Cidr(s: string): { base: number; bits: number } | undefined {
  const [ip, len] = s.split('/');
  if (!ip || !isIPv4(ip) || !/^\d{1,2}$/.test(len ?? '') || Number(len) > 32) return undefined;
  const bits = Number(len);
  const n = ip.split('.').reduce((a, o) => a * 256 + Number(o), 0);
  const size = 2 ** (32 - bits);
  return { base: Math.floor(n / size) * size, bits };
}

function validCidr(s: unknown): boolean {
  if (typeof s !== 'string') return false;
  const [ip, len] = s.split('/');
  if (!ip || !/^\d{1,3}$/.test(len ?? '')) return false;
  return (isIPv4(ip) && Number(len) <= 32) || (isIPv6(ip) && Number(len) <= 128);
}

function validateIPBlock(b: Obj, path: string): StatusCause[] {
  if (!b.cidr) return [field.required(`${path}.cidr`)];
  if (!validCidr(b.cidr))
    return [
      field.invalid(`${path}.cidr`, b.cidr, 'must be a valid CIDR (e.g. 10.0.0.0/16 or fd00::/64)'),
    ];
  const causes: StatusCause[] = [];
  const outer = parseIPv4Cidr(b.cidr);
  ((b.except ?? []) as unknown[]).forEach((e, i) => {
    const p = `${path}.except[${i}]`;
    if (!validCidr(e))
      return void causes.push(
        field.invalid(p, e, 'must be a valid CIDR (e.g. 10.0.0.0/16 or fd00::/64)'),
      );
    const inner = parseIPv4Cidr(e as string);
    // IPv6 blocks are checked for form only: the pod network is IPv4
    const sameFamily = !!outer === !!inner;
    const inside =
      !outer ||
      !inner ||
      (inner.bits > outer.bits &&
        inner.base - (inner.base % 2 ** (32 - outer.bits)) === outer.base);
    const subset = sameFamily && inside;
    if (!subset) causes.push(field.invalid(p, e, 'must be a strict subset of `cidr`'));
  });
  return causes;
}

function validatePeers(peers: unknown, path: string): StatusCause[] {
  const causes: StatusCause[] = [];
  ((peers ?? []) as Obj[]).forEach((peer, i) => {
    const p = `${path}[${i}]`;
    const given = ['podSelector', 'namespaceSelector', 'ipBlock'].filter(
      (k) => peer?.[k] !== undefined && peer?.[k] !== null,
    );
    if (given.length === 0) causes.push(field.required(p, 'must specify a peer'));
    else if (given.includes('ipBlock') && given.length > 1)
      causes.push(field.forbidden(p, 'may not specify more than 1 peer'));
    causes.push(
      ...validateSelector(peer?.podSelector, `${p}.podSelector`),
      ...validateSelector(peer?.namespaceSelector, `${p}.namespaceSelector`),
    );
    if (peer?.ipBlock) causes.push(...validateIPBlock(peer.ipBlock, `${p}.ipBlock`));
  });
  return causes;
}

function validatePorts(ports: unknown, path: string): StatusCause[] {
  const causes: StatusCause[] = [];
  ((ports ?? []) as Obj[]).forEach((port, i) => {
    const p = `${path}[${i}]`;
    if (port?.protocol !== undefined && !PROTOCOLS.includes(port.protocol))
      causes.push(field.notSupported(`${p}.protocol`, port.protocol, PROTOCOLS));
    const v = port?.port;
    if (v === undefined || v === null) {
      if (port?.endPort !== undefined && port?.endPort !== null)
        causes.push(field.required(`${p}.port`, 'must be specified when `endPort` is specified'));
      return;
    }
    if (typeof v === 'number') {
      if (!Number.isInteger(v) || v < 1 || v > 65535)
        causes.push(field.invalid(`${p}.port`, v, 'must be between 1 and 65535, inclusive'));
      const end = port.endPort;
      if (end !== undefined && end !== null) {
        if (!Number.isInteger(end) || end < 1 || end > 65535)
          causes.push(field.invalid(`${p}.endPort`, end, 'must be between 1 and 65535, inclusive'));
        else if (end < v)
          causes.push(
            field.invalid(`${p}.endPort`, end, 'must be greater than or equal to `port`'),
          );
      }
    } else if (typeof v === 'string') {
      if (!PORT_NAME.test(v) || !/[a-z]/.test(v) || v.includes('--'))
        causes.push(
          field.invalid(
            `${p}.port`,
            v,
            'must be a valid port name (at most 15 lowercase letters, digits and non-adjacent hyphens, with at least one letter)',
          ),
        );
      if (port.endPort !== undefined && port.endPort !== null)
        causes.push(
          field.invalid(
            `${p}.endPort`,
            port.endPort,
            'may not be specified when `port` is non-numeric',
          ),
        );
    } else causes.push(field.invalid(`${p}.port`, v, 'must be a port number or name'));
  });
  return causes;
}

export const networkPolicyStrategy: Strategy = {
  defaults(o: KubeObject) {
    const s = (o.spec ??= {}) as Obj;
    for (const dir of ['ingress', 'egress'])
      for (const rule of (s[dir] ?? []) as Obj[])
        for (const port of (rule?.ports ?? []) as Obj[])
          if (port && typeof port === 'object') port.protocol ??= 'TCP';
    // a policy without policyTypes isolates ingress, and egress when it has egress rules
    if (!Array.isArray(s.policyTypes) || s.policyTypes.length === 0)
      s.policyTypes =
        Array.isArray(s.egress) && s.egress.length > 0 ? ['Ingress', 'Egress'] : ['Ingress'];
  },
  validate(o: KubeObject) {
    const s = (o.spec ?? {}) as Obj;
    const causes = validateSelector(s.podSelector, 'spec.podSelector');
    for (const [dir, peersKey] of [
      ['ingress', 'from'],
      ['egress', 'to'],
    ] as const) {
      ((s[dir] ?? []) as Obj[]).forEach((rule, i) => {
        causes.push(
          ...validatePorts(rule?.ports, `spec.${dir}[${i}].ports`),
          ...validatePeers(rule?.[peersKey], `spec.${dir}[${i}].${peersKey}`),
        );
      });
    }
    const types = (s.policyTypes ?? []) as unknown[];
    types.forEach((t, i) => {
      if (!POLICY_TYPES.includes(t as string))
        causes.push(field.notSupported(`spec.policyTypes[${i}]`, t, POLICY_TYPES));
    });
    if (types.length > 2)
      causes.push(
        field.invalid('spec.policyTypes', types, 'may not specify more than two policyTypes'),
      );
    return causes;
  },
};
