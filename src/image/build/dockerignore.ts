// .dockerignore: Go filepath.Match patterns with "**", "!" exceptions, the last
// matching pattern deciding; a pattern matching a directory excludes what is in it.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

interface Pattern {
  re: RegExp;
  negate: boolean;
}

function toRegExp(pattern: string): RegExp {
  let re = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '*') {
      if (pattern[i + 1] === '*') {
        // "**/" matches any number of directories, "**" anything
        i++;
        if (pattern[i + 1] === '/') {
          i++;
          re += '(?:.*/)?';
        } else re += '.*';
      } else re += '[^/]*';
    } else if (c === '?') re += '[^/]';
    else if (c === '[') {
      const end = pattern.indexOf(']', i);
      if (end < 0) re += '\\[';
      else {
        re += `[${pattern.slice(i + 1, end).replace(/^!/, '^').replace(/\\/g, '\\\\')}]`;
        i = end;
      }
    } else if (c === '\\' && i + 1 < pattern.length) re += `\\${pattern[++i]}`;
    else re += c.replace(/[.+^${}()|\]\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

export class DockerIgnore {
  private readonly patterns: Pattern[];

  constructor(lines: string[]) {
    this.patterns = lines
      .map((l) => l.trim())
      .filter((l) => l && !l.startsWith('#'))
      .map((l) => {
        const negate = l.startsWith('!');
        const p = (negate ? l.slice(1) : l).trim().replace(/^\/+/, '').replace(/\/+$/, '').replace(/^\.\//, '');
        return { re: toRegExp(p), negate };
      });
  }

  static load(contextDir: string): DockerIgnore {
    const f = join(contextDir, '.dockerignore');
    return new DockerIgnore(existsSync(f) ? readFileSync(f, 'utf8').split('\n') : []);
  }

  /** whether a context-relative path (no leading slash) is left out of the build context */
  ignores(rel: string): boolean {
    const parts = rel.split('/');
    let excluded = false;
    for (const p of this.patterns) {
      let hit = false;
      for (let n = 1; n <= parts.length && !hit; n++) hit = p.re.test(parts.slice(0, n).join('/'));
      if (hit) excluded = !p.negate;
    }
    return excluded;
  }

  get empty(): boolean {
    return this.patterns.length === 0;
  }
}
