// Reading and decoding request bodies with upstream's limits: 3 MiB per request
// (413 beyond it), JSON or YAML, nesting bounded so hostile input cannot exhaust
// the stack of anything that walks the object later.
import type { IncomingMessage } from 'node:http';
import { parse as parseYaml } from 'yaml';
import { errors } from '../../api/errors.js';
import { decodeProtobufObject } from '../../api/protobuf/decode.js';

export const MAX_BODY_BYTES = 3 * 1024 * 1024;
export const MAX_DEPTH = 100;

export function readBody(req: IncomingMessage, limit = MAX_BODY_BYTES): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length'] ?? '0');
    const chunks: Buffer[] = [];
    let size = 0;
    let failed = false;
    const fail = (e: unknown) => {
      if (failed) return;
      failed = true;
      chunks.length = 0;
      // keep draining what the client still sends, so it can read our answer
      req.resume();
      reject(e);
    };
    if (declared > limit) return fail(errors.tooLarge());
    req.on('data', (chunk: Buffer) => {
      if (failed) return;
      size += chunk.length;
      if (size > limit) return fail(errors.tooLarge());
      chunks.push(chunk);
    });
    req.on('end', () => {
      if (!failed) resolve(Buffer.concat(chunks));
    });
    req.on('error', fail);
  });
}

/** Media type without parameters, lower-cased. */
export function mediaType(contentType: string | undefined): string {
  return (contentType ?? '').split(';')[0].trim().toLowerCase();
}

/** Decode a JSON or YAML object body; anything else is 415, anything malformed 400. */
export function decodeObject(body: Buffer, contentType: string | undefined): Record<string, unknown> {
  const type = mediaType(contentType) || 'application/json';
  let value: unknown;
  if (type === 'application/json') value = parseJson(body);
  else if (type === 'application/yaml' || type === 'application/x-yaml' || type === 'text/yaml') value = parseYamlDoc(body.toString('utf8'));
  else if (type === 'application/vnd.kubernetes.protobuf') value = decodeProtobufObject(body);
  else throw errors.unsupportedMediaType(contentType ?? '');
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw errors.badRequest(`the body of the request must be a JSON or YAML object, got ${Array.isArray(value) ? 'an array' : typeof value === 'object' ? 'null' : typeof value}`);
  }
  checkDepth(value);
  return value as Record<string, unknown>;
}

export function parseJson(body: Buffer | string): unknown {
  const text = typeof body === 'string' ? body : body.toString('utf8');
  if (text.trim() === '') throw errors.badRequest('the body of the request was empty');
  try {
    return JSON.parse(text);
  } catch (e) {
    throw errors.badRequest(`error decoding JSON body: ${(e as Error).message}`);
  }
}

export function parseYamlDoc(text: string): unknown {
  if (text.trim() === '') throw errors.badRequest('the body of the request was empty');
  try {
    // maxAliasCount guards against billion-laughs alias expansion.
    return parseYaml(text, { maxAliasCount: 100, uniqueKeys: true, merge: false });
  } catch (e) {
    throw errors.badRequest(`error decoding YAML body: ${(e as Error).message.split('\n')[0]}`);
  }
}

/** Iterative walk, so deep input cannot overflow our own stack while checking it. */
export function checkDepth(value: unknown, max = MAX_DEPTH): void {
  const stack: Array<[unknown, number]> = [[value, 1]];
  while (stack.length) {
    const [v, d] = stack.pop()!;
    if (v === null || typeof v !== 'object') continue;
    if (d > max) throw errors.badRequest(`the body of the request exceeds the maximum nesting depth of ${max}`);
    for (const child of Array.isArray(v) ? v : Object.values(v)) {
      if (child !== null && typeof child === 'object') stack.push([child, d + 1]);
    }
  }
}
