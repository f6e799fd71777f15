// kubectl attach: the container's main process, kept by conmon. Input goes to
// conmon's attach socket, a SOCK_SEQPACKET socket Node cannot open, so a socat
// per session carries it; what conmon sends back there is drained and dropped
// (conmon's blocking writes would otherwise stall the container) because the
// packets lose their stream tags in a byte pipe. Output is read from the
// container's log, which conmon writes as it reads, stream by stream.
import { spawn } from 'node:child_process';
import { closeSync, existsSync, openSync, readSync, statSync } from 'node:fs';
import { basename, dirname } from 'node:path';
import type { AttachEndpoint } from '../runtime/runtime.js';
import type { WebSocketConnection } from './websocket.js';
import { parseResize, status } from './exec-stream.js';

const POLL_MS = 50;

/** Follows a CRI log from its current end, raw: partial entries as they come, a full one with its newline. */
function followLog(path: string, emit: (stream: 'stdout' | 'stderr', data: Buffer) => void): { drain(): void; stop(): void } {
  let offset = existsSync(path) ? statSync(path).size : 0;
  let rest = '';
  const drain = () => {
    if (!existsSync(path)) return;
    const size = statSync(path).size;
    if (size <= offset) return;
    const buf = Buffer.alloc(size - offset);
    const fd = openSync(path, 'r');
    try {
      readSync(fd, buf, 0, buf.length, offset);
    } finally {
      closeSync(fd);
    }
    offset = size;
    const text = rest + buf.toString('utf8');
    const cut = text.lastIndexOf('\n') + 1;
    rest = text.slice(cut);
    for (const line of text.slice(0, cut).split('\n')) {
      // "<time> <stream> <P|F> <message>"
      const m = /^\S+ (stdout|stderr) ([PF]) ?(.*)$/s.exec(line);
      if (!m) continue;
      emit(m[1] as 'stdout' | 'stderr', Buffer.from(m[2] === 'F' ? `${m[3]}\n` : m[3]));
    }
  };
  const timer = setInterval(drain, POLL_MS);
  return { drain, stop: () => clearInterval(timer) };
}

export function serveAttach(ws: WebSocketConnection, ep: AttachEndpoint, streams: { stdin: boolean; stdout: boolean; stderr: boolean; tty: boolean }, running: () => Promise<boolean>): void {
  const send = (channel: number, data: Buffer) => ws.send(Buffer.concat([Buffer.from([channel]), data]));
  let done = false;
  const log = followLog(ep.logPath, (stream, data) => {
    if (stream === 'stderr' && !ep.tty) {
      if (streams.stderr) send(2, data);
    } else if (streams.stdout) send(1, data);
  });
  // relative path: the socket's absolute path may pass the 108-byte limit of unix socket names
  const input = streams.stdin && ep.stdin ? spawn('socat', ['-', `UNIX-CONNECT:${basename(ep.socketPath)},type=5`], { cwd: dirname(ep.socketPath), stdio: ['pipe', 'pipe', 'ignore'] }) : undefined;
  input?.stdout.resume();
  input?.stdin.on('error', () => {});
  input?.on('error', () => {});
  const finish = (ok: boolean, message?: string) => {
    if (done) return;
    done = true;
    clearInterval(watch);
    log.drain();
    log.stop();
    input?.kill();
    send(3, Buffer.from(JSON.stringify(ok ? status(0, null) : { metadata: {}, status: 'Failure', message, reason: 'InternalError', code: 500 })));
    ws.close();
  };
  // the session ends with the process
  const watch = setInterval(() => {
    void running().then((r) => {
      if (!r) finish(true);
    });
  }, 250);
  // one at a time and in order: kubectl sends size+1 then the size (to force a redraw), and the last one must win
  let resizes = Promise.resolve();
  ws.onMessage((msg) => {
    if (msg.length === 0 || done) return;
    const channel = msg[0];
    if (channel === 0 && input) input.stdin.write(msg.subarray(1));
    else if (channel === 255 && msg[1] === 0) input?.stdin.end();
    else if (channel === 4 && ep.tty) {
      const size = parseResize(msg);
      if (size) resizes = resizes.then(() => ep.resize(size.cols, size.rows)).catch(() => {});
    }
  });
  ws.onClose(() => {
    done = true;
    clearInterval(watch);
    log.stop();
    input?.kill();
  });
}
