#!/usr/bin/env node
// Derives src/api/protobuf/proto-schema.json (message -> field number -> JSON
// name and type) from upstream's generated.proto files, so the API server can
// decode the protobuf bodies client-go sends. Needs checkouts of
// kubernetes/api and kubernetes/apimachinery:
//   node scripts/gen-proto-schema.mjs <api-dir> <apimachinery-dir>
// The output is committed; this script only needs to run when upstream changes.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
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

// What the Go structs say that the .proto files do not: a field embedded with
// `json:",inline"` (its fields go in the parent's JSON: flag i), and a
// non-pointer scalar with omitempty (gogo writes it even at its zero value,
// Go's JSON leaves it out: flag o, so the decoder drops the zero).
function goFieldFlags(dir) {
  const out = {};
  for (const name of readdirSync(dir)) {
    if (!name.endsWith('.go') || name.endsWith('_test.go') || name.startsWith('zz_') || name === 'generated.pb.go') continue;
    const text = readFileSync(join(dir, name), 'utf8');
    const re = /type\s+(\w+)\s+struct\s*\{([\s\S]*?)\n\}/g;
    let m;
    while ((m = re.exec(text))) {
      const fields = {};
      for (const line of m[2].split('\n')) {
        const f = /^\s*(\w+\s+)?([*\[\]\w.]+(?:\[[\w.]+\][*\w.]+)?)\s+`json:"([^"]*)"[^`]*protobuf:"\w+,(\d+),/.exec(line);
        if (!f) continue;
        const [, fieldName, goType, json, num] = f;
        const [jsonName, ...opts] = json.split(',');
        // an embedded struct without a JSON name is inlined by encoding/json, as is `json:",inline"`
        if (opts.includes('inline') || (!fieldName && !jsonName)) fields[num] = 'i';
        else if (opts.includes('omitempty') && !/^[*[]|^map\[/.test(goType)) fields[num] = `o:${jsonName}`;
        else if (jsonName) fields[num] = `n:${jsonName}`;
      }
      out[m[1]] = fields;
    }
  }
  return out;
}

function qualify(type, pkg) {
  const scalars = ['string', 'bytes', 'bool', 'int32', 'int64', 'uint32', 'uint64', 'double', 'float', 'sint32', 'sint64', 'fixed32', 'fixed64'];
  if (scalars.includes(type)) return type;
  if (type.startsWith('.')) return type.slice(1);
  return type.includes('.') ? type : `${pkg}.${type}`;
}

const SCALAR = new Set(['string', 'bool', 'int32', 'int64', 'uint32', 'uint64', 'double', 'float', 'sint32', 'sint64', 'fixed32', 'fixed64']);
const goDirs = [...API.map((p) => join(apiDir, p)), ...MACHINERY.map((p) => join(machineryDir, p))];
for (const dir of goDirs) {
  const pkgText = readFileSync(join(dir, 'generated.proto'), 'utf8');
  const pkg = /package\s+([\w.]+);/.exec(pkgText)[1];
  // runtime.Unknown is the envelope, decoded field by field, not an object's JSON
  if (pkg === 'k8s.io.apimachinery.pkg.runtime') continue;
  for (const [struct, flags] of Object.entries(goFieldFlags(dir))) {
    const msg = messages[`${pkg}.${struct}`];
    if (!msg) continue;
    for (const [num, flag] of Object.entries(flags)) {
      const f = msg[num];
      if (!f || f.r || f.map) continue;
      if (flag === 'i' && !SCALAR.has(f.t)) f.i = 1;
      if (flag.startsWith('o:') && SCALAR.has(f.t)) f.o = 1;
      // the JSON name is the Go tag's, where the .proto spells it otherwise (uID -> uid, aPIGroup -> apiGroup)
      const jsonName = flag.slice(2);
      if (flag !== 'i' && jsonName && jsonName !== f.n) f.n = jsonName;
    }
  }
}

const out = join(new URL('..', import.meta.url).pathname, 'src/api/protobuf/proto-schema.json');
writeFileSync(out, JSON.stringify(messages));
console.log(`${Object.keys(messages).length} messages written to ${out}`);
