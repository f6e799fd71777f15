// Review APIs answered from the request itself, as upstream's: who am I
// (SelfSubjectReview, `kubectl auth whoami`) and may I (the access reviews,
// `kubectl auth can-i`). Authorization is not enforced yet: every
// authenticated user is allowed, and the answers say so. TokenReview checks a
// token someone else was handed (authn/token-review.ts).
import type { IncomingMessage, ServerResponse } from 'node:http';
import { errors } from '../../api/errors.js';
import { decodeObject, readBody } from '../http/body.js';
import { send } from '../http/respond.js';
import type { UserInfo } from '../router.js';
import type { TokenReviewer } from '../authn/token-review.js';

const REASON = 'skiff allows every authenticated user (authorization is not enforced yet)';

export function isReview(group: string, resource: string): boolean {
  return (group === 'authentication.k8s.io' && (resource === 'selfsubjectreviews' || resource === 'tokenreviews')) || (group === 'authorization.k8s.io' && /accessreviews$|rulesreviews$/.test(resource));
}

export async function handleReview(req: IncomingMessage, res: ServerResponse, user: UserInfo, group: string, version: string, resource: string, namespace: string | undefined, reviewToken?: TokenReviewer): Promise<void> {
  if (req.method !== 'POST') throw errors.methodNotAllowed('the server does not allow this method on the requested resource');
  const body = decodeObject(await readBody(req), req.headers['content-type']);
  const apiVersion = `${group}/${version}`;
  const userInfo = { username: user.username, ...(user.uid ? { uid: user.uid } : {}), groups: user.groups, ...(user.extra && Object.keys(user.extra).length ? { extra: user.extra } : {}) };
  const spec = (body.spec ?? {}) as Record<string, unknown>;
  switch (resource) {
    case 'tokenreviews': {
      if (!reviewToken) break;
      const token = spec.token;
      if (typeof token !== 'string' || !token) throw errors.badRequest('token is required for TokenReview in authentication.k8s.io');
      const auds = spec.audiences;
      if (auds !== undefined && (!Array.isArray(auds) || auds.some((a) => typeof a !== 'string'))) throw errors.badRequest('spec.audiences: expected a list of strings');
      const status = await reviewToken(token, auds as string[] | undefined);
      const user = status.user ? { username: status.user.username, ...(status.user.uid ? { uid: status.user.uid } : {}), groups: status.user.groups, ...(status.user.extra && Object.keys(status.user.extra).length ? { extra: status.user.extra } : {}) } : {};
      return send(res, 201, { kind: 'TokenReview', apiVersion, metadata: { creationTimestamp: null }, spec, status: { ...status, user } });
    }
    case 'selfsubjectreviews':
      return send(res, 201, { kind: 'SelfSubjectReview', apiVersion, metadata: { creationTimestamp: null }, status: { userInfo } });
    case 'selfsubjectrulesreviews':
      return send(res, 201, {
        kind: 'SelfSubjectRulesReview',
        apiVersion,
        metadata: { creationTimestamp: null },
        spec,
        status: { resourceRules: [{ verbs: ['*'], apiGroups: ['*'], resources: ['*'] }], nonResourceRules: [{ verbs: ['*'], nonResourceURLs: ['*'] }], incomplete: false },
      });
    case 'selfsubjectaccessreviews':
    case 'subjectaccessreviews':
    case 'localsubjectaccessreviews': {
      if (!spec.resourceAttributes && !spec.nonResourceAttributes) {
        throw errors.invalid(group, body.kind as string, '', [{ reason: 'FieldValueRequired', field: 'spec.resourceAttributes', message: 'Required value: exactly one of nonResourceAttributes or resourceAttributes must be specified' }]);
      }
      const kind = resource === 'selfsubjectaccessreviews' ? 'SelfSubjectAccessReview' : resource === 'subjectaccessreviews' ? 'SubjectAccessReview' : 'LocalSubjectAccessReview';
      return send(res, 201, { kind, apiVersion, metadata: { creationTimestamp: null, ...(namespace ? { namespace } : {}) }, spec, status: { allowed: true, reason: REASON } });
    }
  }
  throw errors.notFound(group, resource, '');
}
