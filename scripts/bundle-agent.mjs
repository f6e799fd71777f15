// Bundles the compiled CLI (DIST/src/cli/main.js, after tsc) into DIST/agent/,
// which bin/skiff runs for `skiff agent`: a few minified files instead of ~200
// modules (ours, yaml, dns-packet) keeps less source text, fewer module records
// and less code on the agent's heap (bench/node-density.ts). The server and the
// other commands keep running DIST/src (their chunks are made but not used).
// Dynamic imports become chunks, loaded as before only when needed.
// node-pty is required at its first use and better-sqlite3 is the server's;
// both stay outside, found in node_modules above DIST as before.
// Node's own modules are required, not imported: importing one as ESM builds a
// facade that reads every export once, getters included (node:tls's
// rootCertificates parses ~140 certificates, crypto's webcrypto loads Web
// Crypto): with the agent's 20 modules ~0.4 MB more heap and ~1.5 MB more RSS
// than requiring them.
// Usage: node scripts/bundle-agent.mjs [DIST=dist]
import { build } from 'esbuild';
import { rmSync } from 'node:fs';
import { createRequire, isBuiltin } from 'node:module';
import { join, resolve } from 'node:path';

const nodeRequire = createRequire(import.meta.url);
const RESERVED = new Set('await break case catch class const continue debugger default delete do else enum export extends false finally for function if implements import in instanceof interface let new null package private protected public return static super switch this throw true try typeof var void while with yield'.split(' '));

/**
 * `import { x } from 'node:fs'` resolves to a module of the bundle that
 * requires node:fs and exports its plain values; accessor exports (tls's
 * rootCertificates, crypto's webcrypto) are reached only through the default
 * export, so nothing runs them at import. A named import of one fails the
 * bundle ("No matching export"): use the default export there.
 */
const requireBuiltins = {
  name: 'require-builtins',
  setup(b) {
    b.onResolve({ filter: /^[a-z][a-z0-9_:/]*$/ }, (args) => {
      if (!isBuiltin(args.path)) return undefined;
      if (args.kind === 'require-call' || args.kind === 'dynamic-import') return { path: args.path, external: true };
      return { path: args.path, namespace: 'builtin' };
    });
    b.onLoad({ filter: /.*/, namespace: 'builtin' }, (args) => {
      const plain = Object.entries(Object.getOwnPropertyDescriptors(nodeRequire(args.path)))
        .filter(([k, d]) => 'value' in d && /^[A-Za-z_$][\w$]*$/.test(k) && !RESERVED.has(k))
        .map(([k]) => `export const ${k} = m.${k};`);
      return { contents: `const m = require(${JSON.stringify(args.path)});\nexport default m;\n${plain.join('\n')}\n`, loader: 'js' };
    });
  },
};

const dist = resolve(process.argv[2] ?? 'dist');
const outdir = join(dist, 'agent');
rmSync(outdir, { recursive: true, force: true });
await build({
  entryPoints: [join(dist, 'src/cli/main.js')],
  entryNames: '[name]',
  outdir,
  bundle: true,
  splitting: true,
  minify: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  external: ['node-pty', 'better-sqlite3'],
  plugins: [requireBuiltins],
  // the CommonJS packages bundled in (yaml) and the plugin above call require for Node's own modules
  banner: { js: "import { createRequire as __skiffRequire } from 'node:module'; const require = __skiffRequire(import.meta.url);" },
  logLevel: 'warning',
});
