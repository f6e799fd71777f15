// POST /api/v1/namespaces/{ns}/serviceaccounts/{name}/token: upstream's
// TokenRequest subresource. Issues a service account token for the audiences
// asked (the API server's by default), for expirationSeconds (3600 by default,
// at least 600), optionally bound to a Pod, Secret or Node whose uid is checked.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { errors, field, type StatusCause } from '../../api/errors.js';
import { findResource } from '../../api/kinds/resources.js';
import { metaTime, type KubeObject } from '../../api/object.js';
import { decodeObject, readBody } from '../http/body.js';
import { send } from '../http/respond.js';
import type { GenericRegistry } from '../registry/generic-registry.js';
import type { ObjectRef, ServiceAccountTokens, TokenSubject } from '../authn/service-account-token.js';

type Obj = Record<string, any>;

const GROUP = 'authentication.k8s.io';
const MIN_SECONDS = 600;
const MAX_SECONDS = 2 ** 32;
/** what the admission's token volume asks for (upstream's WarnOnlyBoundTokenExpirationSeconds) */
const WARN_ONLY_SECONDS = 3607;
/** how long such a token really lasts (upstream's ExpirationExtensionSeconds, a year) */
const EXTENDED_SECONDS = 365 * 24 * 3600;

/**
 * Upstream's --service-account-extend-token-expiration (on by default): a pod-bound
 * token for the API server asked for 3607 s is valid for a year, carrying warnafter
 * at 3607 s, so clients that read their token file once keep working; the answer
 * still says 3607 s, so the kubelet renews it as usual.
 */
export function extendedLifetime(expirationSeconds: number, podBound: boolean, audiences: string[], apiAudiences: string[]): number | undefined {
  if (!podBound || expirationSeconds !== WARN_ONLY_SECONDS || !audiences.every((a) => apiAudiences.includes(a))) return undefined;
  return EXTENDED_SECONDS;
}

/** The TokenRequest's spec with upstream's defaults, or the 422 causes. */
export function tokenRequestSpec(body: Obj, defaultAudiences: string[]): { audiences: string[]; expirationSeconds: number; boundObjectRef?: Obj } {
  const spec = (body.spec ?? {}) as Obj;
  if (typeof spec !== 'object' || Array.isArray(spec)) throw errors.badRequest('spec: expected an object');
  const causes: StatusCause[] = [];
  const exp = spec.expirationSeconds ?? 3600;
  if (typeof exp !== 'number' || !Number.isInteger(exp)) throw errors.badRequest(`spec.expirationSeconds: expected an integer, got ${JSON.stringify(exp)}`);
  if (exp < MIN_SECONDS) causes.push(field.invalid('spec.expirationSeconds', exp, 'may not specify a duration less than 10 minutes'));
  if (exp > MAX_SECONDS) causes.push(field.invalid('spec.expirationSeconds', exp, 'may not specify a duration larger than 2^32 seconds'));
  const auds = spec.audiences ?? [];
  if (!Array.isArray(auds) || auds.some((a) => typeof a !== 'string')) throw errors.badRequest('spec.audiences: expected a list of strings');
  const ref = spec.boundObjectRef;
  if (ref !== undefined && ref !== null && (typeof ref !== 'object' || Array.isArray(ref))) throw errors.badRequest('spec.boundObjectRef: expected an object');
  // upstream names no object in this error: the TokenRequest has no name of its own
  if (causes.length) throw errors.invalid(GROUP, 'TokenRequest', '', causes);
  return { audiences: auds.length ? auds : defaultAudiences, expirationSeconds: exp, ...(ref ? { boundObjectRef: ref } : {}) };
}

export async function createServiceAccountToken(req: IncomingMessage, res: ServerResponse, registry: GenericRegistry, tokens: ServiceAccountTokens, namespace: string, name: string): Promise<void> {
  const body = decodeObject(await readBody(req), req.headers['content-type']) as Obj;
  if (body.kind !== undefined && body.kind !== 'TokenRequest') throw errors.badRequest(`expected a TokenRequest, got ${String(body.kind)}`);
  const spec = tokenRequestSpec(body, tokens.audiences);
  const sa = await registry.get(findResource('', 'serviceaccounts')!, 'v1', namespace, name);
  const subject: TokenSubject = { namespace, serviceAccount: { name, uid: sa.metadata.uid! } };
  const ref = spec.boundObjectRef as Obj | undefined;
  if (ref) {
    const apiVersion = String(ref.apiVersion ?? '');
    const slash = apiVersion.indexOf('/');
    const group = slash < 0 ? '' : apiVersion.slice(0, slash);
    const version = slash < 0 ? apiVersion : apiVersion.slice(slash + 1);
    const kind = String(ref.kind ?? '');
    const refName = String(ref.name ?? '');
    let bound: KubeObject;
    if (group === '' && kind === 'Pod') {
      bound = await registry.get(findResource('', 'pods')!, 'v1', namespace, refName);
      const podSa = (bound.spec as Obj | undefined)?.serviceAccountName ?? '';
      if (podSa !== name) throw errors.badRequest(`cannot bind token for serviceaccount "${name}" to pod running with serviceaccount "${podSa}"`);
    } else if (group === '' && kind === 'Secret') {
      bound = await registry.get(findResource('', 'secrets')!, 'v1', namespace, refName);
    } else if (group === '' && kind === 'Node') {
      bound = await registry.get(findResource('', 'nodes')!, 'v1', undefined, refName);
    } else {
      throw errors.badRequest(`cannot bind token to object of type ${group}/${version}, Kind=${kind}`);
    }
    const uid = bound.metadata.uid!;
    const askedUid = ref.uid;
    if (askedUid && askedUid !== uid) {
      throw errors.conflict(group, kind, refName, `the UID in the bound object reference (${askedUid}) does not match the UID in record (${uid}). The object might have been deleted and then recreated`);
    }
    const objRef: ObjectRef = { name: refName, uid };
    if (kind === 'Pod') {
      subject.pod = objRef;
      // the pod's node rides along (upstream's ServiceAccountTokenPodNodeInfo)
      const nodeName = (bound.spec as Obj | undefined)?.nodeName;
      if (nodeName) {
        const node = await registry.get(findResource('', 'nodes')!, 'v1', undefined, nodeName).catch(() => undefined);
        if (node) subject.node = { name: nodeName, uid: node.metadata.uid! };
      }
    } else if (kind === 'Secret') subject.secret = objRef;
    else subject.node = objRef;
    ref.uid = uid;
  }
  const extended = extendedLifetime(spec.expirationSeconds, !!subject.pod, spec.audiences, tokens.audiences);
  const issued = extended ? tokens.issue(subject, spec.audiences, extended, spec.expirationSeconds) : tokens.issue(subject, spec.audiences, spec.expirationSeconds);
  const expirationTimestamp = new Date(issued.issuedAt.getTime() + spec.expirationSeconds * 1000);
  send(res, 201, {
    kind: 'TokenRequest',
    apiVersion: `${GROUP}/v1`,
    metadata: { name, namespace, creationTimestamp: null },
    spec: { audiences: spec.audiences, expirationSeconds: spec.expirationSeconds, boundObjectRef: ref ?? null },
    status: { token: issued.token, expirationTimestamp: metaTime(expirationTimestamp) },
  });
}
