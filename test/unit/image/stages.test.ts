// Multi-stage Dockerfiles read without building: stages and their names and
// indexes, ARG before FROM, COPY --from resolution, the stages a target needs,
// and the errors (each naming its line) for what cannot be built.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DockerfileError, parseDockerfile } from '../../../src/image/build/dockerfile.js';
import { buildOrder, copySource, planStages, platformArgs, UnknownTarget } from '../../../src/image/build/stages.js';

const plan = (lines: string[], buildArgs: Record<string, string> = {}) => planStages(parseDockerfile(lines.join('\n')), buildArgs);

function error(lines: string[]): string {
  try {
    plan(lines);
  } catch (e) {
    assert.ok(e instanceof DockerfileError, String(e));
    return e.message;
  }
  assert.fail('planned');
}

test('stages: names, indexes, bases and COPY --from dependencies', () => {
  const { stages } = plan([
    'FROM busybox AS Build',
    'RUN echo compile > /out',
    'FROM build AS test',
    'RUN true',
    'FROM scratch',
    'COPY --from=build /out /out',
    'COPY --from=0 /out /again',
    'COPY --from=busybox:1.36 /bin/busybox /bin/',
    'CMD ["/out"]',
  ]);
  assert.deepEqual(stages.map((s) => [s.index, s.name, s.label, s.base, s.line]), [
    [0, 'build', 'build', 'busybox', 1],
    [1, 'test', 'test', 'build', 3],
    [2, undefined, 'stage-2', 'scratch', 5],
  ]);
  assert.equal(stages[0].baseStage, undefined, 'busybox is an image');
  assert.equal(stages[1].baseStage, 0, 'FROM an earlier stage, case-insensitively');
  assert.deepEqual(stages[2].copyFrom, [0], 'a name and an index of the same stage are one dependency; an image is none');
  assert.deepEqual(stages[2].instructions.map((i) => i.keyword), ['COPY', 'COPY', 'COPY', 'CMD']);
  assert.deepEqual(copySource(stages, 'BUILD', 6), { stage: 0 });
  assert.deepEqual(copySource(stages, '1', 6), { stage: 1 });
  assert.deepEqual(copySource(stages, 'busybox:1.36', 6), { image: 'busybox:1.36' });
});

test('only the stages the target needs, dependencies first', () => {
  const { stages } = plan([
    'FROM busybox AS base',
    'FROM base AS deps',
    'FROM busybox AS unused',
    'FROM busybox AS tool',
    'FROM deps AS final',
    'COPY --from=tool /x /x',
  ]);
  const order = (t?: string) => buildOrder(stages, t).order.map((s) => s.label);
  assert.deepEqual(order(), ['base', 'deps', 'tool', 'final'], 'the last stage by default; unused is left out');
  assert.deepEqual(order('deps'), ['base', 'deps']);
  assert.deepEqual(order('UNUSED'), ['unused']);
  assert.equal(buildOrder(stages).target.label, 'final');
  assert.throws(() => buildOrder(stages, 'nope'), (e: Error) => e instanceof UnknownTarget && /target stage "nope" could not be found \(stages: base, deps, unused, tool, final\)/.test(e.message));
  // a later stage may be copied from, as BuildKit allows, and is built first
  const later = plan(['FROM busybox', 'COPY --from=gen /a /a', 'FROM busybox AS gen']).stages;
  assert.deepEqual(buildOrder(later, undefined).order.map((s) => s.label), ['gen']);
  assert.deepEqual(buildOrder(later, 'gen').order.map((s) => s.label), ['gen']);
  assert.deepEqual(buildOrder(plan(['FROM busybox AS gen', 'FROM busybox', 'COPY --from=gen /a /a']).stages).order.map((s) => s.index), [0, 1]);
});

test('ARG before FROM: global build args in FROM lines, --build-arg over defaults, stage ARGs inherit them', () => {
  const lines = ['ARG REPO=busy', 'ARG BASE=${REPO}box', 'ARG TAG', 'FROM ${BASE}:${TAG:-latest} AS one', 'ARG BASE', 'FROM $BASE'];
  const p = plan(lines);
  assert.deepEqual(p.globalArgs, { ...platformArgs(), REPO: 'busy', BASE: 'busybox', TAG: undefined });
  assert.deepEqual(p.stages.map((s) => s.base), ['busybox:latest', 'busybox']);
  assert.equal(p.stages[0].instructions[0].keyword, 'ARG', 'an ARG after FROM belongs to the stage');
  assert.deepEqual(plan(lines, { TAG: '1.36', BASE: 'debian' }).stages.map((s) => s.base), ['debian:1.36', 'debian']);
});

test('errors name the line: unknown stage index, bad names, duplicates, cycles, ADD --from', () => {
  assert.equal(error(['FROM busybox AS a', 'FROM scratch', 'COPY --from=2 /x /x']), 'Dockerfile line 3: COPY --from=2: there is no stage 2 (this Dockerfile has stages 0 to 1)');
  assert.equal(error(['FROM busybox AS 1st']), 'Dockerfile line 1: invalid name for build stage: "1st", name can\'t start with a number or contain symbols');
  assert.equal(error(['FROM busybox AS a', 'RUN true', 'FROM busybox AS A']), 'Dockerfile line 3: duplicate stage name "a"');
  assert.equal(error(['FROM busybox AS a', 'COPY --from=a /x /x']), 'Dockerfile line 1: circular dependency detected on stage: a');
  assert.match(error(['FROM busybox AS a', 'COPY --from=b /x /x', 'FROM busybox AS b', 'COPY --from=a /y /y']), /circular dependency detected on stage: a$/);
  assert.equal(error(['FROM busybox AS a', 'FROM scratch', 'ADD --from=a /x /x']), 'Dockerfile line 3: ADD does not take --from; only COPY copies from another stage or image');
  assert.equal(error(['FROM busybox AS a b']), 'Dockerfile line 1: FROM takes an image and an optional "AS name", got "busybox AS a b"');
  assert.equal(error(['ARG BASE', 'FROM $BASE']), 'Dockerfile line 2: base name ($BASE) should not be blank');
});

test('platform args are global without an ARG line; FROM --platform takes this machine only', () => {
  const host = platformArgs().TARGETPLATFORM;
  assert.equal(platformArgs('x64').TARGETPLATFORM, 'linux/amd64');
  assert.equal(platformArgs('arm64').BUILDARCH, 'arm64');
  assert.equal(platformArgs('arm').TARGETVARIANT, 'v7');
  const p = plan([`FROM --platform=$BUILDPLATFORM busybox AS build`, 'RUN true', 'FROM --platform=${TARGETPLATFORM} scratch', 'COPY --from=build /bin/sh /sh']);
  assert.equal(p.stages.length, 2);
  assert.equal(p.globalArgs.TARGETARCH, platformArgs().TARGETARCH);
  // a global bare ARG keeps the automatic value
  assert.equal(plan(['ARG TARGETOS', 'FROM busybox-$TARGETOS']).stages[0]!.base, 'busybox-linux');
  assert.equal(plan([`FROM --platform=${host} busybox`]).stages.length, 1);
  assert.throws(() => plan(['FROM --platform=linux/s390x busybox']), /FROM --platform=linux\/s390x: this builder makes linux\/[a-z0-9]+ images only .*build on a linux\/s390x node or drop --platform/);
  assert.throws(() => plan(['FROM --chown=1 busybox']), /FROM does not take --chown; only --platform/);
});
