// Starts the node's short-lived helper programs (mount, conmon, runc, CNI
// plugins) through one long-lived busybox shell instead of forking the agent
// for each. Node forks its whole process for every child and blocks its event
// loop meanwhile: 5 ms for a bare node here and 10-19 ms for an agent with 100
// pods (a CPU profile of bench/pod-startup.ts: a third of the agent's busy time
// was ChildProcess.spawn), where a 1 MB shell forks in well under a
// millisecond and the agent only writes a line. A pod start is six such
// programs. Each job's stdin, stdout and stderr are files in a private
// directory; the shell answers "ID STATUS" when the job ends.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import type { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface LaunchOptions {
  cwd?: string;
  /** variables added to the agent's environment for this program */
  env?: Record<string, string>;
  /** what the program reads on stdin (nothing otherwise) */
  input?: string;
}

export interface LaunchResult {
  /** exit status; 128+N when signal N ended it */
  code: number;
  stdout: string;
  stderr: string;
}

/** A program that ended with a status other than 0, as execFile's errors carry them. */
export class LaunchError extends Error {
  constructor(
    readonly code: number,
    readonly stdout: string,
    readonly stderr: string,
    command: string,
  ) {
    super(`${command} exited with ${code}${stderr.trim() ? `: ${stderr.trim()}` : ''}`);
  }
}

// Reads an id and a command per job and runs the command in the background; its end prints
// "id status". `jobs` forgets the jobs that ended (ash keeps every background job otherwise).
const LOOP = 'while IFS= read -r id && IFS= read -r cmd; do (eval "$cmd"; echo "$id $?") & jobs >/dev/null; done';

function quote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

export class Launcher {
  private shell?: ChildProcessWithoutNullStreams;
  private dir?: string;
  private next = 0;
  private readonly jobs = new Map<number, { resolve: (r: LaunchResult) => void; reject: (e: Error) => void }>();
  private buffered = '';

  constructor(
    private readonly busybox: string,
    /** where jobs' stdin and output files go (emptied at start); a new temporary directory when absent */
    private readonly workDir?: string,
  ) {}

  /** Runs a program to its end; resolves with its status and output whatever the status. */
  run(file: string, args: string[], opts: LaunchOptions = {}): Promise<LaunchResult> {
    const words = [file, ...args];
    const env = Object.entries(opts.env ?? {});
    // a line per job: anything with a newline in it goes to a fork of our own
    if ([...words, opts.cwd ?? '', ...env.flat()].some((w) => w.includes('\n')) || env.some(([k]) => !NAME.test(k))) return runDirect(file, args, opts);
    const { shell, dir } = this.started();
    const id = ++this.next;
    const io = join(dir, String(id));
    if (opts.input !== undefined) writeFileSync(`${io}.in`, opts.input);
    const redirects = `<${opts.input !== undefined ? quote(`${io}.in`) : '/dev/null'} >${quote(`${io}.out`)} 2>${quote(`${io}.err`)}`;
    const cmd = `${opts.cwd ? `cd ${quote(opts.cwd)} && ` : ''}${env.map(([k, v]) => `${k}=${quote(v)} `).join('')}${words.map(quote).join(' ')} ${redirects}`;
    return new Promise((resolve, reject) => {
      // while a job runs, the shell's answers keep the process alive (a CLI waiting on one must not exit)
      if (this.jobs.size === 0) (shell.stdout as unknown as Socket).ref();
      this.jobs.set(id, { resolve, reject });
      shell.stdin.write(`${id}\n${cmd}\n`);
    });
  }

  /** Runs a program and resolves with its output, or rejects with a LaunchError when its status is not 0. */
  exec(file: string, args: string[], opts: LaunchOptions = {}): Promise<{ stdout: string; stderr: string }> {
    return execProgram(this, file, args, opts);
  }

