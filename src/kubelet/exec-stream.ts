// kubectl exec over the Kubernetes channel protocols (v5.channel.k8s.io and
// v4): each binary message starts with its channel — 0 stdin, 1 stdout,
// 2 stderr, 3 error (the final Status), 4 resize; v5 adds 255 to close a stream.
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import type { WebSocketConnection } from './websocket.js';
import type { TtyProcess } from '../runtime/runtime.js';

export const EXEC_PROTOCOLS = ['v5.channel.k8s.io', 'v4.channel.k8s.io'];

export function status(code: number | null, signal: NodeJS.Signals | null): object {
  if (code === 0) return { metadata: {}, status: 'Success' };
  const exit = code ?? 128 + (signal ? 9 : 0);
  return {
    metadata: {},
    status: 'Failure',
    message: `command terminated with non-zero exit code: error executing command, exit status ${exit}`,
    reason: 'NonZeroExitCode',
    details: { causes: [{ reason: 'ExitCode', message: String(exit) }] },
  };
}

export function serveExec(ws: WebSocketConnection, child: ChildProcessWithoutNullStreams, streams: { stdin: boolean; stdout: boolean; stderr: boolean; tty: boolean }): void {
  const send = (channel: number, data: Buffer) => ws.send(Buffer.concat([Buffer.from([channel]), data]));
  if (streams.stdout) child.stdout.on('data', (d: Buffer) => send(1, d));
  else child.stdout.resume();
  // with a terminal there is one output stream, as a pty would merge them
  if (streams.stderr) child.stderr.on('data', (d: Buffer) => send(2, d));
  else if (streams.tty && streams.stdout) child.stderr.on('data', (d: Buffer) => send(1, d));
  else child.stderr.resume();
  if (!streams.stdin) child.stdin.end();
  child.stdin.on('error', () => {});
  ws.onMessage((msg) => {
    if (msg.length === 0) return;
    const channel = msg[0];
    if (channel === 0 && streams.stdin) child.stdin.write(msg.subarray(1));
    else if (channel === 255 && msg[1] === 0) child.stdin.end();
  });
  ws.onClose(() => {
    if (child.exitCode === null) child.kill('SIGKILL');
  });
  let outputDone = 0;
  const expected = 2;
  let exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  const finish = () => {
    // the Status goes last, after every byte of output
    if (!exit || outputDone < expected) return;
    send(3, Buffer.from(JSON.stringify(status(exit.code, exit.signal))));
    ws.close();
  };
  child.stdout.on('end', () => {
    outputDone++;
    finish();
  });
  child.stderr.on('end', () => {
    outputDone++;
    finish();
  });
  child.on('exit', (code, signal) => {
    exit = { code, signal };
    finish();
  });
}

/** A channel-4 message: the client's terminal size, as JSON {"Width":..,"Height":..}. */
export function parseResize(msg: Buffer): { cols: number; rows: number } | undefined {
  try {
    const s = JSON.parse(msg.subarray(1).toString()) as { Width?: number; Height?: number };
    const cols = Number(s.Width);
    const rows = Number(s.Height);
    return Number.isInteger(cols) && Number.isInteger(rows) && cols > 0 && rows > 0 && cols < 65536 && rows < 65536 ? { cols, rows } : undefined;
  } catch {
    return undefined;
  }
}

/**
 * exec with a terminal: one output stream (channel 1), stdin as typed, resizes
 * applied. The process starts once the client said its size (kubectl sends it
 * first), so the command sees the right size from its first instruction.
 */
export function serveTtyExec(ws: WebSocketConnection, start: (size: { cols: number; rows: number }) => TtyProcess, streams: { stdin: boolean }): void {
  const send = (channel: number, data: Buffer) => ws.send(Buffer.concat([Buffer.from([channel]), data]));
  let proc: TtyProcess | undefined;
  let closed = false;
  const pending: Buffer[] = [];
  const begin = (size: { cols: number; rows: number }) => {
    if (proc || closed) return;
    proc = start(size);
    proc.onData((d) => send(1, d));
    proc.onExit((code, signal) => {
      send(3, Buffer.from(JSON.stringify(status(signal && !code ? 128 + signal : code, null))));
      ws.close();
    });
    for (const p of pending.splice(0)) proc.write(p);
  };
  const fallback = setTimeout(() => begin({ cols: 80, rows: 24 }), 300);
  ws.onMessage((msg) => {
    if (msg.length === 0) return;
    const channel = msg[0];
    if (channel === 4) {
      const size = parseResize(msg);
      if (!size) return;
      if (!proc) {
        clearTimeout(fallback);
        begin(size);
      } else proc.resize(size.cols, size.rows);
    } else if (channel === 0 && streams.stdin) {
      if (proc) proc.write(msg.subarray(1));
      else pending.push(Buffer.from(msg.subarray(1)));
    } else if (channel === 255 && msg[1] === 0) {
      // end of input on a terminal is ^D
      proc?.write(Buffer.from([4]));
    }
  });
  ws.onClose(() => {
    closed = true;
    clearTimeout(fallback);
    proc?.kill();
  });
}
