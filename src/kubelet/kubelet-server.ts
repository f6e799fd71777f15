// The node's own HTTPS endpoint (port 10250, as the kubelet's): container logs
// for `kubectl logs`, reached through the API server. Only clients with a
// certificate from the cluster CA get in.
import https from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { TLSSocket } from 'node:tls';
import { streamLog } from './cri-log.js';
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { acceptWebSocket } from './websocket.js';
import { EXEC_PROTOCOLS, serveExec } from './exec-stream.js';

export interface LogSource {
  /** log file of a pod's container (current or previous attempt) */
  logPath(namespace: string, pod: string, container: string, previous: boolean): string | undefined;
  /** a command started in a pod's running container, or undefined when it is not running */
  execInContainer(namespace: string, pod: string, container: string, command: string[]): Promise<ChildProcessWithoutNullStreams | undefined>;
}

export interface KubeletServerOptions {
  port: number;
  bindAddress: string;
  certPem: string;
  keyPem: string;
  clusterCaPem: string;
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
  server.on('upgrade', (req: IncomingMessage, socket: import('node:stream').Duplex) => {
    void (async () => {
      socket.on('error', () => {});
      if (!(req.socket as TLSSocket).authorized) return socket.end('HTTP/1.1 401 Unauthorized\r\n\r\n');
      const url = new URL(req.url ?? '/', 'https://node');
      const m = /^\/exec\/([^/]+)\/([^/]+)\/([^/]+)$/.exec(url.pathname);
      if (!m) return socket.end('HTTP/1.1 404 Not Found\r\n\r\n');
      const [ns, pod, container] = m.slice(1).map(decodeURIComponent);
      const q = url.searchParams;
      const command = q.getAll('command');
      if (command.length === 0) return socket.end('HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain\r\n\r\nyou must specify at least one command for the container\n');
      const child = await logs.execInContainer(ns, pod, container, command);
      if (!child) return socket.end(`HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain\r\n\r\ncontainer ${container} is not running\n`);
      const ws = acceptWebSocket(req, socket, EXEC_PROTOCOLS);
      if (!ws) {
        child.kill('SIGKILL');
        return;
      }
      const on = (k: string) => q.get(k) === 'true' || q.get(k) === '1';
      serveExec(ws, child, { stdin: on('stdin'), stdout: on('stdout'), stderr: on('stderr'), tty: on('tty') });
    })();
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.bindAddress, () => resolve(server));
  });
}