  private started(): { shell: ChildProcessWithoutNullStreams; dir: string } {
    if (this.shell && this.dir) return { shell: this.shell, dir: this.dir };
    const dir = (this.dir ??= this.workDir ? freshDir(this.workDir) : mkdtempSync(join(tmpdir(), 'skiff-launch-')));
    const shell = spawn(this.busybox, ['sh', '-c', LOOP], { stdio: ['pipe', 'pipe', 'pipe'] });
    this.shell = shell;
    shell.stdout.setEncoding('utf8');
    shell.stdout.on('data', (d: string) => this.onStatus(d));
    shell.stderr.resume();
    shell.stdin.on('error', () => {}); // the exit handler below answers the jobs
    shell.once('exit', () => {
      if (this.shell === shell) this.shell = undefined;
      // jobs it was running go on, but their ends will not be reported: their callers hear it now
      for (const [id, job] of this.jobs) {
        this.jobs.delete(id);
        job.reject(new Error('the launcher shell ended while a program it started was running'));
      }
    });
    // idle, it keeps nothing alive
    shell.unref();
    for (const s of [shell.stdin, shell.stdout, shell.stderr] as unknown as Socket[]) s.unref();
    return { shell, dir };
  }

  private onStatus(data: string): void {
    this.buffered += data;
    let nl: number;
    while ((nl = this.buffered.indexOf('\n')) >= 0) {
      const line = this.buffered.slice(0, nl);
      this.buffered = this.buffered.slice(nl + 1);
      const [idText, status] = line.split(' ');
      const id = Number(idText);
      const job = this.jobs.get(id);
      if (!job) continue;
      this.jobs.delete(id);
      const io = join(this.dir!, String(id));
      const read = (f: string) => {
        try {
          return readFileSync(f, 'utf8');
        } catch {
          return '';
        }
      };
      const result = { code: Number(status), stdout: read(`${io}.out`), stderr: read(`${io}.err`) };
      for (const f of ['in', 'out', 'err']) rmSync(`${io}.${f}`, { force: true });
      job.resolve(result);
    }
    if (this.jobs.size === 0 && this.shell) (this.shell.stdout as unknown as Socket).unref();
  }

  close(): void {
    this.shell?.stdin.end();
    this.shell = undefined;
    if (this.dir) rmSync(this.dir, { recursive: true, force: true });
    this.dir = undefined;
  }
}

/** The directory emptied of what an earlier process left there. */
function freshDir(dir: string): string {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  return dir;
}

/** A program run to its end through the launcher when there is one, else as a child of this process. */
export function runProgram(launcher: Launcher | undefined, file: string, args: string[], opts: LaunchOptions = {}): Promise<LaunchResult> {
  return launcher ? launcher.run(file, args, opts) : runDirect(file, args, opts);
}

/** As runProgram, rejecting with a LaunchError when the status is not 0. */
export async function execProgram(launcher: Launcher | undefined, file: string, args: string[], opts: LaunchOptions = {}): Promise<{ stdout: string; stderr: string }> {
  const r = await runProgram(launcher, file, args, opts);
  if (r.code !== 0) throw new LaunchError(r.code, r.stdout, r.stderr, `${file} ${args[0] ?? ''}`.trim());
  return { stdout: r.stdout, stderr: r.stderr };
}

/** The same through a fork of the agent, for what a line cannot carry. */
function runDirect(file: string, args: string[], opts: LaunchOptions): Promise<LaunchResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { cwd: opts.cwd, env: { ...process.env, ...opts.env }, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code: code ?? 128 + (signal ? signalNumber(signal) : 0), stdout, stderr }));
    child.stdin.end(opts.input);
  });
}

function signalNumber(signal: NodeJS.Signals): number {
  return (({ SIGKILL: 9, SIGTERM: 15, SIGINT: 2, SIGHUP: 1, SIGSEGV: 11, SIGABRT: 6 }) as Record<string, number>)[signal] ?? 0;
}
