// Dockerfile parsing and .dockerignore matching, as Docker's builder reads them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DockerfileError, expand, keyValues, parseDockerfile, splitWords } from '../../../src/image/build/dockerfile.js';
import { DockerIgnore } from '../../../src/image/build/dockerignore.js';

test('instructions: continuations, comments, exec and shell forms, flags', () => {
  const steps = parseDockerfile([
    '# syntax comment',
    'ARG BASE=busybox',
    'FROM $BASE AS build',
    'RUN echo a \\',
    '  # a comment inside is dropped',
    '  && echo b',
    'copy --chown=1:2 a b /dst/',
    'CMD ["node", "app.js"]',
    'ENTRYPOINT [not json',
  ].join('\n'));
  assert.deepEqual(steps.map((s) => [s.line, s.keyword]), [[2, 'ARG'], [3, 'FROM'], [4, 'RUN'], [7, 'COPY'], [8, 'CMD'], [9, 'ENTRYPOINT']]);
  assert.equal(steps[2].rest, 'echo a   && echo b');
  assert.deepEqual(steps[3].flags, { chown: '1:2' });
  assert.equal(steps[3].rest, 'a b /dst/');
  assert.deepEqual(steps[4].json, ['node', 'app.js']);
  assert.equal(steps[5].json, undefined, 'not JSON: shell form');
});

test('errors name the line', () => {
  const err = (text: string) => {
    try {
      parseDockerfile(text);
    } catch (e) {
      assert.ok(e instanceof DockerfileError);
      return e.message;
    }
    assert.fail('parsed');
  };
  assert.equal(err('FROM busybox\n\nFROB x'), 'Dockerfile line 3: unknown instruction: FROB');
  assert.equal(err('FROM busybox\nRUN'), 'Dockerfile line 2: RUN requires at least one argument');
  assert.match(err('RUN true'), /line 1: the first instruction must be FROM/);
  assert.match(err('# only a comment'), /no FROM/);
});

test('variables expand with defaults and alternatives; escaped $ stays', () => {
  const vars = { A: 'x', EMPTY: '' };
  assert.equal(expand('$A/${A}/${B:-d}/${A:+alt}/${EMPTY:-e}/\\$A', vars, 1), 'x/x/d/alt/e/$A');
  assert.throws(() => expand('${A', vars, 7), /line 7/);
  assert.deepEqual(splitWords(`a "b c" 'd e' f\\ g`), ['a', 'b c', 'd e', 'f g']);
  assert.deepEqual(keyValues('A=1 B="two words"', 'ENV', 1), [['A', '1'], ['B', 'two words']]);
  assert.deepEqual(keyValues('A one two', 'ENV', 1), [['A', 'one two']]);
});

test('.dockerignore: globs, **, directories, exceptions with the last match winning', () => {
  const ig = new DockerIgnore(['# comment', 'node_modules', '*.log', '**/*.tmp', '/secret', 'docs/*', '!docs/keep.md', '']);
  assert.equal(ig.ignores('node_modules/x/y.js'), true, 'a directory takes what is in it');
  assert.equal(ig.ignores('app.log'), true);
  assert.equal(ig.ignores('sub/app.log'), false, '* does not cross /');
  assert.equal(ig.ignores('a/b/c.tmp'), true);
  assert.equal(ig.ignores('secret'), true);
  assert.equal(ig.ignores('docs/a.md'), true);
  assert.equal(ig.ignores('docs/keep.md'), false);
  assert.equal(ig.ignores('app.js'), false);
});
