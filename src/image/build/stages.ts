// Multi-stage Dockerfiles as BuildKit reads them: ARGs before the first FROM
// are global and expand in FROM lines; each FROM starts a stage (named by
// "AS name", else known by its index); a stage depends on the stage it is
// based on and on those its COPY --from names; only the stages the target
// reaches are built, dependencies first.
import { DockerfileError, expand, splitWords, type Instruction } from './dockerfile.js';

export interface Stage {
  index: number;
  /** the AS name, lowercased, if any */
  name?: string;
  /** how progress lines call it: the name, else stage-N as BuildKit does */
  label: string;
  /** the FROM argument with global args expanded */
  base: string;
  /** the earlier stage this one is based on (FROM <stage>) */
  baseStage?: number;
  line: number;
  /** the instructions after FROM */
  instructions: Instruction[];
  /** stages read by COPY --from, in order of appearance */
  copyFrom: number[];
}

export interface StagePlan {
  /** global build args (ARG before the first FROM), with --build-arg values applied */
  globalArgs: Record<string, string | undefined>;
  stages: Stage[];
}

/** What a COPY --from names: a stage of this Dockerfile or an image from the store. */
export type CopySource = { stage: number } | { image: string };

const STAGE_NAME = /^[a-z][a-z0-9_.-]*$/;

/** This machine as an OCI platform (os/arch[/variant]), as BuildKit names it. */
export function hostPlatform(arch: string = process.arch): { os: string; arch: string; variant?: string } {
  const byNode: Record<string, { arch: string; variant?: string }> = { x64: { arch: 'amd64' }, arm64: { arch: 'arm64' }, arm: { arch: 'arm', variant: 'v7' }, ia32: { arch: '386' }, ppc64: { arch: 'ppc64le' }, s390x: { arch: 's390x' }, riscv64: { arch: 'riscv64' } };
  return { os: 'linux', ...(byNode[arch] ?? { arch }) };
}

/**
 * BuildKit's automatic platform args (TARGETPLATFORM, TARGETOS, TARGETARCH,
 * TARGETVARIANT and the BUILD* ones): global without an ARG line, so FROM lines
 * may use them; a stage sees them once it declares `ARG TARGETARCH`. We build for
 * the machine we run on, so target and build platform are the same.
 */
export function platformArgs(arch: string = process.arch): Record<string, string> {
  const p = hostPlatform(arch);
  const platform = `${p.os}/${p.arch}${p.variant ? `/${p.variant}` : ''}`;
  const out: Record<string, string> = {};
  for (const side of ['TARGET', 'BUILD']) Object.assign(out, { [`${side}PLATFORM`]: platform, [`${side}OS`]: p.os, [`${side}ARCH`]: p.arch, [`${side}VARIANT`]: p.variant ?? '' });
  return out;
}

/** FROM --platform: only this machine's platform can be built here (RUN runs natively). */
function checkPlatform(value: string, line: number): void {
  const want = value.toLowerCase().split('/');
  const host = hostPlatform();
  const matches = want[0] === host.os && want[1] === host.arch && (want[2] === undefined || want[2] === (host.variant ?? ''));
  if (!matches) throw new DockerfileError(line, `FROM --platform=${value}: this builder makes ${platformArgs().TARGETPLATFORM} images only (RUN steps run natively, there is no emulation); build on a ${value} node or drop --platform`);
}

export function globalArgValues(steps: Instruction[], buildArgs: Record<string, string>): Record<string, string | undefined> {
  const auto = platformArgs();
  const out: Record<string, string | undefined> = { ...auto };
  for (const ins of steps) {
    if (ins.keyword === 'FROM') break;
    for (const w of splitWords(ins.rest)) {
      const eq = w.indexOf('=');
      const name = eq < 0 ? w : w.slice(0, eq);
      out[name] = buildArgs[name] ?? (eq < 0 ? auto[name] : expand(w.slice(eq + 1), out, ins.line));
    }
  }
  return out;
}

/** Resolves a COPY --from value: a stage index, a stage name, or else an image reference. */
export function copySource(stages: Pick<Stage, 'name'>[], from: string, line: number): CopySource {
  if (/^\d+$/.test(from)) {
    const i = Number(from);
    if (i >= stages.length) throw new DockerfileError(line, `COPY --from=${from}: there is no stage ${i} (this Dockerfile has stages 0 to ${stages.length - 1})`);
    return { stage: i };
  }
  const byName = stages.findIndex((s) => s.name === from.toLowerCase());
  if (byName >= 0) return { stage: byName };
  return { image: from };
}

