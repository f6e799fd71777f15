// The way in for the controllers and scheduler running inside the server
// process: the same API over plain HTTP on a unix socket in the data directory
// (mode 0600), answering only requests with this process's random token, which
// never leaves memory. Upstream's in-process clients talk TLS to their own
// server; here that encryption was a tenth of the server's busy time while the
// scheduler bound pods (bench/scheduler-throughput.ts with SKIFF_CPU_PROF).
import http from 'node:http';
import type { Socket } from 'node:net';
import { chmodSync, rmSync } from 'node:fs';
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { join } from 'node:path';
import type { ClientConfig } from '../../client/kubeconfig.js';
import type { UserInfo } from '../authn/index.js';

// sun_path holds 108 bytes; a longer data directory keeps its clients on HTTPS
const MAX_SOCKET_PATH = 100;

export class LoopbackListener {
  private readonly token = randomBytes(32).toString('base64url');
  private readonly ours = new WeakSet<Socket>();
  private readonly sockets = new Set<Socket>();
  private server?: http.Server;
  readonly socketPath: string;

  constructor(
    dataDir: string,
    /** who the loopback clients are (the controller manager's identity) */
    private readonly user: UserInfo,
  ) {
    this.socketPath = join(dataDir, 'apiserver.sock');
  }

  /** Starts serving; false when the data directory's path is too long for a unix socket. */
  async listen(handler: http.RequestListener): Promise<boolean> {
    if (Buffer.byteLength(this.socketPath) > MAX_SOCKET_PATH) return false;
    rmSync(this.socketPath, { force: true }); // left by a server that did not stop cleanly
    const server = http.createServer({ keepAliveTimeout: 65_000, requestTimeout: 0 }, handler);
    server.on('connection', (s: Socket) => {
      this.ours.add(s);
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.socketPath, () => {
        server.off('error', reject);
        resolve();
      });
    });
    chmodSync(this.socketPath, 0o600);
    this.server = server;
    return true;
  }

  /** Whether the request came in through this listener. */
  owns(req: http.IncomingMessage): boolean {
    return this.ours.has(req.socket);
  }

  /** The loopback identity for a request that carries the token; nobody otherwise. */
  authenticate(req: http.IncomingMessage): UserInfo | null {
    const auth = req.headers.authorization;
    if (!auth?.startsWith('Bearer ')) return null;
    const presented = Buffer.from(auth.slice(7));
    const known = Buffer.from(this.token);
    return presented.length === known.length && timingSafeEqual(presented, known) ? this.user : null;
  }

  /** How an in-process client reaches this listener. */
  clientConfig(): ClientConfig {
    return { server: 'http://localhost', socketPath: this.socketPath, token: this.token };
  }

  async close(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    // watch streams never end on their own
    for (const s of this.sockets) s.destroy();
    await closed;
    rmSync(this.socketPath, { force: true });
  }
}
