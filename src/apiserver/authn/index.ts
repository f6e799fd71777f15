// Who is asking: a client certificate signed by the cluster CA (CN = user,
// O = groups), a service account token (a JWT of ours, checked in
// service-account-token.ts), or a bearer token from DATA_DIR/tokens.csv
// (upstream's static token file format: token,user,uid,"group1,group2").
import type { IncomingMessage } from 'node:http';
import type { TLSSocket } from 'node:tls';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { timingSafeEqual } from 'node:crypto';
import { join } from 'node:path';
import type { Pki } from '../pki/index.js';
import type { ServiceAccountTokens } from './service-account-token.js';

export interface UserInfo {
  username: string;
  uid?: string;
  groups: string[];
  extra?: Record<string, string[]>;
}

interface TokenEntry {
  token: string;
  user: UserInfo;
}

export function parseTokenFile(text: string): TokenEntry[] {
  const out: TokenEntry[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const fields = splitCsv(line);
    if (fields.length < 2 || !fields[0] || !fields[1]) continue;
    const groups = fields[3] ? fields[3].split(',').map((g) => g.trim()).filter(Boolean) : [];
    out.push({ token: fields[0], user: { username: fields[1], uid: fields[2] || undefined, groups } });
  }
  return out;
}

function splitCsv(line: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  for (const ch of line) {
    if (ch === '"') quoted = !quoted;
    else if (ch === ',' && !quoted) {
      out.push(cur);
      cur = '';
    } else cur += ch;
  }
  out.push(cur);
  return out.map((f) => f.trim());
}

function withAuthenticated(u: UserInfo): UserInfo {
  return u.groups.includes('system:authenticated') ? u : { ...u, groups: [...u.groups, 'system:authenticated'] };
}

/** Certificates and static tokens answer at once; a service account token needs object lookups and answers later. */
export type Authenticator = (req: IncomingMessage) => UserInfo | null | Promise<UserInfo | null>;

export function createAuthenticator(opts: { dataDir: string; pki: Pki; serviceAccounts?: ServiceAccountTokens; log?: (msg: string, extra?: Record<string, unknown>) => void }): Authenticator {
  const tokenPath = join(opts.dataDir, 'tokens.csv');
  let tokens: TokenEntry[] = [];
  let tokensMtime = -1;
  let tokensCheckedAt = 0;
  const loadTokens = (force = false) => {
    // re-read when the file changes, so tokens can be added without a restart;
    // looked at no more than once a second (a stat per request costs on the hot path)
    const now = Date.now();
    if (!force && now - tokensCheckedAt < 1000) return;
    tokensCheckedAt = now;
    const mtime = existsSync(tokenPath) ? statSync(tokenPath).mtimeMs : 0;
    if (mtime !== tokensMtime) {
      tokensMtime = mtime;
      tokens = mtime ? parseTokenFile(readFileSync(tokenPath, 'utf8')) : [];
    }
  };
  // a connection's client certificate never changes: read it once per socket
  // (getPeerCertificate builds a new object each call)
  const byCert = new WeakMap<TLSSocket, UserInfo | null>();
  const certUser = (socket: TLSSocket): UserInfo | null => {
    const cert = socket.getPeerCertificate();
    const subject = cert?.subject as Record<string, string | string[]> | undefined;
    const cn = subject?.CN;
    if (typeof cn !== 'string' || !cn) return null;
    const o = subject?.O;
    const groups = o === undefined ? [] : Array.isArray(o) ? o : [o];
    return withAuthenticated({ username: cn, groups });
  };
  return (req) => {
    const socket = req.socket as TLSSocket;
    if (socket.authorized) {
      let user = byCert.get(socket);
      if (user === undefined) {
        user = certUser(socket);
        byCert.set(socket, user);
      }
      if (user) return user;
    }
    const auth = req.headers.authorization;
    if (auth?.startsWith('Bearer ')) {
      const raw = auth.slice(7).trim();
      const sa = opts.serviceAccounts;
      if (sa?.isOurs(raw)) {
        return sa.authenticate(raw).then(
          (u) => u,
          (e: unknown) => {
            opts.log?.('service account token refused', { reason: (e as Error).message });
            return null;
          },
        );
      }
      const presented = Buffer.from(raw);
      const find = () => {
        for (const t of tokens) {
          const known = Buffer.from(t.token);
          if (known.length === presented.length && timingSafeEqual(known, presented)) return withAuthenticated(t.user);
        }
        return null;
      };
      loadTokens();
      // an unknown token may have just been added to the file: look again at once
      const user = find() ?? (loadTokens(true), find());
      if (user) return user;
    }
    return null;
  };
}
