// Service account tokens issued and checked over the real registry and SQLite:
// a good token names its account; an expired one, one for another audience, one
// signed by another key, one whose ServiceAccount was deleted (or re-created
// with a new uid) and one whose bound pod was deleted are refused.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createPublicKey, generateKeyPairSync, verify } from 'node:crypto';
import { join } from 'node:path';
import { findResource } from '../../../src/api/kinds/resources.js';
import type { KubeObject } from '../../../src/api/object.js';
import type { GenericRegistry } from '../../../src/apiserver/registry/generic-registry.js';
import { storageLookup } from '../../../src/apiserver/registry/object-lookup.js';
import { ensureServiceAccountKey, serviceAccountKeyFrom } from '../../../src/apiserver/pki/service-account-key.js';
import { API_AUDIENCE, ServiceAccountTokens, TokenInvalid, type TokenSubject } from '../../../src/apiserver/authn/service-account-token.js';
import { decodeJwt } from '../../../src/apiserver/authn/jwt.js';
import { extendedLifetime, tokenRequestSpec } from '../../../src/apiserver/handlers/token-request.js';
import { createTokenReviewer } from '../../../src/apiserver/authn/token-review.js';
import { jwks, oidcConfiguration } from '../../../src/apiserver/handlers/oidc-discovery.js';
import type { CachedStorage } from '../../../src/storage/index.js';
import { openSqliteRegistry, PODS, SAS, W, type SqliteRegistry } from './sqlite-registry.js';

let db: SqliteRegistry;
let dir: string;
let storage: CachedStorage;
let reg: GenericRegistry;
let clock = Date.now();
let tokens: ServiceAccountTokens;

