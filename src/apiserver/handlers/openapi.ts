// /openapi/v2 and /openapi/v3 from the schema registry's generated documents.
// v2 comes as JSON or as gnostic protobuf: kubectl asks for v2 only as protobuf
// (client-side validation, e.g. of the items of a kind: List), so without it
// `kubectl apply` of a List fails. v3 is JSON only: kubectl asks v3 for JSON.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ApiError } from '../../api/errors.js';
import {
  openapiV2,
  openapiV2Protobuf,
  openapiV3Document,
  openapiV3Index,
  type Doc,
} from '../../api/schema/openapi.js';
import { parseAccept } from '../http/negotiate.js';
import { sendRaw } from '../http/respond.js';

const JSON_TYPE = 'application/json';
// upstream answers both spellings of the v2 protobuf type with the second one
const V2_PROTOBUF_TYPES = [
  'application/com.github.proto-openapi.spec.v2@v1.0+protobuf',
  'application/com.github.proto-openapi.spec.v2.v1.0+protobuf',
];
const V2_PROTOBUF_REPLY = V2_PROTOBUF_TYPES[1];

/** The media type the Accept header's ranges (best q first) take first, as
 *  upstream's handler walks them; an empty header takes anything. */
function choose(accept: string | undefined, offered: string[]): string {
  const ranges = accept?.trim() ? parseAccept(accept) : [{ type: '*/*' }];
  for (const r of ranges) {
    const [type, sub] = r.type.split('/');
    for (const o of offered) {
      const [otype, osub] = o.split('/');
      if ((type === '*' || type === otype) && (sub === '*' || sub === osub)) return o;
    }
  }
  throw new ApiError(
    406,
    'NotAcceptable',
    `only the following media types are accepted: ${offered.join(', ')}`,
  );
}

function serve(
  req: IncomingMessage,
  res: ServerResponse,
  contentType: string,
  doc: Doc,
  extra: Record<string, string> = {},
): void {
  const etag = `"${doc.etag}"`;
  // one etag for every representation, so caches must key on Accept too
  const headers = { etag, vary: 'Accept', ...extra };
  if (req.headers['if-none-match'] === etag) return sendRaw(res, 304, contentType, '', headers);
  sendRaw(res, 200, contentType, doc.body, headers);
}

export class OpenApiHandler {
  handle(req: IncomingMessage, res: ServerResponse, path: string, q: URLSearchParams): void {
    const accept = req.headers.accept;
    if (path === '/openapi/v2') {
      const type = choose(accept, [JSON_TYPE, ...V2_PROTOBUF_TYPES]);
      if (type === JSON_TYPE) return serve(req, res, JSON_TYPE, openapiV2());
      return serve(req, res, V2_PROTOBUF_REPLY, openapiV2Protobuf());
    }
    choose(accept, [JSON_TYPE]);
    if (path === '/openapi/v3')
      return sendRaw(res, 200, JSON_TYPE, JSON.stringify(openapiV3Index()));
    const doc = openapiV3Document(path.slice('/openapi/v3/'.length));
    if (!doc)
      throw new ApiError(404, 'NotFound', 'the server could not find the requested resource');
    const immutable: Record<string, string> = q.has('hash')
      ? {
          'cache-control': 'public, immutable',
          expires: new Date(Date.now() + 365 * 86400e3).toUTCString(),
        }
      : {};
    return serve(req, res, JSON_TYPE, doc, immutable);
  }
}