export function planStages(steps: Instruction[], buildArgs: Record<string, string>): StagePlan {
  const globalArgs = globalArgValues(steps, buildArgs);
  const stages: Stage[] = [];
  for (const ins of steps) {
    if (ins.keyword !== 'FROM') {
      stages.at(-1)?.instructions.push(ins);
      continue;
    }
    for (const flag of Object.keys(ins.flags)) if (flag !== 'platform') throw new DockerfileError(ins.line, `FROM does not take --${flag}; only --platform`);
    if (ins.flags.platform !== undefined) checkPlatform(expand(ins.flags.platform, globalArgs, ins.line), ins.line);
    const words = splitWords(expand(ins.rest, globalArgs, ins.line));
    if (!words[0]) throw new DockerfileError(ins.line, `base name (${ins.rest}) should not be blank`);
    if (!(words.length === 1 || (words.length === 3 && words[1].toLowerCase() === 'as'))) throw new DockerfileError(ins.line, `FROM takes an image and an optional "AS name", got ${JSON.stringify(ins.rest)}`);
    const name = words[2]?.toLowerCase();
    if (name !== undefined && !STAGE_NAME.test(name)) throw new DockerfileError(ins.line, `invalid name for build stage: ${JSON.stringify(words[2])}, name can't start with a number or contain symbols`);
    if (name !== undefined && stages.some((s) => s.name === name)) throw new DockerfileError(ins.line, `duplicate stage name ${JSON.stringify(name)}`);
    const index = stages.length;
    // only an earlier stage can be a base: a later one of the same name would be an image
    const baseStage = stages.findIndex((s) => s.name === words[0].toLowerCase());
    stages.push({ index, name, label: name ?? `stage-${index}`, base: words[0], baseStage: baseStage >= 0 ? baseStage : undefined, line: ins.line, instructions: [], copyFrom: [] });
  }
  // COPY --from may name any stage, earlier or later; cycles are refused below
  for (const st of stages) {
    for (const ins of st.instructions) {
      if (ins.flags.from === undefined) continue;
      if (ins.keyword !== 'COPY') throw new DockerfileError(ins.line, `${ins.keyword} does not take --from; only COPY copies from another stage or image`);
      const from = expand(ins.flags.from, globalArgs, ins.line);
      if (!from) throw new DockerfileError(ins.line, 'COPY --from needs a stage name, a stage index or an image');
      const src = copySource(stages, from, ins.line);
      if ('stage' in src && !st.copyFrom.includes(src.stage)) st.copyFrom.push(src.stage);
    }
  }
  const cycle = findCycle(stages);
  if (cycle) throw new DockerfileError(cycle.line, `circular dependency detected on stage: ${cycle.label}`);
  return { globalArgs, stages };
}

function depsOf(s: Stage): number[] {
  return [...(s.baseStage !== undefined ? [s.baseStage] : []), ...s.copyFrom];
}

function findCycle(stages: Stage[]): Stage | undefined {
  const state = new Map<number, 'open' | 'done'>();
  const visit = (i: number): Stage | undefined => {
    if (state.get(i) === 'done') return undefined;
    if (state.get(i) === 'open') return stages[i];
    state.set(i, 'open');
    for (const d of depsOf(stages[i])) {
      const c = visit(d);
      if (c) return c;
    }
    state.set(i, 'done');
    return undefined;
  };
  for (const s of stages) {
    const c = visit(s.index);
    if (c) return c;
  }
  return undefined;
}

export class UnknownTarget extends Error {}

/** The target stage (the last one by default) and the stages it needs, dependencies first. */
export function buildOrder(stages: Stage[], target?: string): { target: Stage; order: Stage[] } {
  let t = stages.at(-1)!;
  if (target !== undefined) {
    const found = stages.find((s) => s.name === target.toLowerCase());
    if (!found) throw new UnknownTarget(`target stage ${JSON.stringify(target)} could not be found${stages.some((s) => s.name) ? ` (stages: ${stages.filter((s) => s.name).map((s) => s.name).join(', ')})` : ' (this Dockerfile names no stages)'}`);
    t = found;
  }
  const order: Stage[] = [];
  const seen = new Set<number>();
  const visit = (s: Stage): void => {
    if (seen.has(s.index)) return;
    seen.add(s.index);
    for (const d of depsOf(s)) visit(stages[d]);
    order.push(s);
  };
  visit(t);
  return { target: t, order };
}
