// Turns a URL into what the request is about, as upstream's RequestInfoFactory:
// API prefix, group/version, namespace, resource, name, subresource and verb.
export interface ResourceRequest {
  kind: 'resource';
  group: string;
  version: string;
  namespace?: string;
  resource: string;
  name?: string;
  subresource?: string;
  /** for the proxy subresource: the rest of the path after ".../proxy/", as sent (still percent-encoded) */
  subpath?: string;
  /** get list watch create update patch delete deletecollection */
  verb: string;
}

export interface OtherRequest {
  kind: 'other';
  path: string;
}

export type RequestInfo = ResourceRequest | OtherRequest;

const WATCH_VALUES = new Set(['1', 'true']);

export function requestInfo(method: string, pathname: string, query: URLSearchParams): RequestInfo {
  const parts = pathname.split('/').filter(Boolean).map(decodeURIComponent);
  let i = 0;
  let group = '';
  if (parts[0] === 'api') {
    i = 1;
  } else if (parts[0] === 'apis') {
    if (parts.length < 3) return { kind: 'other', path: pathname };
    group = parts[1];
    i = 2;
  } else {
    return { kind: 'other', path: pathname };
  }
  const version = parts[i++];
  if (!version || i >= parts.length) return { kind: 'other', path: pathname };

  let rest = parts.slice(i);
  let legacyWatch = false;
  if (rest[0] === 'watch') {
    legacyWatch = true;
    rest = rest.slice(1);
  }
  let namespace: string | undefined;
  // "namespaces/<ns>/<resource>..." addresses a namespaced collection, except
  // "namespaces/<ns>" and "namespaces/<ns>/{status,finalize}" which are the namespace itself.
  if (rest[0] === 'namespaces' && rest.length >= 3 && rest[2] !== 'status' && rest[2] !== 'finalize') {
    namespace = rest[1];
    rest = rest.slice(2);
  } else if (rest[0] === 'namespaces' && rest.length >= 2) {
    // the namespace object: its name is also its namespace for admission purposes
    namespace = undefined;
  }
  const [resource, name, subresource, ...extra] = rest;
  if (!resource) return { kind: 'other', path: pathname };
  let subpath: string | undefined;
  if (subresource === 'proxy') {
    // everything after ".../proxy" belongs to the proxied server, byte for byte
    const at = pathname.search(/\/proxy(\/|$)/);
    subpath = pathname.slice(at + '/proxy/'.length);
  } else if (extra.length > 0) return { kind: 'other', path: pathname };

  let verb: string;
  const m = method.toUpperCase();
  const isWatch = legacyWatch || WATCH_VALUES.has(query.get('watch') ?? '');
  if (name === undefined) {
    if (m === 'GET' || m === 'HEAD') verb = isWatch ? 'watch' : 'list';
    else if (m === 'POST') verb = 'create';
    else if (m === 'DELETE') verb = 'deletecollection';
    else verb = m.toLowerCase();
  } else {
    if (m === 'GET' || m === 'HEAD') verb = isWatch ? 'watch' : 'get';
    else if (m === 'POST') verb = 'create';
    else if (m === 'PUT') verb = 'update';
    else if (m === 'PATCH') verb = 'patch';
    else if (m === 'DELETE') verb = 'delete';
    else verb = m.toLowerCase();
  }
  return { kind: 'resource', group, version, namespace, resource, name, subresource, verb, ...(subpath !== undefined ? { subpath } : {}) };
}
