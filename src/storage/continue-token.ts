// Continue tokens in upstream's format: base64 of {"v":"meta.k8s.io/v1","rv":N,"start":S},
// where S is the next key relative to the list's prefix. Upstream appends "\u0000" to
// the last returned key so the next page starts just after it; we do the same.
import { StorageError } from './store.js';

const VERSION = 'meta.k8s.io/v1';

export interface ContinuePosition {
  revision: number;
  /** the full key to start from (inclusive) */
  startKey: string;
}

export function encodeContinue(prefix: string, lastKey: string, revision: number): string {
  const start = lastKey.slice(prefix.length) + '\u0000';
  return Buffer.from(JSON.stringify({ v: VERSION, rv: revision, start })).toString('base64');
}

export function decodeContinue(token: string, prefix: string): ContinuePosition {
  let parsed: { v?: unknown; rv?: unknown; start?: unknown };
  try {
    parsed = JSON.parse(Buffer.from(token, 'base64').toString('utf8'));
  } catch {
    throw invalid(prefix, 'not base64-encoded JSON');
  }
  if (parsed?.v !== VERSION) throw invalid(prefix, `unsupported version ${JSON.stringify(parsed?.v)}`);
  if (typeof parsed.rv !== 'number' || !Number.isSafeInteger(parsed.rv) || parsed.rv <= 0) {
    throw invalid(prefix, 'missing or invalid resource version');
  }
  if (typeof parsed.start !== 'string' || parsed.start === '') throw invalid(prefix, 'missing start key');
  // the start key must stay inside the listed prefix, as upstream checks
  const start = parsed.start;
  if (start.startsWith('/') || start.split('/').some((seg) => seg === '..' || seg === '.')) {
    throw invalid(prefix, 'start key escapes the listed prefix');
  }
  return { revision: parsed.rv, startKey: prefix + start };
}

function invalid(prefix: string, why: string): StorageError {
  return new StorageError('InvalidContinue', prefix, why);
}
