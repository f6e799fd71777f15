// The cluster DNS server a node agent runs (CoreDNS's kubernetes plugin, in
// process): cluster.local answered from the shared informers' caches, everything
// else forwarded to the resolvers of a resolv.conf. UDP answers larger than the
// client allows (512 bytes, or its EDNS size) come back truncated so the client
// retries over TCP, which is served on the same addresses and port.
import dgram from 'node:dgram';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import * as dnsPacket from 'dns-packet';
import type { Answer, DecodedPacket, OptAnswer, Packet } from 'dns-packet';
import { ClusterIndex, type ClusterSources } from './cluster-index.js';
import { ClusterResolver, RCODE_SERVFAIL } from './cluster-resolver.js';
import { Forwarder, type Upstream } from './forwarder.js';
import { parseResolvConf } from './resolv-conf.js';

const RCODE_FORMERR = 1;
const RCODE_NOTIMP = 4;
const MAX_UDP_PAYLOAD = 4096;
const TCP_IDLE_MS = 10_000;

export interface ClusterDnsOptions extends ClusterSources {
  /** default cluster.local */
  zone?: string;
  /** default 5 seconds, as CoreDNS's kubernetes plugin */
  ttl?: number;
  /** resolvers for other names; default: the nameservers of resolvConf */
  upstreams?: Upstream[];
  /** default /etc/resolv.conf */
  resolvConf?: string;
  upstreamTimeoutMs?: number;
  log?: (msg: string, extra?: Record<string, unknown>) => void;
}

export class ClusterDns {
  private readonly resolver: ClusterResolver;
  private forwarder?: Forwarder;
  private readonly udp: dgram.Socket[] = [];
  private readonly tcp: net.Server[] = [];
  private readonly conns = new Set<net.Socket>();
  private bound: Array<{ address: string; port: number }> = [];

  constructor(private readonly opts: ClusterDnsOptions) {
    this.resolver = new ClusterResolver(new ClusterIndex(opts), opts.zone ?? 'cluster.local', opts.ttl ?? 5);
  }

  /** Listens on UDP and TCP at each address (port 0: any free port, the same for both). */
  async start(listen: { addresses: string[]; port: number }): Promise<void> {
    try {
      await this.listen(listen);
    } catch (e) {
      // an address that cannot be bound leaves nothing half-open behind
      await this.stop();
      throw e;
    }
  }

