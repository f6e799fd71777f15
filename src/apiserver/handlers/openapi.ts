// /openapi/v2 and /openapi/v3 from the schema registry's generated documents.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ApiError } from '../../api/errors.js';
import { openapiV2, openapiV3Document, openapiV3Index } from '../../api/schema/openapi.js';
import { sendRaw } from '../http/respond.js';

export class OpenApiHandler {
  handle(req: IncomingMessage, res: ServerResponse, path: string, q: URLSearchParams): void {
    const accept = req.headers.accept ?? '';
    // we serve JSON only; protobuf-only clients get 406 and fall back, as with upstream's negotiation
    if (accept && !/application\/json|\*\/\*|application\/\*/.test(accept)) {
      throw new ApiError(406, 'NotAcceptable', 'only application/json is served for OpenAPI documents');
    }
    if (path === '/openapi/v2') {
      const doc = openapiV2();
      return sendRaw(res, 200, 'application/json', doc.body, { etag: `"${doc.etag}"` });
    }
    if (path === '/openapi/v3') {
      return sendRaw(res, 200, 'application/json', JSON.stringify(openapiV3Index()));
    }
    const gv = path.slice('/openapi/v3/'.length);
    const doc = openapiV3Document(gv);
    if (!doc) throw new ApiError(404, 'NotFound', 'the server could not find the requested resource');
    const immutable: Record<string, string> = q.has('hash')
      ? { 'cache-control': 'public, immutable', expires: new Date(Date.now() + 365 * 86400e3).toUTCString() }
      : {};
    return sendRaw(res, 200, 'application/json', doc.body, { etag: `"${doc.etag}"`, ...immutable });
  }
}
