// kubectl port-forward on the node (portforward.k8s.io over SPDY, which kubectl
// 1.32 tunnels through a WebSocket as "SPDY/3.1+portforward.k8s.io", and older
// clients or KUBECTL_PORT_FORWARD_WEBSOCKETS=false reach over a plain
// `Upgrade: SPDY/3.1` connection). For each
// forwarded connection the client opens an error stream and a data stream with
// the same requestID. The data stream is joined to the port inside the pod's
// network namespace the way dockershim did it: nsenter into the sandbox's
// netns running a relay (busybox nc), so no pod IP is needed.
import { spawn } from 'node:child_process';
import type { WebSocketConnection } from './websocket.js';
import { SpdyServerConnection, type SpdyStream } from './spdy.js';

export const PORT_FORWARD_PROTOCOLS = ['SPDY/3.1+portforward.k8s.io'];
/** the X-Stream-Protocol-Version of the plain SPDY upgrade */
export const SPDY_PORT_FORWARD_PROTOCOLS = ['portforward.k8s.io'];

export interface PortForwardTarget {
  /** pid of the pod's sandbox, whose network namespace holds the ports */
  sandboxPid: number;
  podName: string;
  podUid: string;
  busybox: string;
}

/** bytes queued for want of the client's window before reading from the pod pauses */
const HELD_BACK_LIMIT = 256 * 1024;

interface Pair {
  data?: SpdyStream;
  error?: SpdyStream;
  started?: boolean;
}

function fail(error: SpdyStream | undefined, message: string): void {
  if (!error) return;
  error.write(Buffer.from(message));
  error.end();
}

/** Joins one data stream to the pod's port until either side is done; errors go to the error stream. */
function forward(target: PortForwardTarget, port: number, data: SpdyStream, error: SpdyStream, conn: SpdyServerConnection): void {
  const relay = spawn('nsenter', [`--net=/proc/${target.sandboxPid}/ns/net`, target.busybox, 'nc', '127.0.0.1', String(port)], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  relay.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  relay.stdin.on('error', () => {});
  relay.on('error', (e) => (stderr += e.message));
  data.onData((d) => relay.stdin.write(d));
  // the client's half-close becomes ours towards the port (nc shuts its socket's write side at EOF)
  data.onEnd(() => relay.stdin.end());
  const stop = () => {
    if (relay.exitCode === null) relay.kill('SIGKILL');
  };
  data.onReset(stop);
  error.onReset(stop);
  // a client that keeps SPDY windows may hold the stream back: the pod's side waits rather than piling up here
  relay.stdout.on('data', (d: Buffer) => {
    data.write(d);
    if (data.queued > HELD_BACK_LIMIT) relay.stdout.pause();
  });
  data.onDrain(() => relay.stdout.resume());
  relay.stdout.on('end', () => data.end());
  relay.on('close', (code) => {
    if (code !== 0 && !data.reset) {
      const why = stderr.trim().replace(/^nc: /, '') || `exit status ${code}`;
      fail(error, `error forwarding port ${port} to pod ${target.podName}, uid ${target.podUid}: ${why}`);
      if (!data.localClosed) conn.resetStream(data);
    } else error.end();
  });
}

/** SPDY carried in WebSocket binary messages. */
export function servePortForward(ws: WebSocketConnection, target: PortForwardTarget): void {
  const conn = new SpdyServerConnection(
    (frame) => ws.send(frame),
    () => ws.close(),
  );
  ws.onMessage((m) => conn.feed(m));
  ws.onClose(() => conn.close());
  servePortForwardStreams(conn, target);
}

/** Pairs each forwarded connection's data and error streams and joins them to the pod's port. */
export function servePortForwardStreams(conn: SpdyServerConnection, target: PortForwardTarget): void {
  const pairs = new Map<string, Pair>();
  conn.onStream((s) => {
    const type = s.headers.streamtype;
    const key = s.headers.requestid ?? s.headers.port ?? '';
    if (type !== 'data' && type !== 'error') {
      conn.resetStream(s);
      return;
    }
    const pair = pairs.get(key) ?? {};
    pairs.set(key, pair);
    pair[type] = s;
    if (!pair.data || !pair.error || pair.started) return;
    pair.started = true;
    pairs.delete(key);
    const raw = s.headers.port ?? '';
    const port = /^\d+$/.test(raw) ? Number(raw) : NaN;
    if (!(port >= 1 && port <= 65535)) {
      fail(pair.error, `invalid port "${raw}": it must be a number between 1 and 65535`);
      conn.resetStream(pair.data);
      return;
    }
    forward(target, port, pair.data, pair.error, conn);
  });
}
