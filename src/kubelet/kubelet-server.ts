// The node's own HTTPS endpoint (port 10250, as the kubelet's): container logs
// for `kubectl logs`, reached through the API server. Only clients with a
// certificate from the cluster CA get in.
import https from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { TLSSocket } from 'node:tls';
import { streamLog } from './cri-log.js';
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { acceptWebSocket } from './websocket.js';
import { EXEC_PROTOCOLS, serveExec, serveTtyExec } from './exec-stream.js';
import { serveAttach } from './attach-stream.js';
import { PORT_FORWARD_PROTOCOLS, SPDY_PORT_FORWARD_PROTOCOLS, servePortForward, servePortForwardStreams, type PortForwardTarget } from './port-forward.js';
import { acceptSpdy, isSpdyUpgrade } from './spdy-upgrade.js';
import { remoteCommandStreams, SPDY_EXEC_PROTOCOLS } from './spdy-remote-command.js';
import type { WebSocketConnection } from './websocket.js';
import type { AttachEndpoint, TtyProcess } from '../runtime/runtime.js';

export interface LogSource {
  /** log file of a pod's container (current or previous attempt) */
  logPath(namespace: string, pod: string, container: string, previous: boolean): string | undefined;
  /** a command started in a pod's running container, or undefined when it is not running */
  execInContainer(namespace: string, pod: string, container: string, command: string[]): Promise<ChildProcessWithoutNullStreams | undefined>;
  /** the same on a terminal: a starter taking the client's size, or undefined when the container is not running */
  execTtyInContainer?(namespace: string, pod: string, container: string, command: string[]): Promise<((size: { cols: number; rows: number }) => TtyProcess) | undefined>;
  /** a running container's main process to attach to */
  attachTo?(namespace: string, pod: string, container: string): Promise<{ endpoint: AttachEndpoint; running: () => Promise<boolean> } | undefined>;
  /** where a pod's ports are, for port-forward */
  portForwardTarget?(namespace: string, pod: string): Promise<PortForwardTarget | undefined>;
}

const refuse = (socket: import('node:stream').Duplex, code: number, text: string, message: string) => socket.end(`HTTP/1.1 ${code} ${text}\r\nContent-Type: text/plain\r\n\r\n${message}\n`);

export interface KubeletServerOptions {
  port: number;
  bindAddress: string;
  certPem: string;
  keyPem: string;
  clusterCaPem: string;
  /** more GET routes (stats): answer and return true, or return false to pass */
  routes?: (req: IncomingMessage, res: ServerResponse, url: URL) => boolean;
}

function fail(res: ServerResponse, code: number, message: string): void {
  res.writeHead(code, { 'content-type': 'text/plain; charset=utf-8' });
  res.end(message);
}

