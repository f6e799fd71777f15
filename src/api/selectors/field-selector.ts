// Field selectors as upstream's k8s.io/apimachinery/pkg/fields: a=b, a==b, a!=b,
// joined by commas, with backslash escaping of ',', '=', '!' and '\' in values.
export interface FieldRequirement {
  field: string;
  op: '=' | '!=';
  value: string;
}

export interface FieldSelector {
  requirements: FieldRequirement[];
  matches(fields: Record<string, string>): boolean;
}

export class FieldSelectorParseError extends Error {}

function splitUnescaped(s: string, sep: string): string[] {
  const out: string[] = [];
  let cur = '';
  for (let i = 0; i < s.length; i++) {
    if (s[i] === '\\' && i + 1 < s.length) {
      cur += s[i] + s[i + 1];
      i++;
    } else if (s[i] === sep) {
      out.push(cur);
      cur = '';
    } else cur += s[i];
  }
  out.push(cur);
  return out;
}

function unescape(v: string): string {
  let out = '';
  for (let i = 0; i < v.length; i++) {
    if (v[i] === '\\') {
      const n = v[i + 1];
      if (n === undefined || !'\\,=!'.includes(n)) throw new FieldSelectorParseError(`invalid escape sequence in ${JSON.stringify(v)}`);
      out += n;
      i++;
    } else if (v[i] === '=' || v[i] === ',' || v[i] === '!') {
      throw new FieldSelectorParseError(`invalid field selector: unescaped '${v[i]}' in value ${JSON.stringify(v)}`);
    } else out += v[i];
  }
  return out;
}

export function parseFieldSelector(input: string): FieldSelector {
  const reqs: FieldRequirement[] = [];
  if (input.trim() !== '') {
    for (const part of splitUnescaped(input, ',')) {
      const m = /^([^=!\s]+)\s*(==|!=|=)(.*)$/s.exec(part.trim());
      if (!m) throw new FieldSelectorParseError(`invalid selector: '${input}'; can't understand '${part}'`);
      reqs.push({ field: m[1], op: m[2] === '!=' ? '!=' : '=', value: unescape(m[3]) });
    }
  }
  return {
    requirements: reqs,
    matches(fields) {
      return reqs.every((r) => ((fields[r.field] ?? '') === r.value) === (r.op === '='));
    },
  };
}
