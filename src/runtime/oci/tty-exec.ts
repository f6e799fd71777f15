// `kubectl exec -it`: a command with a terminal. Node has no pty API, so the
// node-pty addon opens a host pty and `runc exec --process` (terminal: true,
// the client's size as consoleSize) runs on it. In the
// foreground runc itself allocates the container's own pty (its devpts, so
// `tty` inside says /dev/pts/N), receives the master over its console socket,
// relays it to our pty and applies our pty's size on every SIGWINCH, which the
// kernel sends when we resize ours. Smaller than receiving the master fd over a
// unix socket ourselves (Node cannot take SCM_RIGHTS), and the container never
// sees a host terminal.
import { createRequire } from 'node:module';
import type { TtyProcess } from '../runtime.js';

// loaded on the first `exec -it`, not at agent start: the addon and its JS cost the agent memory it rarely needs
let nodePty: typeof import('node-pty') | undefined;
const loadNodePty = () => (nodePty ??= createRequire(import.meta.url)('node-pty') as typeof import('node-pty'));

/** processFile: the OCI process to run (args, terminal: true, consoleSize), as `runc exec --process` reads it */
export function spawnTtyExec(runtimePath: string, runtimeRoot: string, id: string, processFile: string, size: { cols: number; rows: number }): TtyProcess {
  const pty = loadNodePty().spawn(runtimePath, ['--root', runtimeRoot, 'exec', '--process', processFile, id], {
    cols: size.cols,
    rows: size.rows,
    // raw bytes: the stream is binary as far as the kubelet is concerned
    encoding: null,
    env: { PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin', TERM: 'xterm' },
  });
  let exited: { code: number; signal?: number } | undefined;
  pty.onExit((e) => (exited = { code: e.exitCode, signal: e.signal }));
  return {
    write: (d) => {
      if (!exited) pty.write(d as unknown as string);
    },
    resize: (cols, rows) => {
      if (!exited && cols > 0 && rows > 0) pty.resize(cols, rows);
    },
    onData: (cb) => void pty.onData((d) => cb(Buffer.isBuffer(d) ? d : Buffer.from(d))),
    onExit: (cb) => void pty.onExit((e) => cb(e.exitCode, e.signal ? e.signal : undefined)),
    kill: () => {
      if (!exited) pty.kill('SIGKILL');
    },
  };
}
