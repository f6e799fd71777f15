#!/usr/bin/env node
// Generates generated/schema.json: every upstream model's fields (JSON name, type,
// format, required, description) from @kubernetes/client-node's generated models.
// Run at build time so the server never loads client-node itself (~80 MB).
import { readdirSync, readFileSync, writeFileSync, mkdirSync, renameSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const pkgDir = dirname(require.resolve('@kubernetes/client-node/package.json'));
const modelsDir = join(pkgDir, 'dist/gen/models');

function parseDts(text) {
  const start = text.indexOf('export declare class');
  const head = start >= 0 ? text.slice(0, start) : '';
  const lastDoc = head.lastIndexOf('/**');
  const description = lastDoc >= 0 && head.indexOf('*/', lastDoc) > 0 ? clean(head.slice(lastDoc + 3, head.indexOf('*/', lastDoc))) : '';
  const fields = {};
  let doc = null;
  let collecting = null;
  for (const line of text.slice(start).split('\n')) {
    const t = line.trim();
    if (collecting !== null) {
      if (t.startsWith('*/')) {
        doc = clean(collecting);
        collecting = null;
      } else collecting += '\n' + t;
      continue;
    }
    if (t.startsWith('/**')) {
      collecting = '';
      continue;
    }
    const m = /^'([^']+)'(\?)?:/.exec(t);
    if (m) fields[m[1]] = { description: doc ?? '', required: !m[2] };
    doc = null;
  }
  return { description, fields };
}

function clean(doc) {
  return doc
    .split('\n')
    .map((l) => l.replace(/^\s*\*\s?/, '').trim())
    .filter(Boolean)
    .join(' ')
    .replace(/\\(['"])/g, '$1');
}

export async function generate() {
  const out = {};
  for (const file of readdirSync(modelsDir).sort()) {
    if (!file.endsWith('.js') || file === 'all.js' || file === 'ObjectSerializer.js') continue;
    const name = file.slice(0, -3);
    const mod = await import(join(modelsDir, file));
    const cls = mod[name];
    if (!cls || !Array.isArray(cls.attributeTypeMap)) continue;
    let dts = { description: '', fields: {} };
    try {
      dts = parseDts(readFileSync(join(modelsDir, `${name}.d.ts`), 'utf8'));
    } catch {
      // descriptions are optional
    }
    out[name] = {
      d: dts.description,
      f: cls.attributeTypeMap.map((a) => {
        const e = { n: a.baseName, t: a.type };
        if (a.format) e.fmt = a.format;
        const doc = dts.fields[a.name];
        if (doc?.required) e.r = 1;
        if (doc?.description) e.d = doc.description;
        return e;
      }),
    };
  }
  return out;
}

export async function writeSchema(target = join(root, 'generated/schema.json')) {
  const schema = await generate();
  mkdirSync(dirname(target), { recursive: true });
  const tmp = `${target}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(schema));
  renameSync(tmp, target);
  return target;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const target = await writeSchema();
  console.log(`schema written to ${target}`);
}
