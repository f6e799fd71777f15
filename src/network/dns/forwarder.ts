// Names outside the cluster go to the node's own resolvers, tried in order; the
// query travels as the client sent it (over TCP when the client used TCP). No
// answer from any of them in time is a failure the caller turns into SERVFAIL.
import dgram from 'node:dgram';
import net from 'node:net';

export interface Upstream {
  host: string;
  port: number;
}

export class Forwarder {
  constructor(
    readonly upstreams: Upstream[],
    private readonly timeoutMs = 2000,
  ) {}

  /** The upstream's answer, or undefined when none answered. */
  async forward(query: Buffer, tcp: boolean): Promise<Buffer | undefined> {
    for (const u of this.upstreams) {
      const answer = await (tcp ? this.overTcp(u, query) : this.overUdp(u, query)).catch(() => undefined);
      if (answer) return answer;
    }
    return undefined;
  }

  private overUdp(u: Upstream, query: Buffer): Promise<Buffer | undefined> {
    return new Promise((resolve) => {
      const sock = dgram.createSocket(net.isIPv6(u.host) ? 'udp6' : 'udp4');
      const id = query.readUInt16BE(0);
      const done = (b: Buffer | undefined) => {
        clearTimeout(timer);
        sock.close();
        resolve(b);
      };
      const timer = setTimeout(() => done(undefined), this.timeoutMs);
      sock.on('error', () => done(undefined));
      // only the answer to this query counts (same ID, from the server asked)
      sock.on('message', (msg, rinfo) => {
        if (msg.length >= 2 && msg.readUInt16BE(0) === id && rinfo.port === u.port) done(msg);
      });
      sock.send(query, u.port, u.host, (err) => err && done(undefined));
    });
  }

  private overTcp(u: Upstream, query: Buffer): Promise<Buffer | undefined> {
    return new Promise((resolve) => {
      const sock = net.connect({ host: u.host, port: u.port });
      let buf = Buffer.alloc(0);
      const done = (b: Buffer | undefined) => {
        clearTimeout(timer);
        sock.destroy();
        resolve(b);
      };
      const timer = setTimeout(() => done(undefined), this.timeoutMs);
      sock.on('error', () => done(undefined));
      sock.on('connect', () => {
        const len = Buffer.alloc(2);
        len.writeUInt16BE(query.length);
        sock.write(Buffer.concat([len, query]));
      });
      sock.on('data', (d: Buffer) => {
        buf = Buffer.concat([buf, d]);
        if (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) done(buf.subarray(2, 2 + buf.readUInt16BE(0)));
      });
      sock.on('end', () => done(undefined));
    });
  }
}
