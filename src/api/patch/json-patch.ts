// RFC 6902 JSON Patch over JSON values. Failures are the client's: upstream
// answers 422 for a patch that cannot be applied and 400 for a malformed one.
import { ApiError, errors } from '../errors.js';

export const MAX_JSON_PATCH_OPERATIONS = 10_000;

type Json = unknown;

function unprocessable(message: string): ApiError {
  return new ApiError(422, 'Invalid', `the server rejected our request due to an error in our request: ${message}`);
}

function parsePointer(ptr: string): string[] {
  if (ptr === '') return [];
  if (!ptr.startsWith('/')) throw errors.badRequest(`invalid JSON pointer ${JSON.stringify(ptr)}: must start with '/'`);
  return ptr
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
}

function isObject(v: Json): v is Record<string, Json> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function arrayIndex(token: string, arr: Json[], forAdd: boolean): number {
  if (forAdd && token === '-') return arr.length;
  if (!/^(0|[1-9]\d*)$/.test(token)) throw unprocessable(`invalid array index ${JSON.stringify(token)}`);
  const i = Number(token);
  if (i > arr.length || (!forAdd && i === arr.length)) throw unprocessable(`array index ${i} out of bounds`);
  return i;
}

function parentOf(doc: Json, tokens: string[]): Json {
  let cur = doc;
  for (const t of tokens.slice(0, -1)) {
    if (Array.isArray(cur)) cur = cur[arrayIndex(t, cur, false)];
    else if (isObject(cur)) {
      if (!(t in cur)) throw unprocessable(`doc is missing path: ${'/' + tokens.join('/')}`);
      cur = cur[t];
    } else throw unprocessable(`doc is missing path: ${'/' + tokens.join('/')}`);
  }
  return cur;
}

function get(doc: Json, tokens: string[]): Json {
  if (tokens.length === 0) return doc;
  const parent = parentOf(doc, tokens);
  const last = tokens[tokens.length - 1];
  if (Array.isArray(parent)) return parent[arrayIndex(last, parent, false)];
  if (isObject(parent) && last in parent) return parent[last];
  throw unprocessable(`doc is missing path: /${tokens.join('/')}`);
}

function add(doc: Json, tokens: string[], value: Json): Json {
  if (tokens.length === 0) return value;
  const parent = parentOf(doc, tokens);
  const last = tokens[tokens.length - 1];
  if (Array.isArray(parent)) parent.splice(arrayIndex(last, parent, true), 0, value);
  else if (isObject(parent)) parent[last] = value;
  else throw unprocessable(`doc is missing path: /${tokens.join('/')}`);
  return doc;
}

function remove(doc: Json, tokens: string[]): Json {
  if (tokens.length === 0) throw unprocessable('cannot remove the whole document');
  const parent = parentOf(doc, tokens);
  const last = tokens[tokens.length - 1];
  if (Array.isArray(parent)) parent.splice(arrayIndex(last, parent, false), 1);
  else if (isObject(parent) && last in parent) delete parent[last];
  else throw unprocessable(`Unable to remove nonexistent key: ${last}: missing value`);
  return doc;
}

function equal(a: Json, b: Json): boolean {
  return JSON.stringify(canonical(a)) === JSON.stringify(canonical(b));
}

function canonical(v: Json): Json {
  if (Array.isArray(v)) return v.map(canonical);
  if (isObject(v)) return Object.fromEntries(Object.keys(v).sort().map((k) => [k, canonical(v[k])]));
  return v;
}

export function applyJsonPatch(target: Json, patch: Json): Json {
  if (!Array.isArray(patch)) throw errors.badRequest('json patch must be a list of operations');
  if (patch.length > MAX_JSON_PATCH_OPERATIONS) {
    throw new ApiError(413, 'RequestEntityTooLarge', `The allowed maximum operations in a JSON patch is ${MAX_JSON_PATCH_OPERATIONS}, got ${patch.length}`);
  }
  let doc = structuredClone(target);
  for (const op of patch) {
    if (!isObject(op) || typeof op.op !== 'string' || typeof op.path !== 'string') {
      throw errors.badRequest('json patch operations need "op" and "path" strings');
    }
    const path = parsePointer(op.path);
    switch (op.op) {
      case 'add':
        if (!('value' in op)) throw errors.badRequest('add operation does not apply: "value" is required');
        doc = add(doc, path, structuredClone(op.value));
        break;
      case 'remove':
        doc = remove(doc, path);
        break;
      case 'replace':
        if (!('value' in op)) throw errors.badRequest('replace operation does not apply: "value" is required');
        get(doc, path);
        doc = path.length === 0 ? structuredClone(op.value) : add(remove(doc, path), path, structuredClone(op.value));
        break;
      case 'move': {
        if (typeof op.from !== 'string') throw errors.badRequest('move operation needs "from"');
        const from = parsePointer(op.from);
        const v = get(doc, from);
        doc = add(remove(doc, from), path, v);
        break;
      }
      case 'copy': {
        if (typeof op.from !== 'string') throw errors.badRequest('copy operation needs "from"');
        doc = add(doc, path, structuredClone(get(doc, parsePointer(op.from))));
        break;
      }
      case 'test':
        if (!equal(get(doc, path), op.value)) throw unprocessable(`testing value /${path.join('/')} failed: test failed`);
        break;
      default:
        throw errors.badRequest(`Unexpected kind: ${op.op}`);
    }
  }
  return doc;
}
