// Liveness, readiness and startup probes: exec inside the container, and
// tcpSocket/httpGet from inside the pod's network namespace (the pod's own
// address is its loopback until pods get addresses on the node network).
import { execFile } from 'node:child_process';
import type { Runtime } from '../runtime/runtime.js';

type Obj = Record<string, any>;

export interface ProbeResult {
  ok: boolean;
  message?: string;
}

export interface ProbeTarget {
  runtime: Runtime;
  containerId: string;
  /** pid of the pod sandbox, whose network namespace the probe enters */
  sandboxPid: number;
  busybox: string;
  containerPorts: Obj[];
}

function port(p: unknown, target: ProbeTarget): number {
  if (typeof p === 'number') return p;
  const named = target.containerPorts.find((x) => x.name === p);
  return named?.containerPort ?? Number(p);
}

function inPodNetwork(target: ProbeTarget, args: string[], input: string | undefined, timeoutMs: number): Promise<{ code: number; stdout: string }> {
  return new Promise((resolve) => {
    const child = execFile('nsenter', [`--net=/proc/${target.sandboxPid}/ns/net`, target.busybox, ...args], { timeout: timeoutMs }, (err, stdout) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout: String(stdout) });
    });
    // nc exits at once when the port is closed: a write to its stdin then fails, which is a failed probe, not a crash
    child.stdin?.on('error', () => {});
    if (input !== undefined) child.stdin?.end(input);
  });
}

export async function runProbe(probe: Obj, target: ProbeTarget): Promise<ProbeResult> {
  const timeoutMs = (probe.timeoutSeconds ?? 1) * 1000;
  if (probe.exec) {
    const r = await target.runtime.exec(target.containerId, probe.exec.command ?? [], timeoutMs);
    return r.exitCode === 0 ? { ok: true } : { ok: false, message: `command ${JSON.stringify(probe.exec.command)} exited with ${r.exitCode}: ${r.output.trim().slice(0, 200)}` };
  }
  if (probe.tcpSocket) {
    const p = port(probe.tcpSocket.port, target);
    // busybox nc has no -z: run `true` on the connection, which succeeds only if it opened
    const r = await inPodNetwork(target, ['nc', '-w', String(Math.max(1, probe.timeoutSeconds ?? 1)), probe.tcpSocket.host ?? '127.0.0.1', String(p), '-e', target.busybox, 'true'], undefined, timeoutMs + 500);
    return r.code === 0 ? { ok: true } : { ok: false, message: `dial tcp ${probe.tcpSocket.host ?? '127.0.0.1'}:${p}: connect: connection refused` };
  }
  if (probe.httpGet) {
    const g = probe.httpGet;
    const p = port(g.port, target);
    const host = g.host ?? '127.0.0.1';
    const headers = ((g.httpHeaders ?? []) as Obj[]).map((h) => `${h.name}: ${h.value}\r\n`).join('');
    const request = `GET ${g.path ?? '/'} HTTP/1.0\r\nHost: ${host}:${p}\r\nUser-Agent: kube-probe/1.32\r\n${headers}\r\n`;
    const r = await inPodNetwork(target, ['nc', '-w', String(Math.max(1, probe.timeoutSeconds ?? 1)), host, String(p)], request, timeoutMs + 500);
    const m = /^HTTP\/\d\.\d (\d{3})/.exec(r.stdout);
    if (!m) return { ok: false, message: `Get "http://${host}:${p}${g.path ?? '/'}": no response` };
    const code = Number(m[1]);
    return code >= 200 && code < 400 ? { ok: true } : { ok: false, message: `HTTP probe failed with statuscode: ${code}` };
  }
  return { ok: true };
}

/** Per-container probe bookkeeping, reset whenever the container is replaced. */
export class ProbeState {
  started: boolean;
  ready = false;
  private last: Record<string, number> = {};
  private successes: Record<string, number> = {};
  private failures: Record<string, number> = {};

  constructor(
    readonly containerId: string,
    private readonly c: Obj,
  ) {
    this.started = !c.startupProbe;
    this.ready = !c.readinessProbe;
  }

  /** Runs whatever probes are due; returns a message when liveness/startup says restart. */
  async tick(startedAtMs: number, target: ProbeTarget, onFailure: (message: string) => void = () => {}): Promise<string | undefined> {
    const now = Date.now();
    const due = (kind: string, p: Obj) => now - startedAtMs >= (p.initialDelaySeconds ?? 0) * 1000 && now - (this.last[kind] ?? 0) >= (p.periodSeconds ?? 10) * 1000;
    const record = async (kind: string, p: Obj): Promise<boolean | undefined> => {
      this.last[kind] = now;
      const r = await runProbe(p, target);
      if (r.ok) {
        this.successes[kind] = (this.successes[kind] ?? 0) + 1;
        this.failures[kind] = 0;
        return this.successes[kind] >= (p.successThreshold ?? 1) ? true : undefined;
      }
      this.failures[kind] = (this.failures[kind] ?? 0) + 1;
      this.successes[kind] = 0;
      this.lastMessage = r.message;
      onFailure(`${kind[0].toUpperCase()}${kind.slice(1)} probe failed: ${r.message ?? ''}`);
      return this.failures[kind] >= (p.failureThreshold ?? 3) ? false : undefined;
    };
    if (!this.started) {
      const p = this.c.startupProbe;
      if (!due('startup', p)) return undefined;
      const v = await record('startup', p);
      if (v === true) this.started = true;
      if (v === false) return `Startup probe failed: ${this.lastMessage ?? ''}`;
      return undefined;
    }
    if (this.c.readinessProbe && due('readiness', this.c.readinessProbe)) {
      const v = await record('readiness', this.c.readinessProbe);
      if (v !== undefined) this.ready = v;
    }
    if (this.c.livenessProbe && due('liveness', this.c.livenessProbe)) {
      const v = await record('liveness', this.c.livenessProbe);
      if (v === false) return `Liveness probe failed: ${this.lastMessage ?? ''}`;
    }
    return undefined;
  }

  lastMessage?: string;
}
