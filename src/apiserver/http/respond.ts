// Writing responses: objects as JSON or YAML, errors as metav1.Status.
import type { ServerResponse } from 'node:http';
import { stringify as toYaml } from 'yaml';
import { ApiError, errors } from '../../api/errors.js';
import type { OutputFormat } from './negotiate.js';

export function send(res: ServerResponse, code: number, body: unknown, format: OutputFormat = 'json', warnings?: string[]): void {
  if (res.headersSent) return;
  const payload = format === 'yaml' ? toYaml(body) : JSON.stringify(body);
  const headers: Record<string, string | string[]> = {
    'content-type': format === 'yaml' ? 'application/yaml' : 'application/json',
    'cache-control': 'no-cache, private',
  };
  if (warnings?.length) headers.warning = warnings.map((w) => `299 - ${JSON.stringify(w)}`);
  res.writeHead(code, headers);
  res.end(payload);
}

export function sendRaw(res: ServerResponse, code: number, contentType: string, payload: string | Buffer, extra?: Record<string, string>): void {
  if (res.headersSent) return;
  res.writeHead(code, { 'content-type': contentType, 'cache-control': 'no-cache, private', ...extra });
  res.end(payload);
}

/** Any thrown value becomes a Status; unknown errors are 500s with the message kept for the log. */
export function toApiError(err: unknown): ApiError {
  if (err instanceof ApiError) return err;
  return errors.internal(err instanceof Error ? err.message : String(err));
}

export function sendError(res: ServerResponse, err: unknown): void {
  const e = toApiError(err);
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const headers: Record<string, string> = { 'content-type': 'application/json', 'cache-control': 'no-cache, private' };
  if (e.details?.retryAfterSeconds) headers['retry-after'] = String(e.details.retryAfterSeconds);
  // the rest of an oversized body is not worth reading on this connection
  if (e.code === 413) headers.connection = 'close';
  res.writeHead(e.code, headers);
  res.end(JSON.stringify(e.toStatus()));
}
