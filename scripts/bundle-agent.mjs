// Bundles the compiled CLI (DIST/src/cli/main.js, after tsc) into DIST/agent/,
// which bin/skiff runs for `skiff agent`: a few minified files instead of ~200
// modules (ours, yaml, dns-packet) keeps less source text, fewer module records
// and less code on the agent's heap (bench/node-density.ts). The server and the
// other commands keep running DIST/src (their chunks are made but not used).
// Dynamic imports become chunks, loaded as before only when needed.
// certificates.js is its own entry: self-signed.ts loads it by its path beside
// itself (./certificates.js) in a worker thread. node-pty is required at its
// first use and better-sqlite3 is the server's; both stay outside, found in
// node_modules above DIST as before.
// Usage: node scripts/bundle-agent.mjs [DIST=dist]
import { build } from 'esbuild';
import { rmSync } from 'node:fs';
import { join, resolve } from 'node:path';

const dist = resolve(process.argv[2] ?? 'dist');
const outdir = join(dist, 'agent');
rmSync(outdir, { recursive: true, force: true });
await build({
  entryPoints: [join(dist, 'src/cli/main.js'), join(dist, 'src/apiserver/pki/certificates.js')],
  entryNames: '[name]',
  outdir,
  bundle: true,
  splitting: true,
  minify: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  external: ['node-pty', 'better-sqlite3'],
  // the CommonJS packages bundled in (yaml) call require for Node's own modules
  banner: { js: "import { createRequire as __skiffRequire } from 'node:module'; const require = __skiffRequire(import.meta.url);" },
  logLevel: 'warning',
});
