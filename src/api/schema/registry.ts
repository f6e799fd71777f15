// The schema registry: upstream model shapes loaded lazily from
// generated/schema.json (made at build time by scripts/gen-schema.mjs), with
// our list semantics applied. Nothing here loads until the first use.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Definition, FieldSchema, SchemaRegistry, SchemaType } from './schema-types.js';
import { RETAIN_KEYS, semanticsFor } from './list-semantics.js';

interface RawField {
  n: string;
  t: string;
  fmt?: string;
  r?: 1;
  d?: string;
}
type RawSchema = Record<string, { d: string; f: RawField[] }>;

function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    const up = dirname(dir);
    if (up === dir) throw new Error('skiff: package root not found');
    dir = up;
  }
}

function loadRaw(): RawSchema {
  const root = packageRoot();
  const file = join(root, 'generated/schema.json');
  if (!existsSync(file)) {
    // a source checkout without a build: generate it once, out of process
    execFileSync(process.execPath, [join(root, 'scripts/gen-schema.mjs')], { stdio: 'ignore' });
  }
  return JSON.parse(readFileSync(file, 'utf8')) as RawSchema;
}

export function parseType(t: string, fmt?: string): SchemaType {
  const arr = /^Array<(.+)>$/.exec(t);
  if (arr) return { type: 'array', items: parseType(arr[1], fmt) };
  const map = /^\{ \[key: string\]: (.+); \}$/.exec(t);
  if (map) return { type: 'map', values: parseType(map[1], fmt) };
  if (t === 'string') return { type: 'string' };
  if (t === 'number') return { type: fmt === 'double' ? 'number' : 'integer' };
  if (t === 'boolean') return { type: 'boolean' };
  if (t === 'Date' || t === 'V1MicroTime') return { type: 'time' };
  if (t === 'IntOrString') return { type: 'int-or-string' };
  if (t === 'any' || t === 'object') return { type: 'any' };
  return { type: 'object', ref: t };
}

function itemRef(s: SchemaType): string | undefined {
  return s.type === 'array' && s.items.type === 'object' ? s.items.ref : undefined;
}

class GeneratedRegistry implements SchemaRegistry {
  private readonly defs = new Map<string, Definition>();

  constructor(raw: RawSchema) {
    for (const [name, d] of Object.entries(raw)) {
      const fields = new Map<string, FieldSchema>();
      for (const f of d.f) {
        const schema = parseType(f.t, f.fmt);
        const fs: FieldSchema = { name: f.n, schema, description: f.d, required: f.r === 1 };
        if (schema.type === 'array') Object.assign(fs, semanticsFor(name, f.n, itemRef(schema)));
        if (RETAIN_KEYS[name]?.includes(f.n)) fs.patchStrategy = 'retainKeys';
        fields.set(f.n, fs);
      }
      this.defs.set(name, { name, description: d.d, fields });
    }
  }

  definition(name: string): Definition | undefined {
    return this.defs.get(name);
  }

  definitionFor(group: string, version: string, kind: string): Definition | undefined {
    const v = version[0].toUpperCase() + version.slice(1);
    if (group === 'events.k8s.io') return this.defs.get(`Events${v}${kind}`);
    if (group === '' && kind === 'Event') return this.defs.get(`Core${v}Event`);
    return this.defs.get(`${v}${kind}`) ?? this.defs.get(`Core${v}${kind}`);
  }

  all(): Iterable<Definition> {
    return this.defs.values();
  }
}

let registry: GeneratedRegistry | undefined;

export function schemaRegistry(): SchemaRegistry {
  registry ??= new GeneratedRegistry(loadRaw());
  return registry;
}
