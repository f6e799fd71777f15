// Content negotiation for responses, as upstream's endpoints/handlers/negotiation:
// JSON (default), YAML, and the meta.k8s.io "as=" transforms (Table, PartialObjectMetadata).
import { errors } from '../../api/errors.js';

export type OutputFormat = 'json' | 'yaml';
export type Transform = 'none' | 'Table' | 'PartialObjectMetadata' | 'PartialObjectMetadataList';

export interface Negotiated {
  format: OutputFormat;
  transform: Transform;
  /** the meta.k8s.io version a Table was asked in */
  tableVersion?: 'meta.k8s.io/v1' | 'meta.k8s.io/v1beta1';
}

export interface MediaRange {
  type: string;
  params: Record<string, string>;
  q: number;
}

export function parseAccept(accept: string): MediaRange[] {
  return accept
    .split(',')
    .map((part) => {
      const [type, ...rest] = part.split(';').map((s) => s.trim());
      const params: Record<string, string> = {};
      for (const p of rest) {
        const i = p.indexOf('=');
        if (i > 0) params[p.slice(0, i).trim().toLowerCase()] = p.slice(i + 1).trim();
      }
      const q = params.q !== undefined ? Number(params.q) : 1;
      return { type: type.toLowerCase(), params, q: Number.isFinite(q) ? q : 0 };
    })
    .filter((r) => r.type && r.q > 0)
    .sort((a, b) => b.q - a.q);
}

/**
 * Picks the first acceptable representation. `allowTransforms` lists which
 * meta.k8s.io transforms the endpoint can produce (lists and gets can; others cannot).
 */
export function negotiate(accept: string | undefined, allowTransforms: Transform[]): Negotiated {
  if (!accept || accept.trim() === '') return { format: 'json', transform: 'none' };
  const ranges = parseAccept(accept);
  for (const r of ranges) {
    const format = formatOf(r.type);
    if (!format) continue;
    const as = r.params.as;
    if (!as) return { format, transform: 'none' };
    if (r.params.g !== 'meta.k8s.io') continue;
    if (r.params.v !== 'v1' && r.params.v !== 'v1beta1') continue;
    if ((as === 'Table' || as === 'PartialObjectMetadata' || as === 'PartialObjectMetadataList') && allowTransforms.includes(as)) {
      return { format, transform: as, tableVersion: r.params.v === 'v1beta1' ? 'meta.k8s.io/v1beta1' : 'meta.k8s.io/v1' };
    }
  }
  throw errors.notAcceptable(
    `only the following media types are accepted: application/json, application/yaml, application/json;as=Table;v=v1;g=meta.k8s.io`,
  );
}

function formatOf(type: string): OutputFormat | undefined {
  if (type === 'application/json' || type === 'application/*' || type === '*/*') return 'json';
  if (type === 'application/yaml') return 'yaml';
  return undefined;
}