const createSa = (name: string) => reg.create(SAS, 'v1', 'default', { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name } }, W());
const createPod = (name: string, sa: string) => reg.create(PODS, 'v1', 'default', { apiVersion: 'v1', kind: 'Pod', metadata: { name }, spec: { serviceAccountName: sa, containers: [{ name: 'c', image: 'busybox' }] } }, W());
const subject = (sa: KubeObject, pod?: KubeObject): TokenSubject => ({ namespace: 'default', serviceAccount: { name: sa.metadata.name!, uid: sa.metadata.uid! }, ...(pod ? { pod: { name: pod.metadata.name!, uid: pod.metadata.uid! } } : {}) });
/** refused for the reason given; a deletion reaches the watch cache a moment after the write, so this looks again for a while */
async function refused(token: string, why: RegExp): Promise<void> {
  const end = Date.now() + 5000;
  for (;;) {
    const e = await tokens.authenticate(token).then(() => undefined, (x: unknown) => x);
    if (e instanceof TokenInvalid && why.test(e.message)) return;
    if (Date.now() > end) assert.fail(`expected a refusal matching ${why}, got ${e === undefined ? 'success' : String(e)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

before(async () => {
  db = await openSqliteRegistry('skiff-satoken-');
  ({ dir, storage, reg } = db);
  tokens = new ServiceAccountTokens(ensureServiceAccountKey(join(dir, 'tls')), storageLookup(storage), { now: () => clock });
});
after(() => db.close());

test('the signing key is made once and reused', () => {
  const a = ensureServiceAccountKey(join(dir, 'tls'));
  const b = ensureServiceAccountKey(join(dir, 'tls'));
  assert.equal(a.keyId, b.keyId);
  assert.equal(a.alg, 'ES256');
});

test('a token carries upstream claims and authenticates as its service account', async () => {
  const sa = await createSa('robot');
  const pod = await createPod('runner', 'robot');
  const { token, expirationTimestamp } = tokens.issue(subject(sa, pod), [API_AUDIENCE], 3600);
  const { header, claims } = decodeJwt(token)!;
  assert.equal(header.alg, 'ES256');
  assert.equal(claims.sub, 'system:serviceaccount:default:robot');
  assert.equal(claims.iss, 'https://kubernetes.default.svc.cluster.local');
  assert.deepEqual(claims.aud, [API_AUDIENCE]);
  assert.equal((claims.exp as number) - (claims.iat as number), 3600);
  assert.equal(claims.nbf, claims.iat);
  assert.match(String(claims.jti), /^[0-9a-f-]{36}$/);
  assert.deepEqual(claims['kubernetes.io'], { namespace: 'default', serviceaccount: { name: 'robot', uid: sa.metadata.uid }, pod: { name: 'runner', uid: pod.metadata.uid } });
  assert.equal(expirationTimestamp.getTime(), (claims.exp as number) * 1000);
  const user = await tokens.authenticate(token);
  assert.equal(user.username, 'system:serviceaccount:default:robot');
  assert.equal(user.uid, sa.metadata.uid);
  assert.deepEqual(user.groups, ['system:serviceaccounts', 'system:serviceaccounts:default', 'system:authenticated']);
  assert.deepEqual(user.extra['authentication.kubernetes.io/pod-name'], ['runner']);
  // a second use comes from the verified-token cache and answers the same
  assert.deepEqual(await tokens.authenticate(token), user);
});

test('an expired token is refused, within upstream leeway still good', async () => {
  const sa = await createSa('shortlived');
  const { token } = tokens.issue(subject(sa), [API_AUDIENCE], 600);
  const start = clock;
  try {
    clock = start + 630_000;
    await tokens.authenticate(token);
    clock = start + 700_000;
    await refused(token, /has expired/);
  } finally {
    clock = start;
  }
});

test('a token for another audience is refused', async () => {
  const sa = await createSa('elsewhere');
  const { token } = tokens.issue(subject(sa), ['https://vault.example'], 3600);
  await refused(token, /audience/);
});

test('a token signed by another key is refused', async () => {
  const sa = await createSa('forged');
  const other = new ServiceAccountTokens(serviceAccountKeyFrom(generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey), storageLookup(storage));
  const { token } = other.issue(subject(sa), [API_AUDIENCE], 3600);
  assert.ok(tokens.isOurs(token), 'it names our issuer');
  await refused(token, /invalid signature/);
  // nor does a token with its payload swapped keep our signature
  const good = tokens.issue(subject(sa), [API_AUDIENCE], 3600).token.split('.');
  const evil = Buffer.from(JSON.stringify({ ...decodeJwt(good.join('.'))!.claims, sub: 'system:serviceaccount:kube-system:default' })).toString('base64url');
  await refused(`${good[0]}.${evil}.${good[2]}`, /invalid signature/);
  await refused(`${Buffer.from('{"alg":"none"}').toString('base64url')}.${good[1]}.`, /algorithm/);
});

test('a deleted service account, or one re-created with a new uid, invalidates its tokens', async () => {
  const sa = await createSa('gone');
  const { token } = tokens.issue(subject(sa), [API_AUDIENCE], 3600);
  await tokens.authenticate(token);
  await reg.delete(SAS, 'v1', 'default', 'gone', { dryRun: false });
  await refused(token, /serviceaccounts "gone" not found/);
  await createSa('gone');
  await refused(token, /does not match claim/);
});

test('a deleted bound pod invalidates the token, even one cached as verified', async () => {
  const sa = await createSa('worker');
  const pod = await createPod('job-1', 'worker');
  const { token } = tokens.issue(subject(sa, pod), [API_AUDIENCE], 3600);
  await tokens.authenticate(token);
  await reg.delete(PODS, 'v1', 'default', 'job-1', { gracePeriodSeconds: 0, dryRun: false });
  await refused(token, /invalidated/);
  await createPod('job-1', 'worker');
  await refused(token, /pod UID .* does not match/);
});

test('TokenReview: a token is good for the audiences it names; static tokens only for the API server', async () => {
  const sa = await createSa('reviewed');
  // the static token file stands in as a function: the token "static-ok" is a user
  const staticTokens = async (req: { headers: { authorization?: string } }) => (req.headers.authorization === 'Bearer static-ok' ? { username: 'alice', groups: ['system:authenticated'] } : null);
  const review = createTokenReviewer(staticTokens as never, tokens);
  const vault = tokens.issue(subject(sa), ['vault'], 3600).token;
  const ok = await review(vault, ['vault', 'other']);
  assert.equal(ok.authenticated, true);
  assert.deepEqual(ok.audiences, ['vault']);
  assert.equal(ok.user?.username, 'system:serviceaccount:default:reviewed');
  const api = await review(vault, undefined);
  assert.equal(api.authenticated, false);
  assert.match(api.error ?? '', /invalid for the target audiences/);
  assert.deepEqual(await review('static-ok', undefined), { authenticated: true, user: { username: 'alice', groups: ['system:authenticated'] }, audiences: [API_AUDIENCE] });
  assert.equal((await review('static-ok', ['vault'])).authenticated, false);
  assert.deepEqual(await review('nobody', undefined), { authenticated: false });
});

test("a legacy Secret token authenticates while its Secret holds it and its account exists", async () => {
  const SECRETS = findResource('', 'secrets')!;
  const sa = await createSa('legacy');
  const token = tokens.issueLegacy({ namespace: 'default', serviceAccount: 'legacy', serviceAccountUid: sa.metadata.uid!, secret: 'legacy-token' });
  const claims = decodeJwt(token)!.claims;
  assert.equal(claims.iss, 'kubernetes/serviceaccount');
  assert.equal(claims.exp, undefined, 'no expiry');
  assert.equal(claims['kubernetes.io/serviceaccount/secret.name'], 'legacy-token');
  await refused(token, /invalidated/);
  const secret = (data: string) => ({ apiVersion: 'v1', kind: 'Secret', type: 'kubernetes.io/service-account-token', metadata: { name: 'legacy-token', annotations: { 'kubernetes.io/service-account.name': 'legacy' } }, data: { token: Buffer.from(data).toString('base64') } });
  await reg.create(SECRETS, 'v1', 'default', secret(token), W());
  assert.equal((await tokens.authenticate(token)).username, 'system:serviceaccount:default:legacy');
  await assert.rejects(tokens.review(token, ['vault']), /invalid for the target audiences/);
  const live = await reg.get(SECRETS, 'v1', 'default', 'legacy-token');
  await reg.update(SECRETS, 'v1', 'default', 'legacy-token', { ...secret('another'), metadata: { ...live.metadata } }, W());
  await refused(token, /does not match/);
  await reg.delete(SECRETS, 'v1', 'default', 'legacy-token', { dryRun: false });
  await refused(token, /invalidated/);
});

test("a pod's 3607 s token for the API server lasts a year and carries warnafter, as upstream extends it", async () => {
  assert.equal(extendedLifetime(3607, true, [API_AUDIENCE], [API_AUDIENCE]), 365 * 24 * 3600);
  assert.equal(extendedLifetime(3607, false, [API_AUDIENCE], [API_AUDIENCE]), undefined, 'not bound to a pod');
  assert.equal(extendedLifetime(3600, true, [API_AUDIENCE], [API_AUDIENCE]), undefined, 'another lifetime');
  assert.equal(extendedLifetime(3607, true, ['vault'], [API_AUDIENCE]), undefined, 'another audience');
  const sa = await createSa('extended');
  const pod = await createPod('long', 'extended');
  const { token, issuedAt } = tokens.issue(subject(sa, pod), [API_AUDIENCE], 365 * 24 * 3600, 3607);
  const claims = decodeJwt(token)!.claims;
  assert.equal((claims['kubernetes.io'] as Record<string, unknown>).warnafter, (claims.iat as number) + 3607);
  assert.equal(issuedAt.getTime(), (claims.iat as number) * 1000);
  const start = clock;
  try {
    clock = start + 2 * 3600_000;
    assert.equal((await tokens.authenticate(token)).username, 'system:serviceaccount:default:extended', 'still good past warnafter');
  } finally {
    clock = start;
  }
});

test('the published key set checks our tokens (issuer discovery)', async () => {
  const key = ensureServiceAccountKey(join(dir, 'tls'));
  const config = oidcConfiguration(tokens.issuer, 'https://127.0.0.1:6443/openid/v1/jwks', key);
  assert.equal(config.issuer, 'https://kubernetes.default.svc.cluster.local');
  assert.deepEqual(config.id_token_signing_alg_values_supported, ['ES256']);
  const sa = await createSa('discovered');
  const token = tokens.issue(subject(sa), [API_AUDIENCE], 3600).token;
  const jwk = jwks(key).keys[0];
  assert.equal(jwk.kid, decodeJwt(token)!.header.kid);
  assert.equal(jwk.d, undefined, 'no private part');
  const [h, p, sig] = token.split('.');
  const pub = createPublicKey({ key: jwk as never, format: 'jwk' });
  assert.ok(verify('sha256', Buffer.from(`${h}.${p}`), { key: pub, dsaEncoding: 'ieee-p1363' }, Buffer.from(sig, 'base64url')));
});

test('TokenRequest spec: upstream defaults and limits', () => {
  assert.deepEqual(tokenRequestSpec({}, [API_AUDIENCE]), { audiences: [API_AUDIENCE], expirationSeconds: 3600 });
  assert.deepEqual(tokenRequestSpec({ spec: { audiences: ['a'], expirationSeconds: 600 } }, [API_AUDIENCE]), { audiences: ['a'], expirationSeconds: 600 });
  assert.throws(() => tokenRequestSpec({ spec: { expirationSeconds: 599 } }, []), (e: { code?: number; message?: string }) => e.code === 422 && /TokenRequest.authentication.k8s.io "" is invalid: spec.expirationSeconds: Invalid value: 599: may not specify a duration less than 10 minutes/.test(e.message ?? ''));
  assert.throws(() => tokenRequestSpec({ spec: { expirationSeconds: 2 ** 33 } }, []), (e: { code?: number }) => e.code === 422);
  assert.throws(() => tokenRequestSpec({ spec: { expirationSeconds: 'soon' } }, []), (e: { code?: number }) => e.code === 400);
  assert.throws(() => tokenRequestSpec({ spec: [] }, []), (e: { code?: number }) => e.code === 400);
});
