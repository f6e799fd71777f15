// Upstream's service account tokens controller, for "long-lived API tokens": a
// Secret of type kubernetes.io/service-account-token naming a ServiceAccount
// (annotation kubernetes.io/service-account.name) gets a token for it, the
// cluster CA and the namespace; the account's uid is recorded in
// kubernetes.io/service-account.uid. Such a Secret whose account is gone (or was
// re-created) is deleted, as its token no longer authenticates.
import type { KubeObject } from '../../api/object.js';
import { Informer } from '../../client/informer.js';
import { QueueController } from '../../client/queue-controller.js';
import type { ResourceRef, RestClient } from '../../client/rest-client.js';

const SECRETS: ResourceRef = { group: '', version: 'v1', plural: 'secrets', namespaced: true };
export const SERVICE_ACCOUNT_TOKEN_TYPE = 'kubernetes.io/service-account-token';
const NAME_ANNOTATION = 'kubernetes.io/service-account.name';
const UID_ANNOTATION = 'kubernetes.io/service-account.uid';

/** Signs a legacy token (the API server's key, as upstream's --service-account-private-key-file). */
export type LegacyTokenIssuer = (subject: { namespace: string; serviceAccount: string; serviceAccountUid: string; secret: string }) => string;

type SecretObj = KubeObject & { type?: string; data?: Record<string, string> };

export class TokensController extends QueueController {
  /** only Secrets of the token type are watched */
  private readonly secrets: Informer<SecretObj>;

  constructor(
    private readonly client: RestClient,
    private readonly accounts: Informer,
    private readonly caPem: string,
    private readonly issue: LegacyTokenIssuer,
    log: (msg: string, extra?: Record<string, unknown>) => void,
  ) {
    super({ failed: 'service account token sync failed', keyField: 'secret', workers: 1, baseDelayMs: 100, maxDelayMs: 60_000, log });
    this.secrets = new Informer<SecretObj>(client, SECRETS, { fieldSelector: `type=${SERVICE_ACCOUNT_TOKEN_TYPE}`, onError: (e) => log('token secret watch failed', { error: String(e) }) });
    this.ownInformers.push(this.secrets);
    this.secrets.addHandlers({ onAdd: this.enqueue, onUpdate: (_o, s) => this.enqueue(s) });
    // a deleted or re-created account: its token Secrets are looked at again (and go)
    const accountChanged = (sa: KubeObject) => {
      for (const s of this.secrets.list(sa.metadata.namespace)) if (s.metadata.annotations?.[NAME_ANNOTATION] === sa.metadata.name) this.enqueue(s);
    };
    accounts.addHandlers({ onAdd: accountChanged, onDelete: accountChanged });
  }

  /** The account from the cache, else from the API (it may be newer than the cache) */
  private async account(ns: string, name: string): Promise<KubeObject | undefined> {
    const cached = this.accounts.get(`${ns}/${name}`);
    if (cached) return cached;
    return this.client.get<KubeObject>({ group: '', version: 'v1', plural: 'serviceaccounts', namespaced: true }, ns, name).catch((e: { code?: number }) => {
      if (e.code === 404) return undefined;
      throw e;
    });
  }

  protected override async sync(key: string): Promise<void> {
    const secret = this.secrets.get(key);
    if (!secret || secret.metadata.deletionTimestamp || secret.type !== SERVICE_ACCOUNT_TOKEN_TYPE) return;
    const ns = secret.metadata.namespace!;
    const name = secret.metadata.name!;
    const path = `/api/v1/namespaces/${encodeURIComponent(ns)}/secrets/${encodeURIComponent(name)}`;
    const saName = secret.metadata.annotations?.[NAME_ANNOTATION];
    const sa = saName ? await this.account(ns, saName) : undefined;
    const wantUid = secret.metadata.annotations?.[UID_ANNOTATION];
    if (!sa || (wantUid && wantUid !== sa.metadata.uid)) {
      // no account (or another one of that name): the token would never authenticate
      await this.client.request('DELETE', path, { kind: 'DeleteOptions', apiVersion: 'v1', preconditions: { uid: secret.metadata.uid } }).catch((e: { code?: number }) => {
        if (e.code !== 404 && e.code !== 409) throw e;
      });
      return;
    }
    const b64 = (v: string) => Buffer.from(v).toString('base64');
    const data = secret.data ?? {};
    const needsToken = !data.token;
    if (!needsToken && data['ca.crt'] === b64(this.caPem) && data.namespace === b64(ns) && wantUid) return;
    const token = needsToken ? this.issue({ namespace: ns, serviceAccount: sa.metadata.name!, serviceAccountUid: sa.metadata.uid!, secret: name }) : undefined;
    const next = {
      ...secret,
      metadata: { ...secret.metadata, annotations: { ...secret.metadata.annotations, [UID_ANNOTATION]: sa.metadata.uid! } },
      data: { ...data, ...(token ? { token: b64(token) } : {}), 'ca.crt': b64(this.caPem), namespace: b64(ns) },
    };
    // a conflict means the Secret moved on: its update event brings it back here
    await this.client.request('PUT', path, next).catch((e: { code?: number }) => {
      if (e.code !== 404 && e.code !== 409) throw e;
    });
  }
}
