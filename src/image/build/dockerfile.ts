// Dockerfile parsing as Docker's builder reads it: continuation lines, comments,
// instructions with exec (JSON) or shell form, flags (--chown, --from), and
// variable expansion ($VAR, ${VAR}, ${VAR:-default}, ${VAR:+alt}) in the
// instructions that expand them. Errors name the line.
export class DockerfileError extends Error {
  constructor(readonly line: number, message: string) {
    super(`Dockerfile line ${line}: ${message}`);
  }
}

export interface Instruction {
  line: number;
  keyword: string;
  /** the text after the keyword and its flags, as written */
  rest: string;
  flags: Record<string, string>;
  /** the arguments when written in exec (JSON array) form */
  json?: string[];
}

const KEYWORDS = new Set(['FROM', 'RUN', 'CMD', 'LABEL', 'MAINTAINER', 'EXPOSE', 'ENV', 'ADD', 'COPY', 'ENTRYPOINT', 'VOLUME', 'USER', 'WORKDIR', 'ARG', 'ONBUILD', 'STOPSIGNAL', 'HEALTHCHECK', 'SHELL']);
const NEEDS_ARGS = new Set(['FROM', 'RUN', 'CMD', 'LABEL', 'EXPOSE', 'ENV', 'ADD', 'COPY', 'ENTRYPOINT', 'USER', 'WORKDIR', 'ARG', 'STOPSIGNAL', 'SHELL', 'MAINTAINER', 'VOLUME']);

export function parseDockerfile(text: string): Instruction[] {
  const lines = text.split(/\r?\n/);
  const out: Instruction[] = [];
  let escape = '\\';
  let directivesDone = false;
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i];
    // parser directives (# escape=`) only at the very top
    if (!directivesDone) {
      const d = /^#\s*escape\s*=\s*(\S)\s*$/i.exec(raw);
      if (d) {
        escape = d[1];
        continue;
      }
      if (!/^#\s*\w+\s*=/.test(raw)) directivesDone = true;
    }
    const trimmed = raw.trim();
    if (!trimmed || trimmed.startsWith('#')) continue;
    const start = i + 1;
    let logical = '';
    let cur = raw;
    for (;;) {
      const t = cur.replace(/\s+$/, '');
      if (t.endsWith(escape) && !t.endsWith(escape + escape)) {
        logical += t.slice(0, -1);
        i++;
        // comment lines inside a continued instruction are dropped, as Docker does
        while (i < lines.length && /^\s*#/.test(lines[i])) i++;
        if (i >= lines.length) break;
        cur = lines[i];
        continue;
      }
      logical += t;
      break;
    }
    const m = /^\s*(\S+)\s*([\s\S]*)$/.exec(logical)!;
    const keyword = m[1].toUpperCase();
    if (!KEYWORDS.has(keyword)) throw new DockerfileError(start, `unknown instruction: ${m[1]}`);
    let rest = m[2].trim();
    const flags: Record<string, string> = {};
    if (['COPY', 'ADD', 'RUN', 'FROM'].includes(keyword)) {
      for (;;) {
        const f = /^--([a-z-]+)(?:=(\S*))?\s+/.exec(rest);
        if (!f) break;
        flags[f[1]] = f[2] ?? 'true';
        rest = rest.slice(f[0].length);
      }
    }
    if (NEEDS_ARGS.has(keyword) && !rest) throw new DockerfileError(start, `${keyword} requires at least one argument`);
    const ins: Instruction = { line: start, keyword, rest, flags };
    if (rest.startsWith('[')) {
      try {
        const parsed = JSON.parse(rest) as unknown;
        if (Array.isArray(parsed) && parsed.every((x) => typeof x === 'string')) ins.json = parsed as string[];
      } catch {
        // not JSON: shell form, as Docker falls back
      }
    }
    if (out.length === 0 && keyword !== 'FROM' && keyword !== 'ARG') throw new DockerfileError(start, `the first instruction must be FROM (or ARG before FROM), not ${keyword}`);
    out.push(ins);
  }
  if (!out.some((x) => x.keyword === 'FROM')) throw new DockerfileError(1, 'no FROM instruction');
  return out;
}

/** Expands $VAR, ${VAR}, ${VAR:-word}, ${VAR:+word}; a backslash keeps a $ literal. */
export function expand(s: string, vars: Record<string, string | undefined>, line: number): string {
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c === '\\' && s[i + 1] === '$') {
      out += '$';
      i++;
      continue;
    }
    if (c !== '$') {
      out += c;
      continue;
    }
    if (s[i + 1] === '{') {
      const end = s.indexOf('}', i);
      if (end < 0) throw new DockerfileError(line, `missing '}' in ${JSON.stringify(s)}`);
      const body = s.slice(i + 2, end);
      const m = /^([A-Za-z_][A-Za-z0-9_]*)(?::([-+])([\s\S]*))?$/.exec(body);
      if (!m) throw new DockerfileError(line, `bad substitution \${${body}}`);
      const v = vars[m[1]];
      if (m[2] === '-') out += v ? v : m[3];
      else if (m[2] === '+') out += v ? m[3] : '';
      else out += v ?? '';
      i = end;
      continue;
    }
    const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(s.slice(i + 1));
    if (!m) {
      out += '$';
      continue;
    }
    out += vars[m[0]] ?? '';
    i += m[0].length;
  }
  return out;
}

/** Splits on unquoted whitespace, removing quotes and backslash escapes (COPY, ENV, LABEL arguments). */
export function splitWords(s: string): string[] {
  const words: string[] = [];
  let cur = '';
  let has = false;
  let quote: string | undefined;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (quote) {
      if (c === quote) quote = undefined;
      else if (c === '\\' && quote === '"' && i + 1 < s.length) cur += s[++i];
      else cur += c;
    } else if (c === '"' || c === "'") {
      quote = c;
      has = true;
    } else if (c === '\\' && i + 1 < s.length) {
      cur += s[++i];
      has = true;
    } else if (/\s/.test(c)) {
      if (has || cur) words.push(cur);
      cur = '';
      has = false;
    } else {
      cur += c;
      has = true;
    }
  }
  if (has || cur) words.push(cur);
  return words;
}

/** ENV and LABEL pairs: "K=V K2=V2" or the old "K V with spaces". */
export function keyValues(rest: string, keyword: string, line: number): [string, string][] {
  const words = splitWords(rest);
  if (words.length && !words[0].includes('=')) {
    if (keyword === 'LABEL' || words.length < 2) throw new DockerfileError(line, `${keyword} needs KEY=VALUE pairs`);
    return [[words[0], rest.trim().slice(rest.trim().indexOf(' ')).trim()]];
  }
  return words.map((w) => {
    const eq = w.indexOf('=');
    if (eq <= 0) throw new DockerfileError(line, `${keyword} needs KEY=VALUE, got ${JSON.stringify(w)}`);
    return [w.slice(0, eq), w.slice(eq + 1)];
  });
}
