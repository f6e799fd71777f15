// Joining nodes with a token, as k3s does: `skiff server` keeps a join token in
// DATA_DIR/node-token, "K10<sha256 of the CA certificate>::server:<secret>".
// An agent holding it fetches the CA from /cacerts (unauthenticated, so it
// checks the hash before trusting it), then proves the secret to get its own
// client certificate (system:node:<name>, group system:nodes) and a serving
// certificate for its kubelet endpoint, both signed by the cluster CA.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { isIP } from 'node:net';
import { join } from 'node:path';
import type { Pki } from './pki/index.js';

export const CACERTS_PATH = '/cacerts';
export const NODE_CREDENTIALS_PATH = '/skiff/v1/node-credentials';
const NODE_NAME = /^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/;

export interface NodeCredentials {
  caPem: string;
  clientCertPem: string;
  clientKeyPem: string;
  servingCertPem: string;
  servingKeyPem: string;
}

export function caHash(caPem: string): string {
  return createHash('sha256').update(caPem).digest('hex');
}

export function parseJoinToken(token: string): { caHash?: string; secret: string } {
  const m = /^K10([0-9a-f]{64})::[^:]+:(.+)$/.exec(token.trim());
  return m ? { caHash: m[1], secret: m[2]! } : { secret: token.trim() };
}

export class NodeJoin {
  readonly token: string;
  readonly tokenPath: string;
  private readonly secret: Buffer;

  constructor(
    dataDir: string,
    private readonly pki: Pki,
  ) {
    this.tokenPath = join(dataDir, 'node-token');
    let secret = existsSync(this.tokenPath) ? parseJoinToken(readFileSync(this.tokenPath, 'utf8')).secret : '';
    if (!secret) secret = randomBytes(24).toString('hex');
    this.secret = Buffer.from(secret);
    // the CA hash is recomputed each start: a renewed CA gives a new token with the same secret
    this.token = `K10${caHash(pki.caCertPem)}::server:${secret}`;
    writeFileSync(this.tokenPath, `${this.token}\n`, { mode: 0o600 });
  }

  /** Serves the join paths; false for any other request. */
  handle(req: IncomingMessage, res: ServerResponse): boolean {
    const path = (req.url ?? '').split('?')[0];
    if (path === CACERTS_PATH && req.method === 'GET') {
      res.writeHead(200, { 'content-type': 'application/x-pem-file' }).end(this.pki.caCertPem);
      return true;
    }
    if (path !== NODE_CREDENTIALS_PATH) return false;
    void this.credentials(req, res).catch((e) => send(res, 500, { message: String(e) }));
    return true;
  }

  private authorized(req: IncomingMessage): boolean {
    const m = /^Bearer (.+)$/.exec(req.headers.authorization ?? '');
    if (!m) return false;
    const given = Buffer.from(parseJoinToken(m[1]!).secret);
    return given.length === this.secret.length && timingSafeEqual(given, this.secret);
  }

  private async credentials(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (req.method !== 'POST') return send(res, 405, { message: 'POST a {"nodeName", "addresses"} object' });
    if (!this.authorized(req)) return send(res, 401, { message: 'the join token is not valid for this server (see DATA_DIR/node-token on the server)' });
    let body = '';
    for await (const chunk of req) {
      body += chunk;
      if (body.length > 64 << 10) return send(res, 413, { message: 'request too large' });
    }
    let input: { nodeName?: unknown; addresses?: unknown };
    try {
      input = JSON.parse(body) as typeof input;
    } catch {
      return send(res, 400, { message: 'the body is not JSON' });
    }
    const name = input.nodeName;
    if (typeof name !== 'string' || !NODE_NAME.test(name)) return send(res, 422, { message: 'nodeName must be a DNS subdomain (lower case letters, digits, "-" and ".")' });
    const addresses = Array.isArray(input.addresses) ? input.addresses.filter((a): a is string => typeof a === 'string' && isIP(a) !== 0) : [];
    const client = await this.pki.issueClientCert(`system:node:${name}`, ['system:nodes']);
    const serving = await this.pki.issueServingCert(name, [name, 'localhost'], [...addresses, '127.0.0.1']);
    const out: NodeCredentials = { caPem: this.pki.caCertPem, clientCertPem: client.certPem, clientKeyPem: client.keyPem, servingCertPem: serving.certPem, servingKeyPem: serving.keyPem };
    send(res, 200, out);
  }
}

function send(res: ServerResponse, code: number, body: object): void {
  const text = JSON.stringify(code >= 400 ? { kind: 'Status', apiVersion: 'v1', status: 'Failure', code, ...body } : body);
  res.writeHead(code, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) }).end(text);
}
