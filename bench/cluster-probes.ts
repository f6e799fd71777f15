// What the service benches watch a 3-node cluster (test/e2e/cluster-harness.ts)
// with, from inside it so that no kubectl start-up or host routing counts in a
// figure: API requests and watches from node 0's namespace (where the API
// listens), and `nft monitor` in a node's namespace (no polling load).
import { spawn } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { loadKubeconfig } from '../src/client/kubeconfig.js';
import type { Cluster } from '../test/e2e/cluster-harness.js';

type Obj = Record<string, any>;

// one request per stdin line ({method, path, body, type}), answered in order with when it started and ended
const API_CLIENT = `
const https = require('https'); const fs = require('fs');
const cfg = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
const agent = new https.Agent({ keepAlive: true, ca: cfg.ca, cert: cfg.cert, key: cfg.key });
const call = (method, path, body, type) => new Promise((resolve, reject) => {
  const r = https.request(cfg.server + path, { method, agent, headers: { 'content-type': type || 'application/json' } }, (res) => { let t = ''; res.on('data', (d) => (t += d)); res.on('end', () => resolve(JSON.parse(t))); });
  r.on('error', reject); r.end(body ? JSON.stringify(body) : undefined); });
let chain = Promise.resolve();
require('readline').createInterface({ input: process.stdin }).on('line', (line) => { chain = chain.then(async () => {
  const req = JSON.parse(line); const start = Date.now();
  const out = await call(req.method, req.path, req.body, req.type);
  console.log(JSON.stringify({ start, end: Date.now(), out }));
}); });
`;

// a watch printed as one line per event with the time it arrived
const WATCH = `
const https = require('https'); const fs = require('fs');
const cfg = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
https.request(cfg.server + process.argv[3], { ca: cfg.ca, cert: cfg.cert, key: cfg.key }, (res) => {
  let buf = ''; res.on('data', (d) => { buf += d; let i; while ((i = buf.indexOf('\\n')) >= 0) { const line = buf.slice(0, i); buf = buf.slice(i + 1);
    if (line.trim()) console.log(JSON.stringify({ t: Date.now(), e: JSON.parse(line) })); } }); }).end();
`;

/** Runs `script` with node in node 0's namespace with the admin credentials file as its first argument. */
function inNode0(c: Cluster, script: string, args: string[]) {
  const kc = loadKubeconfig(c.s.kubeconfig);
  const base = join(tmpdir(), `skiff-bench-${process.pid}-${Math.random().toString(36).slice(2)}`);
  writeFileSync(`${base}.json`, JSON.stringify({ server: kc.server, ca: kc.ca?.toString(), cert: kc.cert?.toString(), key: kc.key?.toString() }));
  writeFileSync(`${base}.cjs`, script);
  const child = spawn('nsenter', [`--net=/var/run/netns/${c.nodes[0]!.netns}`, process.execPath, `${base}.cjs`, `${base}.json`, ...args], { stdio: ['pipe', 'pipe', 'inherit'] });
  const cleanup = () => {
    for (const ext of ['json', 'cjs']) rmSync(`${base}.${ext}`, { force: true });
  };
  return { child, lines: createInterface({ input: child.stdout! }), cleanup };
}

export interface ApiCall {
  start: number;
  end: number;
  out: Obj;
}

/** An API client in node 0 (one keep-alive connection): call() resolves with the reply and when the request started and ended. */
export function apiFromNode0(c: Cluster): { call(method: string, path: string, body?: unknown, type?: string): Promise<ApiCall>; close(): void } {
  const { child, lines, cleanup } = inNode0(c, API_CLIENT, []);
  const waiting: Array<(r: ApiCall) => void> = [];
  lines.on('line', (l) => waiting.shift()?.(JSON.parse(l)));
  return {
    call: (method, path, body, type) =>
      new Promise((resolve) => {
        waiting.push(resolve);
        child.stdin!.write(JSON.stringify({ method, path, body, type }) + '\n');
      }),
    close() {
      child.stdin!.end();
      cleanup();
    },
  };
}

/** A watch of `path` from node 0; events go to `onEvent` with the time they arrived. Returns its stop. */
export function watchFromNode0(c: Cluster, path: string, onEvent: (t: number, type: string, obj: Obj) => void): () => void {
  const { child, lines, cleanup } = inNode0(c, WATCH, [path]);
  lines.on('line', (l) => {
    const { t, e } = JSON.parse(l);
    onEvent(t, e.type, e.object);
  });
  return () => {
    child.kill('SIGTERM');
    cleanup();
  };
}

/** `nft monitor` in a node's namespace; each line with the time it came. Returns its stop. */
export function nftMonitor(netns: string, onLine: (t: number, line: string) => void): () => void {
  const m = spawn('nsenter', [`--net=/var/run/netns/${netns}`, 'stdbuf', '-oL', 'nft', 'monitor'], { stdio: ['ignore', 'pipe', 'ignore'] });
  createInterface({ input: m.stdout! }).on('line', (l) => onLine(Date.now(), l));
  return () => m.kill('SIGTERM');
}
