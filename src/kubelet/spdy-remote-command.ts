// exec and attach over plain SPDY (v4.channel.k8s.io and its elders): one SPDY
// stream per purpose, named by its streamType header — error, stdin, stdout,
// stderr, resize — instead of a channel byte per message. The session starts
// once the client has opened every stream the request asked for, as
// upstream's kubelet waits for them, and is then handed to the same code that
// serves the WebSocket channel protocols, through a channel-message view of
// the streams: stdin arrives as channel 0, its FIN as v5's close of channel 0,
// each resize object as channel 4; channels 1, 2 and 3 go out on stdout,
// stderr and error.
import type { WebSocketConnection } from './websocket.js';
import type { SpdyServerConnection, SpdyStream } from './spdy.js';

export const SPDY_EXEC_PROTOCOLS = ['v4.channel.k8s.io', 'v3.channel.k8s.io', 'v2.channel.k8s.io'];

/** upstream's default streamCreationTimeout */
const STREAM_CREATION_TIMEOUT_MS = 30_000;

type StreamType = 'error' | 'stdin' | 'stdout' | 'stderr' | 'resize';

export interface RemoteCommandOptions {
  stdin: boolean;
  stdout: boolean;
  stderr: boolean;
  tty: boolean;
}

/** The streams a client of this protocol opens for these options (v2 has no resize stream; a tty has no stderr). */
export function expectedStreams(protocol: string, o: RemoteCommandOptions): StreamType[] {
  const want: StreamType[] = ['error'];
  if (o.stdin) want.push('stdin');
  if (o.stdout) want.push('stdout');
  if (o.stderr && !o.tty) want.push('stderr');
  if (o.tty && protocol !== 'v2.channel.k8s.io') want.push('resize');
  return want;
}

/** Splits the resize stream (JSON objects one after another, as Go's encoder writes them) into whole objects. */
export function resizeSplitter(emit: (json: string) => void): (chunk: Buffer) => void {
  let text = '';
  return (chunk) => {
    text += chunk.toString('utf8');
    if (text.length > 64 * 1024) text = ''; // no terminal size is that long: garbage, dropped
    for (;;) {
      const start = text.indexOf('{');
      const end = text.indexOf('}', start);
      if (start < 0 || end < 0) return;
      emit(text.slice(start, end + 1));
      text = text.slice(end + 1);
    }
  };
}

/** v4 carries the final Status as JSON; v2 and v3 carry only a failure's message, as text. */
export function errorStreamBody(protocol: string, statusJson: Buffer): Buffer {
  if (protocol === 'v4.channel.k8s.io') return statusJson;
  try {
    const s = JSON.parse(statusJson.toString()) as { status?: string; message?: string };
    return s.status === 'Success' ? Buffer.alloc(0) : Buffer.from(s.message ?? 'error');
  } catch {
    return statusJson;
  }
}

/** The client's streams as the channel view; undefined when they do not all come in time (the session is closed then). */
export function remoteCommandStreams(conn: SpdyServerConnection, protocol: string, options: RemoteCommandOptions, timeoutMs = STREAM_CREATION_TIMEOUT_MS): Promise<WebSocketConnection | undefined> {
  const want = expectedStreams(protocol, options);
  const streams = new Map<StreamType, SpdyStream>();
  const messageHandlers: Array<(d: Buffer) => void> = [];
  const closeHandlers: Array<() => void> = [];
  // what the client sends before anyone listens is kept, not lost
  const backlog: Buffer[] = [];
  const deliver = (m: Buffer) => {
    if (messageHandlers.length === 0) backlog.push(m);
    else for (const h of messageHandlers) h(m);
  };
  const view: WebSocketConnection = {
    protocol,
    send(msg) {
      if (msg.length === 0) return;
      const target = ({ 1: 'stdout', 2: 'stderr', 3: 'error' } as const)[msg[0] as 1 | 2 | 3];
      const s = target && (streams.get(target) ?? (target === 'stderr' && options.tty ? streams.get('stdout') : undefined));
      if (!s) return;
      const body = target === 'error' ? errorStreamBody(protocol, msg.subarray(1)) : msg.subarray(1);
      if (body.length) s.write(body);
    },
    close() {
      // our streams end after their queued data, then GOAWAY
      for (const t of ['stdout', 'stderr', 'error'] as const) streams.get(t)?.end();
      conn.end();
    },
    onMessage(h) {
      messageHandlers.push(h);
      for (const m of backlog.splice(0)) h(m);
    },
    onClose(h) {
      // the client may have left while the command was being started
      if (conn.closed) h();
      else closeHandlers.push(h);
    },
  };
  conn.onClosed(() => {
    for (const h of closeHandlers) h();
  });
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      conn.close();
      resolve(undefined);
    }, timeoutMs);
    conn.onClosed(() => {
      clearTimeout(timer);
      resolve(undefined);
    });
    conn.onStream((s) => {
      const type = s.headers.streamtype as StreamType;
      if (!want.includes(type) || streams.has(type)) return; // accepted and left alone, as upstream ignores it
      streams.set(type, s);
      if (type === 'stdin') {
        s.onData((d) => deliver(Buffer.concat([Buffer.from([0]), d])));
        s.onEnd(() => deliver(Buffer.from([255, 0])));
      } else if (type === 'resize') {
        const split = resizeSplitter((json) => deliver(Buffer.concat([Buffer.from([4]), Buffer.from(json)])));
        s.onData(split);
      }
      if (want.every((t) => streams.has(t))) {
        clearTimeout(timer);
        resolve(view);
      }
    });
  });
}
