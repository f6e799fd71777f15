// HTTP/1.0 client traffic from inside a network namespace (the cluster's
// client host), for the e2e tests and benches that count failed requests:
// a fixed number of requests, or constant traffic until stopped. Every request
// is a new connection from a local port the generator picks itself, so a
// failure can be matched to its flow in a node's conntrack table afterwards
// (node reports neither the local port of a refused connect nor its backend).
import { execFileSync, spawn } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

// argv: ip port requests concurrency. A failure is printed at once as `F {json}`, the summary last.
const LOADGEN = `
const net = require('net');
const [ip, port, n, c] = process.argv.slice(2); let left = Number(n); const lat = []; let failed = 0; let next = 0;
const localPort = () => 20000 + (next++ % 40000);
const one = () => new Promise((resolve) => { const t = process.hrtime.bigint(); const start = Date.now(); const lp = localPort(); const s = net.connect({ port: Number(port), host: ip, localPort: lp }); let got = ''; let code = '';
  s.setTimeout(5000, () => { code = 'timeout'; s.destroy(); });
  s.on('connect', () => s.write('GET / HTTP/1.0\\r\\n\\r\\n')); s.on('data', (d) => (got += d));
  s.on('error', (e) => { code = code || e.code || String(e); });
  s.on('close', () => {
    if (code === 'EADDRINUSE') return resolve(false); // our own port still in TIME_WAIT: not a request
    if (got.startsWith('HTTP/1.0 200') || got.startsWith('HTTP/1.1 200')) lat.push(Number(process.hrtime.bigint() - t) / 1e6);
    else { failed++; console.log('F ' + JSON.stringify({ start, t: Date.now(), code: code || (got ? 'status ' + got.split('\\r\\n')[0] : 'empty reply'), port: lp })); }
    resolve(true); }); });
const worker = async () => { while (left > 0) { if (await one()) left--; } };
const t0 = Date.now();
const report = () => { const ms = Date.now() - t0; lat.sort((a, b) => a - b);
  console.log(JSON.stringify({ ok: lat.length, failed, rps: lat.length / (ms / 1000), p50: lat[Math.floor(lat.length / 2)], p99: lat[Math.floor(lat.length * 0.99)] })); };
process.on('SIGTERM', () => { report(); process.exit(0); });
Promise.all(Array.from({ length: Number(c) }, worker)).then(report);
`;

export interface TrafficResult {
  ok: number;
  failed: number;
  rps: number;
  p50: number;
  p99: number;
}

export interface TrafficFailure {
  /** when the connection was opened (ms since the epoch) */
  start: number;
  /** when it failed */
  t: number;
  /** the socket error code, 'timeout' (5 s), 'empty reply' or 'status <line>' */
  code: string;
  /** the local port the connection came from */
  port: number;
}

function script(): string {
  const file = join(tmpdir(), `skiff-http-loadgen-${process.pid}.cjs`);
  writeFileSync(file, LOADGEN);
  return file;
}

const summary = (out: string): TrafficResult => JSON.parse(out.trim().split('\n').filter((l) => !l.startsWith('F ')).pop()!);

/** `requests` requests, `concurrency` at a time; waits for them all. */
export function runTraffic(netns: string, ip: string, port: number, requests: number, concurrency: number): TrafficResult {
  const file = script();
  try {
    return summary(execFileSync('nsenter', [`--net=/var/run/netns/${netns}`, process.execPath, file, ip, String(port), String(requests), String(concurrency)], { encoding: 'utf8', timeout: 600_000, maxBuffer: 64 << 20 }));
  } finally {
    rmSync(file, { force: true });
  }
}

/** Constant traffic, `concurrency` at a time, until stop(); failures are reported as they happen. */
export function startTraffic(netns: string, ip: string, port: number, concurrency: number, onFailure?: (f: TrafficFailure) => void): { stop(): Promise<TrafficResult> } {
  const file = script();
  const gen = spawn('nsenter', [`--net=/var/run/netns/${netns}`, process.execPath, file, ip, String(port), '1000000000', String(concurrency)], { stdio: ['ignore', 'pipe', 'inherit'] });
  const lines: string[] = [];
  createInterface({ input: gen.stdout! }).on('line', (l) => {
    if (l.startsWith('F ')) onFailure?.(JSON.parse(l.slice(2)));
    else lines.push(l);
  });
  const exited = new Promise<void>((r) => gen.once('close', () => r()));
  return {
    async stop() {
      gen.kill('SIGTERM');
      await exited;
      rmSync(file, { force: true });
      return summary(lines.join('\n'));
    },
  };
}