export function startKubeletServer(opts: KubeletServerOptions, logs: LogSource): Promise<https.Server> {
  const server = https.createServer({ cert: opts.certPem, key: opts.keyPem, ca: opts.clusterCaPem, requestCert: true, rejectUnauthorized: false }, (req, res) => void handle(req, res));
  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (!(req.socket as TLSSocket).authorized) return fail(res, 401, 'Unauthorized');
    const url = new URL(req.url ?? '/', 'https://node');
    if (url.pathname === '/healthz') return fail(res, 200, 'ok');
    if (opts.routes?.(req, res, url)) return;
    const m = /^\/containerLogs\/([^/]+)\/([^/]+)\/([^/]+)$/.exec(url.pathname);
    if (!m || req.method !== 'GET') return fail(res, 404, 'not found');
    const [ns, pod, container] = m.slice(1).map(decodeURIComponent);
    const q = url.searchParams;
    const previous = q.get('previous') === 'true';
    const path = logs.logPath(ns, pod, container, previous);
    if (!path) return fail(res, 400, previous ? `previous terminated container "${container}" in pod "${pod}" not found` : `container "${container}" in pod "${pod}" is waiting to start`);
    const num = (k: string) => (q.get(k) !== null && /^\d+$/.test(q.get(k)!) ? Number(q.get(k)) : undefined);
    const sinceSeconds = num('sinceSeconds');
    const sinceTime = q.get('sinceTime') ? new Date(q.get('sinceTime')!) : sinceSeconds !== undefined ? new Date(Date.now() - sinceSeconds * 1000) : undefined;
    res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8', 'transfer-encoding': 'chunked' });
    const ac = new AbortController();
    res.on('close', () => ac.abort());
    await streamLog(path, { follow: q.get('follow') === 'true', timestamps: q.get('timestamps') === 'true', tailLines: num('tailLines'), sinceTime, limitBytes: num('limitBytes') }, (s) => res.write(s), ac.signal);
    res.end();
  }
  // exec, attach and port-forward come as WebSocket upgrades, or as plain SPDY/3.1 ones from older clients
  server.on('upgrade', (req: IncomingMessage, socket: import('node:stream').Duplex, head: Buffer) => {
    void (async () => {
      socket.on('error', () => {});
      if (!(req.socket as TLSSocket).authorized) return socket.end('HTTP/1.1 401 Unauthorized\r\n\r\n');
      const url = new URL(req.url ?? '/', 'https://node');
      const q = url.searchParams;
      const on = (k: string) => q.get(k) === 'true' || q.get(k) === '1';
      const pf = /^\/portForward\/([^/]+)\/([^/]+)$/.exec(url.pathname);
      if (pf) {
        const target = await logs.portForwardTarget?.(decodeURIComponent(pf[1]), decodeURIComponent(pf[2]));
        if (!target) return refuse(socket, 400, 'Bad Request', `pod ${decodeURIComponent(pf[2])} is not running on this node`);
        if (isSpdyUpgrade(req)) {
          const up = acceptSpdy(req, socket, head, SPDY_PORT_FORWARD_PROTOCOLS);
          if (up) servePortForwardStreams(up.conn, target);
          return;
        }
        const ws = acceptWebSocket(req, socket, PORT_FORWARD_PROTOCOLS);
        if (ws) servePortForward(ws, target);
        return;
      }
      const m = /^\/(exec|attach)\/([^/]+)\/([^/]+)\/([^/]+)$/.exec(url.pathname);
      if (!m) return socket.end('HTTP/1.1 404 Not Found\r\n\r\n');
      const [ns, pod, container] = m.slice(2).map(decodeURIComponent);
      const streams = { stdin: on('stdin'), stdout: on('stdout'), stderr: on('stderr'), tty: on('tty') };
      /** the session as channel messages, whichever protocol the client came with */
      const channels = async (): Promise<WebSocketConnection | undefined> => {
        if (!isSpdyUpgrade(req)) return acceptWebSocket(req, socket, EXEC_PROTOCOLS);
        const up = acceptSpdy(req, socket, head, SPDY_EXEC_PROTOCOLS);
        return up && remoteCommandStreams(up.conn, up.protocol, streams);
      };
      if (m[1] === 'attach') {
        const target = await logs.attachTo?.(ns, pod, container);
        if (!target) return refuse(socket, 400, 'Bad Request', `container ${container} is not running`);
        const ws = await channels();
        if (ws) serveAttach(ws, target.endpoint, streams, target.running);
        return;
      }
      const command = q.getAll('command');
      if (command.length === 0) return refuse(socket, 400, 'Bad Request', 'you must specify at least one command for the container');
      if (streams.tty && logs.execTtyInContainer) {
        const start = await logs.execTtyInContainer(ns, pod, container, command);
        if (!start) return refuse(socket, 400, 'Bad Request', `container ${container} is not running`);
        const ws = await channels();
        if (ws) serveTtyExec(ws, start, streams);
        return;
      }
      if (isSpdyUpgrade(req)) {
        // a SPDY client opens its streams one at a time after the upgrade; the command starts once they are
        // all there, as upstream's kubelet does, or a quick command's output would have nowhere to go
        const ws = await channels();
        if (!ws) return;
        const child = await logs.execInContainer(ns, pod, container, command);
        if (child) return serveExec(ws, child, streams);
        ws.send(Buffer.concat([Buffer.from([3]), Buffer.from(JSON.stringify({ metadata: {}, status: 'Failure', message: `container ${container} is not running`, reason: 'BadRequest', code: 400 }))]));
        return ws.close();
      }
      const child = await logs.execInContainer(ns, pod, container, command);
      if (!child) return refuse(socket, 400, 'Bad Request', `container ${container} is not running`);
      const ws = await channels();
      if (!ws) {
        child.kill('SIGKILL');
        return;
      }
      serveExec(ws, child, streams);
    })();
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.bindAddress, () => resolve(server));
  });
}
