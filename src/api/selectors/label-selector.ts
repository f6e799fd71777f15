// Label selectors as upstream's k8s.io/apimachinery/pkg/labels: the string
// syntax kubectl sends (a=b, a==b, a!=b, a in (x,y), a notin (x), a, !a) and
// metav1.LabelSelector objects (matchLabels, matchExpressions).
export type Operator = 'In' | 'NotIn' | 'Exists' | 'DoesNotExist' | 'Equals' | 'NotEquals';

export interface Requirement {
  key: string;
  operator: Operator;
  values: string[];
}

export interface Selector {
  requirements: Requirement[];
  matches(labels: Record<string, string>): boolean;
  /** true when it selects everything */
  empty(): boolean;
}

export class SelectorParseError extends Error {}

function makeSelector(requirements: Requirement[]): Selector {
  return {
    requirements,
    empty: () => requirements.length === 0,
    matches(labels) {
      for (const r of requirements) {
        const has = Object.prototype.hasOwnProperty.call(labels, r.key);
        const v = labels[r.key];
        switch (r.operator) {
          case 'Equals':
          case 'In':
            if (!has || !r.values.includes(v)) return false;
            break;
          case 'NotEquals':
          case 'NotIn':
            if (has && r.values.includes(v)) return false;
            break;
          case 'Exists':
            if (!has) return false;
            break;
          case 'DoesNotExist':
            if (has) return false;
            break;
        }
      }
      return true;
    },
  };
}

export const everything: Selector = makeSelector([]);
export const nothing: Selector = { requirements: [], empty: () => false, matches: () => false };

const KEY_RE = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;
const VALUE_RE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

function checkKey(key: string): void {
  const name = key.includes('/') ? key.slice(key.indexOf('/') + 1) : key;
  if (!KEY_RE.test(key) || name.length > 63 || key.length > 316) {
    throw new SelectorParseError(`invalid label key "${key}": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character`);
  }
}

function checkValue(v: string): void {
  if (v.length > 63 || !VALUE_RE.test(v)) {
    throw new SelectorParseError(`invalid label value: "${v}": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character`);
  }
}

/** Tokenizer + parser for the string form; errors read like upstream's. */
export function parseLabelSelector(input: string): Selector {
  const s = input.trim();
  if (s === '') return everything;
  const reqs: Requirement[] = [];
  let i = 0;
  const skipWs = () => {
    while (i < s.length && /\s/.test(s[i])) i++;
  };
  const readIdent = (): string => {
    skipWs();
    const start = i;
    while (i < s.length && !/[\s,()=!]/.test(s[i])) i++;
    return s.slice(start, i);
  };
  while (i <= s.length) {
    skipWs();
    let negate = false;
    if (s[i] === '!') {
      negate = true;
      i++;
    }
    const key = readIdent();
    if (!key) throw new SelectorParseError(`found '${s[i] ?? 'EOS'}', expected: identifier`);
    checkKey(key);
    skipWs();
    if (negate) {
      reqs.push({ key, operator: 'DoesNotExist', values: [] });
    } else if (i >= s.length || s[i] === ',') {
      reqs.push({ key, operator: 'Exists', values: [] });
    } else if (s.startsWith('==', i) || s.startsWith('!=', i) || s[i] === '=') {
      const op: Operator = s.startsWith('!=', i) ? 'NotEquals' : 'Equals';
      i += s.startsWith('==', i) || s.startsWith('!=', i) ? 2 : 1;
      const value = readIdent();
      checkValue(value);
      reqs.push({ key, operator: op, values: [value] });
    } else {
      const word = readIdent();
      if (word !== 'in' && word !== 'notin') throw new SelectorParseError(`found '${word || s[i]}', expected: in, notin, =, ==, !=, gt, lt`);
      skipWs();
      if (s[i] !== '(') throw new SelectorParseError(`found '${s[i] ?? 'EOS'}', expected: '('`);
      i++;
      const values: string[] = [];
      for (;;) {
        const v = readIdent();
        skipWs();
        if (s[i] === ',') {
          checkValue(v);
          values.push(v);
          i++;
          continue;
        }
        if (s[i] === ')') {
          if (v !== '' || values.length > 0) {
            checkValue(v);
            values.push(v);
          }
          i++;
          break;
        }
        throw new SelectorParseError(`found '${s[i] ?? 'EOS'}', expected: ',', ')' or identifier`);
      }
      if (values.length === 0) throw new SelectorParseError('for \'in\', \'notin\' operators, values set can\'t be empty');
      reqs.push({ key, operator: word === 'in' ? 'In' : 'NotIn', values });
    }
    skipWs();
    if (i >= s.length) break;
    if (s[i] !== ',') throw new SelectorParseError(`found '${s[i]}', expected: ',' or 'end of string'`);
    i++;
  }
  reqs.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  return makeSelector(reqs);
}

export interface LabelSelectorObject {
  matchLabels?: Record<string, string>;
  matchExpressions?: Array<{ key: string; operator: string; values?: string[] }>;
}

/** metav1.LabelSelector -> Selector. An empty object selects everything; null/undefined nothing (upstream). */
export function selectorFromLabelSelector(ls: unknown): Selector {
  if (ls === null || ls === undefined) return nothing;
  const sel = ls as LabelSelectorObject;
  const reqs: Requirement[] = [];
  for (const [key, v] of Object.entries(sel.matchLabels ?? {})) reqs.push({ key, operator: 'Equals', values: [String(v)] });
  for (const e of sel.matchExpressions ?? []) {
    const op = e.operator as Operator;
    if (!['In', 'NotIn', 'Exists', 'DoesNotExist'].includes(op)) throw new SelectorParseError(`"${e.operator}" is not a valid label selector operator`);
    reqs.push({ key: e.key, operator: op, values: [...(e.values ?? [])].sort() });
  }
  reqs.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  return makeSelector(reqs);
}

export function labelSelectorToString(sel: Selector): string {
  return sel.requirements
    .map((r) => {
      switch (r.operator) {
        case 'Equals':
          return `${r.key}=${r.values[0]}`;
        case 'NotEquals':
          return `${r.key}!=${r.values[0]}`;
        case 'In':
          return `${r.key} in (${r.values.join(',')})`;
        case 'NotIn':
          return `${r.key} notin (${r.values.join(',')})`;
        case 'Exists':
          return r.key;
        case 'DoesNotExist':
          return `!${r.key}`;
      }
      return '';
    })
    .join(',');
}
