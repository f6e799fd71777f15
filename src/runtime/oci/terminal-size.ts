// Sets the window size of a running container's terminal (kubectl attach -t).
// Not through conmon's control fifo: conmon before 2.2.0 (Debian 12 ships
// 2.1.6) parses the first line of each read once per line read, so two resizes
// that reach it together (kubectl sends size+1 then the size on every attach)
// leave the terminal at the first, wrong size. Instead the size is set on the
// pty itself, reached as the container process's stdin, with stty: one
// TIOCSWINSZ, after which the kernel sends SIGWINCH to the foreground group.
import { spawn } from 'node:child_process';
import { readlink } from 'node:fs/promises';

/** The container's terminal: its main process's stdin, when that is a pty (never anything else). */
async function terminalOf(pid: number): Promise<string | undefined> {
  const path = `/proc/${pid}/fd/0`;
  const target = await readlink(path).catch(() => '');
  return /^\/dev\/pts\/\d+$/.test(target) ? path : undefined;
}

export async function setTerminalSize(pid: number, cols: number, rows: number): Promise<void> {
  const tty = await terminalOf(pid);
  if (!tty) return;
  await new Promise<void>((resolve) => {
    const child = spawn('stty', ['-F', tty, 'rows', String(rows), 'cols', String(cols)], { stdio: 'ignore' });
    child.on('error', () => resolve());
    child.on('exit', () => resolve());
  });
}
