#!/usr/bin/env node
// Derives src/api/protobuf/proto-schema.json (message -> field number -> JSON
// name and type) from upstream's generated.proto files, so the API server can
// decode the protobuf bodies client-go sends. Needs checkouts of
// kubernetes/api and kubernetes/apimachinery:
//   node scripts/gen-proto-schema.mjs <api-dir> <apimachinery-dir>
// The output is committed; this script only needs to run when upstream changes.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const [apiDir, machineryDir] = process.argv.slice(2);
if (!apiDir || !machineryDir) {
  console.error('usage: gen-proto-schema.mjs <kubernetes/api dir> <kubernetes/apimachinery dir>');
  process.exit(2);
}
const API = ['core/v1', 'apps/v1', 'batch/v1', 'autoscaling/v1', 'autoscaling/v2', 'coordination/v1', 'discovery/v1', 'events/v1', 'networking/v1', 'policy/v1', 'rbac/v1', 'scheduling/v1', 'storage/v1', 'authorization/v1', 'authentication/v1'];
const MACHINERY = ['pkg/apis/meta/v1', 'pkg/runtime', 'pkg/util/intstr', 'pkg/api/resource'];
const files = [...API.map((p) => join(apiDir, p, 'generated.proto')), ...MACHINERY.map((p) => join(machineryDir, p, 'generated.proto'))];

const messages = {};
for (const file of files) {
  const text = readFileSync(file, 'utf8').replace(/\/\/.*$/gm, '');
  const pkg = /package\s+([\w.]+);/.exec(text)[1];
  const re = /message\s+(\w+)\s*\{([^}]*)\}/g;
  let m;
  while ((m = re.exec(text))) {
    const fields = {};
    for (const line of m[2].split(';')) {
      const t = line.trim();
      if (!t) continue;
      const map = /^map<\s*([\w.]+)\s*,\s*([\w.]+)\s*>\s+(\w+)\s*=\s*(\d+)/.exec(t);
      if (map) {
        fields[map[4]] = { n: map[3], t: qualify(map[2], pkg), map: qualify(map[1], pkg) };
        continue;
      }
      const f = /^(optional|repeated|required)?\s*([\w.]+)\s+(\w+)\s*=\s*(\d+)/.exec(t);
      if (!f) continue;
      const entry = { n: f[3], t: qualify(f[2], pkg) };
      if (f[1] === 'repeated') entry.r = 1;
      fields[f[4]] = entry;
    }
    messages[`${pkg}.${m[1]}`] = fields;
  }
}

function qualify(type, pkg) {
  const scalars = ['string', 'bytes', 'bool', 'int32', 'int64', 'uint32', 'uint64', 'double', 'float', 'sint32', 'sint64', 'fixed32', 'fixed64'];
  if (scalars.includes(type)) return type;
  if (type.startsWith('.')) return type.slice(1);
  return type.includes('.') ? type : `${pkg}.${type}`;
}

const out = join(new URL('..', import.meta.url).pathname, 'src/api/protobuf/proto-schema.json');
writeFileSync(out, JSON.stringify(messages));
console.log(`${Object.keys(messages).length} messages written to ${out}`);
