// One long-lived `nft -i` process for small transactions: starting nft costs
// far more than what an endpoint change asks of the kernel (on a loaded 2-core
// machine ~200 ms to start against ~20 ms for a few elements), so the proxy
// keeps one open. nft takes each input line as one transaction (all commands
// on it or none); errors come on stderr, and nothing marks success. So every
// transaction is followed by a read-only marker command that always fails
// (listing a set that does not exist): its error, which repeats the command
// line, says the transaction before it is done, and any error in between is
// the transaction's.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { TABLE } from './nft-rules.js';

export class NftSession {
  private child?: ChildProcessWithoutNullStreams;
  private stderr = '';
  private seq = 0;
  private pending?: { marker: string; resolve(): void; reject(e: Error): void; timer: NodeJS.Timeout };
  private queue: Promise<void> = Promise.resolve();

  /** `wrap` runs nft through another command (tests: nsenter into their namespace). */
  constructor(
    private readonly timeoutMs = 10_000,
    private readonly wrap: string[] = [],
  ) {}

  /** Runs the commands as one transaction; rejects with nft's error (nothing was applied then). */
  run(commands: string[]): Promise<void> {
    const line = commands.join(' ; ');
    if (line.includes('\n')) return Promise.reject(new Error('an nft transaction for the session must be one line'));
    const result = this.queue.then(() => this.send(line));
    this.queue = result.catch(() => {});
    return result;
  }

  close(): void {
    // end of input ends nft -i; only this session's own child is ever signalled
    this.child?.stdin.end();
    this.child = undefined;
  }

  private start(): ChildProcessWithoutNullStreams {
    const [cmd, ...args] = [...this.wrap, 'nft', '-i'];
    const child = spawn(cmd!, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    this.stderr = '';
    // nothing asked of the session prints on stdout; drain it so nft never blocks
    child.stdout.resume();
    child.stderr.on('data', (d) => {
      this.stderr += d;
      this.check();
    });
    const gone = (why: string) => {
      if (this.child === child) this.child = undefined;
      this.fail(new Error(why));
    };
    child.on('error', (e) => gone(`nft -i could not run (apt-get install nftables): ${e.message}`));
    child.on('exit', (code) => gone(`nft -i exited (${code}): ${this.stderr.trim().slice(0, 500)}`));
    child.stdin.on('error', () => {}); // a dead nft shows as 'exit'
    return child;
  }

  private send(line: string): Promise<void> {
    this.child ??= this.start();
    const child = this.child;
    const marker = `skiff-ack-${++this.seq}`;
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        // a stuck nft is replaced; the caller falls back to a full rebuild
        this.fail(new Error(`nft -i gave no answer in ${this.timeoutMs} ms`));
        if (this.child === child) this.child = undefined;
        child.kill('SIGKILL');
      }, this.timeoutMs);
      this.pending = { marker, resolve, reject, timer };
      child.stdin.write(`${line}\nlist set ip ${TABLE} ${marker}\n`);
    });
  }

  private check(): void {
    const p = this.pending;
    if (!p) return;
    const at = this.stderr.indexOf(`${p.marker}\n`);
    if (at < 0) return;
    // what came before the marker's own error belongs to the transaction
    const before = this.stderr.slice(0, this.stderr.lastIndexOf('Error:', at));
    this.stderr = this.stderr.slice(at + p.marker.length + 1);
    // the marker's error ends with a line of carets under the name; drop it with the rest
    this.stderr = this.stderr.replace(/^[ ^]*\n/, '');
    this.pending = undefined;
    clearTimeout(p.timer);
    if (/Error/.test(before)) p.reject(new Error(`nft transaction failed: ${before.trim().slice(0, 2000)}`));
    else p.resolve();
  }

  private fail(e: Error): void {
    const p = this.pending;
    if (!p) return;
    this.pending = undefined;
    clearTimeout(p.timer);
    p.reject(e);
  }
}
