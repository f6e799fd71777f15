// kubectl exec over the Kubernetes channel protocols (v5.channel.k8s.io and
// v4): each binary message starts with its channel — 0 stdin, 1 stdout,
// 2 stderr, 3 error (the final Status), 4 resize; v5 adds 255 to close a stream.
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import type { WebSocketConnection } from './websocket.js';

export const EXEC_PROTOCOLS = ['v5.channel.k8s.io', 'v4.channel.k8s.io'];

function status(code: number | null, signal: NodeJS.Signals | null): object {
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
