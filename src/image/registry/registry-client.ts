// One registry's distribution API (/v2/) with Docker's authentication: a
// request goes out as is; a 401 names the scheme in WWW-Authenticate. Basic
// gets the user's password; Bearer sends us to the token service (realm,
// service, scope), with the password when there is one, anonymous otherwise,
// and the token is kept per scope for the following requests.
import type { OutgoingHttpHeaders } from 'node:http';
import type { Credentials } from './credentials.js';
import { responseError, RegistryError } from './registry-errors.js';
import { registryBaseUrl, type EndpointOptions } from './registry-name.js';
import { readBody, Transport, type Body, type HttpResponse, type TransportOptions } from './registry-transport.js';
import { parseWwwAuthenticate, type Challenge } from './www-authenticate.js';

export interface ClientOptions extends EndpointOptions, TransportOptions {
  credentials?: Credentials;
}

export interface ApiRequest {
  method: string;
  /** a path under the registry (/v2/...) or an absolute URL (an upload's Location) */
  path: string;
  /** the token scope this request needs (repository:NAME:pull) */
  scope?: string;
  headers?: OutgoingHttpHeaders;
  body?: Body;
}

const USER_AGENT = 'skiff/0.1 (distribution client)';

export class RegistryClient {
  readonly base: string;
  private readonly transport: Transport;
  private basic = false;
  private bearer?: Challenge;
  private readonly tokens = new Map<string, string>();

  constructor(
    readonly registry: string,
    private readonly opts: ClientOptions = {},
  ) {
    this.base = registryBaseUrl(registry, opts);
    this.transport = new Transport(opts);
  }

  url(path: string): string {
    return new URL(path, this.base).toString();
  }

  private basicHeader(): string | undefined {
    const c = this.opts.credentials;
    if (!c?.username && !c?.password) return undefined;
    return `Basic ${Buffer.from(`${c.username ?? ''}:${c.password ?? ''}`).toString('base64')}`;
  }

  private authorization(scope: string | undefined): string | undefined {
    if (this.bearer) return this.tokens.has(scope ?? '') ? `Bearer ${this.tokens.get(scope ?? '')}` : undefined;
    if (this.basic) return this.basicHeader();
    return undefined;
  }

  /** Sends the request, authenticating once when the registry asks for it. */
  async send(req: ApiRequest): Promise<HttpResponse> {
    const url = this.url(req.path);
    const attempt = (auth: string | undefined) => this.transport.send(req.method, url, { 'user-agent': USER_AGENT, ...req.headers, ...(auth ? { authorization: auth } : {}) }, req.body);
    const sent = this.authorization(req.scope);
    let res = await attempt(sent);
    if (res.status !== 401) return res;
    const body = await readBody(res);
    // refused with what we had: the credentials themselves are wrong
    if (sent !== undefined) throw responseError(401, body, `${req.method} ${url}`);
    // sent bare while another request of ours was authenticating: use what it learned
    if (this.authorization(req.scope) === undefined) {
      const challenges = parseWwwAuthenticate(String(res.headers['www-authenticate'] ?? ''));
      const bearer = challenges.find((c) => c.scheme === 'bearer');
      const basic = challenges.find((c) => c.scheme === 'basic');
      if (bearer) {
        this.bearer = bearer;
        await this.fetchToken(bearer, req.scope);
      } else if (basic && this.basicHeader()) {
        this.basic = true;
      } else {
        throw responseError(401, body, `${req.method} ${url}`);
      }
    }
    res = await attempt(this.authorization(req.scope));
    if (res.status === 401) throw responseError(401, await readBody(res), `${req.method} ${url}`);
    return res;
  }

  /** The Bearer token flow: GET realm?service=&scope= with Basic credentials if we have them. */
  private async fetchToken(ch: Challenge, scope: string | undefined): Promise<void> {
    const realm = ch.params.realm;
    if (!realm) throw new RegistryError(`${this.registry}: Bearer challenge without a realm`, 401);
    const u = new URL(realm);
    if (ch.params.service) u.searchParams.set('service', ch.params.service);
    for (const s of (scope ?? ch.params.scope ?? '').split(' ').filter(Boolean)) u.searchParams.append('scope', s);
    const c = this.opts.credentials;
    const headers: OutgoingHttpHeaders = { 'user-agent': USER_AGENT };
    const basic = this.basicHeader();
    if (basic) headers.authorization = basic;
    if (c?.identityToken) {
      // an identity token is exchanged through the OAuth2 form POST
      const form = new URLSearchParams({ grant_type: 'refresh_token', refresh_token: c.identityToken, service: ch.params.service ?? '', scope: scope ?? '', client_id: 'skiff' });
      const res = await this.transport.send('POST', realm, { ...headers, 'content-type': 'application/x-www-form-urlencoded' }, Buffer.from(form.toString()));
      return this.keepToken(res, scope, realm);
    }
    const res = await this.transport.send('GET', u.toString(), headers);
    return this.keepToken(res, scope, realm);
  }

  private async keepToken(res: HttpResponse, scope: string | undefined, realm: string): Promise<void> {
    const body = await readBody(res);
    if (res.status !== 200) throw responseError(res.status, body, `token from ${realm}`);
    let doc: { token?: string; access_token?: string };
    try {
      doc = JSON.parse(body.toString('utf8')) as typeof doc;
    } catch {
      throw new RegistryError(`token from ${realm}: the answer is not JSON`, res.status);
    }
    const token = doc.token ?? doc.access_token;
    if (!token) throw new RegistryError(`token from ${realm}: the answer holds no token`, res.status);
    this.tokens.set(scope ?? '', token);
  }

  /** GET /v2/: reachable, and whether it wants authentication (answered by send()). */
  async ping(): Promise<void> {
    const res = await this.send({ method: 'GET', path: '/v2/' });
    const body = await readBody(res);
    if (res.status !== 200) throw responseError(res.status, body, `${this.registry}`);
  }
}