  private async listen(listen: { addresses: string[]; port: number }): Promise<void> {
    for (const address of listen.addresses) {
      const family = net.isIPv6(address) ? 'udp6' : 'udp4';
      let port = listen.port;
      const sock = dgram.createSocket(family);
      this.udp.push(sock);
      await new Promise<void>((resolve, reject) => {
        sock.once('error', reject);
        sock.bind(port, address, () => {
          sock.off('error', reject);
          resolve();
        });
      });
      port = sock.address().port;
      sock.on('message', (msg, rinfo) => void this.onUdp(sock, msg, rinfo));
      sock.on('error', (e) => this.opts.log?.('dns udp error', { error: String(e) }));
      const server = net.createServer((c) => this.onTcp(c));
      this.tcp.push(server);
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, address, () => {
          server.off('error', reject);
          resolve();
        });
      });
      this.bound.push({ address, port });
    }
    const ours = (u: Upstream) => this.bound.some((b) => b.address === u.host && b.port === u.port);
    this.forwarder = new Forwarder((this.opts.upstreams ?? this.upstreamsFromResolvConf()).filter((u) => !ours(u)), this.opts.upstreamTimeoutMs ?? 2000);
  }

  /** Where it listens (the real port when 0 was asked for). */
  get addresses(): Array<{ address: string; port: number }> {
    return [...this.bound];
  }

  async stop(): Promise<void> {
    for (const s of this.udp) {
      try {
        s.close();
      } catch {
        // never bound
      }
    }
    for (const c of this.conns) c.destroy();
    await Promise.all(this.tcp.map((s) => new Promise<void>((r) => (s.listening ? s.close(() => r()) : r()))));
    this.udp.length = 0;
    this.tcp.length = 0;
    this.bound = [];
  }

  private upstreamsFromResolvConf(): Upstream[] {
    let text = '';
    try {
      text = readFileSync(this.opts.resolvConf ?? '/etc/resolv.conf', 'utf8');
    } catch {
      return [];
    }
    return parseResolvConf(text).nameservers.map((host) => ({ host, port: 53 }));
  }

  private async onUdp(sock: dgram.Socket, msg: Buffer, rinfo: dgram.RemoteInfo): Promise<void> {
    const reply = await this.answer(msg, false).catch(() => undefined);
    if (reply) sock.send(reply, rinfo.port, rinfo.address);
  }

  private onTcp(c: net.Socket): void {
    this.conns.add(c);
    c.setTimeout(TCP_IDLE_MS, () => c.destroy());
    c.on('close', () => this.conns.delete(c));
    c.on('error', () => c.destroy());
    let buf = Buffer.alloc(0);
    // answers go back in order, even when a forwarded one is slow
    let chain = Promise.resolve();
    c.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      while (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
        const msg = buf.subarray(2, 2 + buf.readUInt16BE(0));
        buf = buf.subarray(2 + msg.length);
        const pending = this.answer(msg, true).catch(() => undefined);
        chain = chain.then(async () => {
          const reply = await pending;
          if (!reply || c.destroyed) return;
          const len = Buffer.alloc(2);
          len.writeUInt16BE(reply.length);
          c.write(Buffer.concat([len, reply]));
        });
      }
    });
  }

  /** One query in, one reply out (undefined: drop it, as for garbage without a header). */
  async answer(msg: Buffer, tcp: boolean): Promise<Buffer | undefined> {
    if (msg.length < 12) return undefined;
    let q: DecodedPacket;
    try {
      q = dnsPacket.decode(msg);
    } catch {
      return errorReply(msg, RCODE_FORMERR);
    }
    if (q.type !== 'query') return undefined;
    const opcode = ((q.flags ?? 0) >> 11) & 0xf;
    if (opcode !== 0) return errorReply(msg, RCODE_NOTIMP);
    const question = q.questions?.[0];
    if (!question || (q.questions?.length ?? 0) !== 1) return errorReply(msg, RCODE_FORMERR);
    const opt = q.additionals?.find((a): a is OptAnswer => a.type === 'OPT');
    const limit = tcp ? 65535 : opt ? Math.max(512, Math.min(opt.udpPayloadSize, MAX_UDP_PAYLOAD)) : 512;
    const local = (question.class ?? 'IN') === 'IN' ? this.resolver.resolve(question) : undefined;
    if (!local) {
      const upstream = await this.forwarder?.forward(msg, tcp);
      if (upstream) return upstream;
      return this.encode(q, { rcode: RCODE_SERVFAIL, answers: [], authorities: [], additionals: [] }, !!opt, limit, false);
    }
    return this.encode(q, local, !!opt, limit, true);
  }

  private encode(q: DecodedPacket, a: { rcode: number; answers: Answer[]; authorities: Answer[]; additionals: Answer[] }, edns: boolean, limit: number, authoritative: boolean): Buffer {
    const flags = (authoritative ? dnsPacket.AUTHORITATIVE_ANSWER : 0) | (q.flag_rd ? dnsPacket.RECURSION_DESIRED : 0) | dnsPacket.RECURSION_AVAILABLE | a.rcode;
    const optRecord: Answer[] = edns ? [{ type: 'OPT', name: '.', udpPayloadSize: MAX_UDP_PAYLOAD, extendedRcode: 0, ednsVersion: 0, flags: 0, flag_do: false, options: [] }] : [];
    const packet: Packet = { id: q.id, type: 'response', flags, questions: q.questions, answers: a.answers, authorities: a.authorities, additionals: [...a.additionals, ...optRecord] };
    const out = dnsPacket.encode(packet);
    if (out.length <= limit) return out;
    // too big for this UDP client: the additional section goes first (no TC needed for it, RFC 2181 9)
    const bare = dnsPacket.encode({ ...packet, additionals: optRecord });
    if (bare.length <= limit) return bare;
    // then as many whole answers as fit, TC set, as CoreDNS does: clients that
    // cannot retry over TCP (busybox nslookup) still get some, the rest come back over TCP
    const answers = [...a.answers];
    while (answers.length) {
      answers.pop();
      const cut = dnsPacket.encode({ ...packet, flags: flags | dnsPacket.TRUNCATED_RESPONSE, answers, authorities: [], additionals: optRecord });
      if (cut.length <= limit) return cut;
    }
    return dnsPacket.encode({ ...packet, flags: flags | dnsPacket.TRUNCATED_RESPONSE, answers: [], authorities: [], additionals: optRecord });
  }
}

/** A bare error reply carrying the query's ID and question section as sent. */
function errorReply(msg: Buffer, rcode: number): Buffer {
  const out = Buffer.alloc(12);
  msg.copy(out, 0, 0, 2);
  const rd = msg.length > 2 ? msg.readUInt16BE(2) & 0x0100 : 0;
  out.writeUInt16BE(0x8000 | rd | 0x0080 | rcode, 2);
  return out;
}
