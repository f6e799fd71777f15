// HTTP to a registry: node's http/https with an optional extra CA, following
// redirects (blob GETs are often sent on to storage elsewhere) and dropping
// the Authorization header when a redirect leaves the registry's host.
import { request as httpRequest, type IncomingMessage, type OutgoingHttpHeaders } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { readFileSync } from 'node:fs';
// rootCertificates is an accessor that parses ~140 certificates: read only when a CA file is given
import tls from 'node:tls';
import type { Readable } from 'node:stream';
import { RegistryError } from './registry-errors.js';

export interface TransportOptions {
  /** PEM file of a CA that signs the registry's certificate (added to the system CAs) */
  caFile?: string;
  timeoutMs?: number;
}

export interface HttpResponse {
  status: number;
  headers: IncomingMessage['headers'];
  /** the body as a stream; read it or call discard() */
  stream: IncomingMessage;
  url: string;
}

export type Body = Buffer | (() => Readable);

const MAX_REDIRECTS = 5;

export class Transport {
  private readonly ca?: string[];
  constructor(private readonly opts: TransportOptions = {}) {
    if (opts.caFile) this.ca = [...tls.rootCertificates, readFileSync(opts.caFile, 'utf8')];
  }

  async send(method: string, url: string, headers: OutgoingHttpHeaders, body?: Body): Promise<HttpResponse> {
    let target = url;
    let hdrs = headers;
    for (let hop = 0; hop <= MAX_REDIRECTS; hop++) {
      const res = await this.once(method, target, hdrs, body);
      const location = res.headers.location;
      if (![301, 302, 303, 307, 308].includes(res.status) || !location || !['GET', 'HEAD'].includes(method)) return res;
      res.stream.resume();
      const next = new URL(location, target);
      if (next.host !== new URL(target).host) {
        const { authorization: _dropped, ...rest } = hdrs as Record<string, unknown>;
        hdrs = rest as OutgoingHttpHeaders;
      }
      target = next.toString();
    }
    throw new RegistryError(`${method} ${url}: too many redirects`, 0);
  }

  private once(method: string, url: string, headers: OutgoingHttpHeaders, body?: Body): Promise<HttpResponse> {
    const u = new URL(url);
    const request = u.protocol === 'https:' ? httpsRequest : httpRequest;
    return new Promise((resolve, reject) => {
      const req = request(u, { method, headers, ...(this.ca ? { ca: this.ca } : {}), timeout: this.opts.timeoutMs ?? 60_000 }, (res) => {
        resolve({ status: res.statusCode ?? 0, headers: res.headers, stream: res, url });
      });
      req.on('timeout', () => req.destroy(new Error('timed out')));
      req.on('error', (e) => reject(new RegistryError(`${method} ${url}: ${e.message}`, 0)));
      if (body === undefined) req.end();
      else if (Buffer.isBuffer(body)) req.end(body);
      else {
        const src = body();
        src.on('error', (e) => req.destroy(e));
        src.pipe(req);
      }
    });
  }
}

/** Reads a whole (small) body, refusing more than limit bytes. */
export async function readBody(res: HttpResponse, limit = 8 << 20): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let n = 0;
  for await (const c of res.stream) {
    n += (c as Buffer).length;
    if (n > limit) {
      res.stream.destroy();
      throw new RegistryError(`${res.url}: response larger than ${limit} bytes`, res.status);
    }
    chunks.push(c as Buffer);
  }
  return Buffer.concat(chunks);
}
