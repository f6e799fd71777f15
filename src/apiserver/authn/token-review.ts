// TokenReview (authentication.k8s.io/v1): is this bearer token good, and for whom?
// What webhook-style consumers (Vault's kubernetes auth, kube-rbac-proxy,
// metrics pipelines) ask the API server about tokens presented to them. Service
// account tokens are checked for the audiences asked (the API server's by
// default); other tokens (the static token file) are for the API server only.
import type { IncomingMessage } from 'node:http';
import type { Authenticator, UserInfo } from './index.js';
import type { ServiceAccountTokens } from './service-account-token.js';

export interface TokenReviewStatus {
  authenticated: boolean;
  user?: UserInfo;
  audiences?: string[];
  error?: string;
}

export type TokenReviewer = (token: string, audiences: string[] | undefined) => Promise<TokenReviewStatus>;

export function createTokenReviewer(authenticate: Authenticator, serviceAccounts: ServiceAccountTokens): TokenReviewer {
  const apiAudiences = serviceAccounts.audiences;
  return async (token, requested) => {
    const audiences = requested?.length ? requested : apiAudiences;
    if (serviceAccounts.isOurs(token)) {
      try {
        const r = await serviceAccounts.review(token, audiences);
        return { authenticated: true, user: r.user, audiences: r.audiences };
      } catch (e) {
        return { authenticated: false, error: `[invalid bearer token, ${(e as Error).message}]` };
      }
    }
    // the request the authenticator sees: this token and no client certificate
    const user = await authenticate({ headers: { authorization: `Bearer ${token}` }, socket: {} } as unknown as IncomingMessage);
    if (!user) return { authenticated: false };
    const matched = audiences.filter((a) => apiAudiences.includes(a));
    if (matched.length === 0) return { authenticated: false, error: `token audiences ${JSON.stringify(apiAudiences)} is invalid for the target audiences ${JSON.stringify(audiences)}` };
    return { authenticated: true, user, audiences: matched };
  };
}
