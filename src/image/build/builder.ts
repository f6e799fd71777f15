// `skiff image build`: runs a Dockerfile step by step over the node's image
// store. Filesystem steps (RUN, COPY, ADD, WORKDIR of a new directory) make a
// layer each and go through the build cache; the others change the config.
// A multi-stage Dockerfile builds only the stages its target needs,
// dependencies first; progress lines name the stage as BuildKit's do.
import { existsSync, readFileSync, renameSync, rmSync, mkdirSync, readdirSync, rmdirSync } from 'node:fs';
import { join, posix } from 'node:path';
import { imageLowers, layerDir } from '../layer-unpack.js';
import { packLayer, writeImage, type Layer } from '../layer-pack.js';
import type { ImageConfig, HistoryEntry, RuntimeConfig } from '../oci-types.js';
import { builtinBusyboxPuller } from '../puller.js';
import type { LayoutStore } from '../store.js';
import { BuildCache } from './build-cache.js';
import { withMergedRoot } from './copy-from.js';
import { copyIntoStaging, hashSources } from './copy-step.js';
import { DockerIgnore } from './dockerignore.js';
import { DockerfileError, expand, keyValues, parseDockerfile, splitWords } from './dockerfile.js';
import { opaqueDirs, runStep } from './run-step.js';
import { buildOrder, copySource, planStages, UnknownTarget, type Stage } from './stages.js';

export interface BuildOptions {
  context: string;
  dockerfile: string;
  tags: string[];
  buildArgs: Record<string, string>;
  noCache?: boolean;
  cgroupParent?: string;
  /** the stage to stop at (--target); the last stage by default */
  target?: string;
  out: (line: string) => void;
}

interface State {
  layers: Layer[];
  config: RuntimeConfig;
  history: HistoryEntry[];
  key: string;
  shell: string[];
}

const DEFAULT_PATH = 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

export class BuildFailed extends Error {}

function envMap(env: string[] = []): Record<string, string> {
  return Object.fromEntries(env.map((kv) => [kv.slice(0, kv.indexOf('=') < 0 ? kv.length : kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]));
}

function setEnv(env: string[] = [], key: string, value: string): string[] {
  return [...env.filter((kv) => kv.split('=')[0] !== key), `${key}=${value}`];
}

/** What every stage of one build shares. */
interface Build {
  store: LayoutStore;
  opts: BuildOptions;
  cache: BuildCache;
  ignore: DockerIgnore;
  cgroupParent: string;
  runcRoot: string;
  globalArgs: Record<string, string | undefined>;
  stages: Stage[];
  /** the state each built stage ended in */
  built: Map<number, State>;
}

// COPY --from reads a stage's root, where .dockerignore has no say
const NO_IGNORE = new DockerIgnore([]);

export async function buildImage(store: LayoutStore, opts: BuildOptions): Promise<string> {
  const steps = parseDockerfile(readFileSync(opts.dockerfile, 'utf8'));
  const { globalArgs, stages } = planStages(steps, opts.buildArgs);
  let plan: ReturnType<typeof buildOrder>;
  try {
    plan = buildOrder(stages, opts.target);
  } catch (e) {
    if (e instanceof UnknownTarget) throw new BuildFailed(e.message);
    throw e;
  }
  const cgroupParent = opts.cgroupParent ?? '/skiff-build';
  const b: Build = { store, opts, cache: new BuildCache(store), ignore: DockerIgnore.load(opts.context), cgroupParent, runcRoot: join(store.root, 'build-runc'), globalArgs, stages, built: new Map() };
  // every image the needed stages name must be here before the first step runs
  for (const st of plan.order) {
    if (st.baseStage === undefined && st.base !== 'scratch') await findImage(b, st.base, st.line, 'FROM');
    for (const ins of st.instructions) {
      if (ins.flags.from === undefined) continue;
      const src = copySource(stages, expand(ins.flags.from, globalArgs, ins.line), ins.line);
      if ('image' in src) await findImage(b, src.image, ins.line, 'COPY --from');
    }
  }
  const needed = new Set(plan.order.map((s) => s.index));
  for (const st of stages) if (!needed.has(st.index)) opts.out(`[${st.label}] skipped: not needed for the target stage ${plan.target.label}`);
  for (const st of plan.order) b.built.set(st.index, await buildStage(b, st));
  const s = b.built.get(plan.target.index)!;
  const config: Omit<ImageConfig, 'rootfs'> = { created: new Date().toISOString(), architecture: 'amd64', os: 'linux', config: s.config, history: s.history };
  const digest = writeImage(store, s.layers, config, opts.tags);
  removeEmptyCgroupParent(cgroupParent);
  opts.out(`Successfully built ${digest.slice(7, 19)}`);
  for (const t of opts.tags) opts.out(`Successfully tagged ${t}`);
  return digest;
}

/** A stored image (the built-in busybox is made on demand), or a clear error naming the line. */
async function findImage(b: Build, ref: string, line: number, what: string) {
  let image = b.store.image(ref);
  if (!image) {
    const busybox = builtinBusyboxPuller(b.store);
    if (busybox.handles(ref)) image = b.store.image(await busybox.pull(ref));
  }
  if (image) return image;
  const named = b.stages.filter((s) => s.name).map((s) => s.name);
  const stageNote = what === 'FROM' ? ' and is no earlier stage of this Dockerfile' : ' and is no stage of this Dockerfile';
  const known = named.length ? ` (stages: ${named.join(', ')})` : '';
  throw new DockerfileError(line, `${what} ${JSON.stringify(ref)}: not in this node's image store${stageNote}${known} (try "skiff image ls", "skiff image import", "skiff image import-busybox" or "skiff image debootstrap")`);
}

function imageState(image: NonNullable<ReturnType<LayoutStore['image']>>): State {
  return {
    layers: image.manifest.layers.map((d, n) => ({ descriptor: d, diffID: image.config.rootfs.diff_ids[n] })),
    config: structuredClone(image.config.config ?? {}),
    history: structuredClone(image.config.history ?? []),
    key: BuildCache.key('from', image.digest),
    shell: ['/bin/sh', '-c'],
  };
}

const LAYER_STEPS = new Set(['RUN', 'COPY', 'ADD', 'WORKDIR']);

function flagText(flags: Record<string, string>): string {
  return Object.entries(flags).map(([k, v]) => `--${k}=${v} `).join('');
}

async function buildStage(b: Build, stage: Stage): Promise<State> {
  const { store, opts, cache, cgroupParent, runcRoot } = b;
  const multi = b.stages.length > 1;
  // numbered as BuildKit does: pulling the base and each filesystem step
  const fromImage = stage.base !== 'scratch' && stage.baseStage === undefined;
  const total = (fromImage ? 1 : 0) + stage.instructions.filter((i) => LAYER_STEPS.has(i.keyword)).length;
  let n = 0;
  const say = (numbered: boolean, text: string) => {
    if (numbered) n++;
    const tag = numbered ? `${multi ? `${stage.label} ` : ''}${n}/${total}` : multi ? stage.label : '';
    opts.out(tag ? `[${tag}] ${text}` : text);
  };
  const lowersOf = async (s: State) => imageLowers(store, { names: [], digest: '', size: 0, manifest: { schemaVersion: 2, mediaType: '', config: { mediaType: '', digest: '', size: 0 }, layers: s.layers.map((l) => l.descriptor) }, config: { architecture: 'amd64', os: 'linux', config: {}, rootfs: { type: 'layers', diff_ids: s.layers.map((l) => l.diffID) } } });

  let s: State;
  if (stage.base === 'scratch') {
    say(false, 'FROM scratch');
    s = { layers: [], config: { Env: [DEFAULT_PATH] }, history: [], key: BuildCache.key('scratch'), shell: ['/bin/sh', '-c'] };
  } else if (stage.baseStage !== undefined) {
    say(false, `FROM ${b.stages[stage.baseStage].label}`);
    // the base stage's state as it ended: its layers, config and cache key chain
    s = structuredClone(b.built.get(stage.baseStage)!);
  } else {
    say(true, `FROM ${stage.base}`);
    const image = await findImage(b, stage.base, stage.line, 'FROM');
    s = imageState(image);
    opts.out(` ---> ${image.digest.slice(7, 19)}`);
  }
  // build args are scoped to the stage that declares them
  const args: Record<string, string | undefined> = {};
  const vars = () => ({ ...args, ...envMap(s.config.Env) });

  /** A filesystem step: the cached layer, or a new one from fill() */
  const layerStep = async (keyParts: string[], createdBy: string, fill: () => Promise<{ dir: string; whiteouts: boolean }>): Promise<void> => {
    const key = BuildCache.key(s.key, ...keyParts);
    const hit = opts.noCache ? undefined : cache.get(key);
    let layer: Layer;
    if (hit) {
      opts.out(' ---> Using cache');
      layer = hit.layer;
    } else {
      const { dir, whiteouts } = await fill();
      layer = packLayer(store, dir, { overlayWhiteouts: whiteouts, opaqueDirs: whiteouts ? await opaqueDirs(dir) : undefined });
      // the directory is already in overlay form: it becomes the shared layer directory as is
      const dest = layerDir(store, layer.diffID);
      mkdirSync(join(store.root, 'layers'), { recursive: true });
      if (!existsSync(dest)) renameSync(dir, dest);
      cache.put(key, { layer });
    }
    s.layers.push(layer);
    s.history.push({ created: new Date().toISOString(), created_by: createdBy });
    s.key = key;
    opts.out(` ---> ${layer.diffID.slice(7, 19)}`);
  };

  for (const [i, ins] of stage.instructions.entries()) {
    if (LAYER_STEPS.has(ins.keyword)) say(true, `${ins.keyword} ${flagText(ins.flags)}${ins.rest}`);
    const at = (msg: string) => new DockerfileError(ins.line, msg);
    const c = s.config;
    const empty = (by: string) => s.history.push({ created: new Date().toISOString(), created_by: by, empty_layer: true });
    switch (ins.keyword) {
      case 'ARG':
        for (const w of splitWords(ins.rest)) {
          const eq = w.indexOf('=');
          const name = eq < 0 ? w : w.slice(0, eq);
          const def = eq < 0 ? undefined : expand(w.slice(eq + 1), vars(), ins.line);
          // a bare ARG in a stage takes the global (before-FROM) value
          args[name] = opts.buildArgs[name] ?? def ?? b.globalArgs[name];
        }
        break;
      case 'RUN': {
        const argv = ins.json ?? [...s.shell, ins.rest];
        // build args reach RUN as environment, and so belong to its cache key
        const argEnv = Object.entries(args).filter(([, v]) => v !== undefined).map(([k, v]) => `${k}=${v}`);
        const env = [...(c.Env?.some((e) => e.startsWith('PATH=')) ? [] : [DEFAULT_PATH]), ...argEnv.filter((a) => !envMap(c.Env)[a.split('=')[0]]), ...(c.Env ?? [])];
        const user = c.User ? await resolveUser(await lowersOf(s), c.User, ins.line) : { uid: 0, gid: 0 };
        await layerStep(['RUN', JSON.stringify(argv), JSON.stringify(env), c.User ?? '', c.WorkingDir ?? ''], `RUN ${ins.json ? JSON.stringify(ins.json) : `/bin/sh -c ${ins.rest}`}`, async () => {
          const work = store.tempPath('run');
          const res = await runStep({ lowers: await lowersOf(s), workDir: work, args: argv, env, cwd: c.WorkingDir || '/', ...user, cgroupParent, runcRoot, output: (t) => opts.out(t.replace(/\n$/, '')) });
          if (res.exitCode !== 0) {
            rmSync(work, { recursive: true, force: true });
            throw new BuildFailed(`${multi ? `[${stage.label}] ` : ''}The command '${argv.join(' ')}' returned a non-zero code: ${res.exitCode}`);
          }
          return { dir: res.upper, whiteouts: true };
        });
        break;
      }
      case 'COPY':
      case 'ADD': {
        const words = ins.json ?? splitWords(ins.rest);
        const expanded = words.map((w) => expand(w, vars(), ins.line));
        if (expanded.length < 2) throw at(`${ins.keyword} needs at least one source and a destination`);
        const rawDest = expanded[expanded.length - 1];
        const sources = expanded.slice(0, -1);
        const dest = posix.resolve(c.WorkingDir || '/', rawDest);
        const destIsDir = rawDest.endsWith('/') || rawDest === '.';
        const owner = ins.flags.chown ? await resolveUser(await lowersOf(s), ins.flags.chown, ins.line) : undefined;
        if (ins.flags.from !== undefined) {
          const from = expand(ins.flags.from, b.globalArgs, ins.line);
          const src = copySource(b.stages, from, ins.line);
          const source = 'stage' in src ? b.built.get(src.stage)! : imageState(await findImage(b, src.image, ins.line, 'COPY --from'));
          const label = 'stage' in src ? `stage ${b.stages[src.stage].label}` : `image ${src.image}`;
          await withMergedRoot(store, await lowersOf(source), async (root) => {
            const input = { line: ins.line, context: root, from: label, ignore: NO_IGNORE };
            // keyed by what is copied, not by the source stage: a change elsewhere in it keeps this step cached
            const content = hashSources(input, sources, owner === undefined);
            await layerStep(['COPY --from', JSON.stringify(expanded), dest, ins.flags.chown ?? '', content], `COPY --from=${from} ${expanded.join(' ')}`, async () => {
              const staging = store.tempPath('copy');
              mkdirSync(staging);
              await copyIntoStaging({ ...input, sources, dest, destIsDir, add: false, ...owner, lowers: await lowersOf(s) }, staging);
              return { dir: staging, whiteouts: false };
            });
          });
          break;
        }
        const content = hashSources({ context: b.opts.context, ignore: b.ignore, line: ins.line }, sources);
        await layerStep([ins.keyword, JSON.stringify(expanded), dest, ins.flags.chown ?? '', content], `${ins.keyword} ${expanded.join(' ')}`, async () => {
          const staging = store.tempPath('copy');
          mkdirSync(staging);
          await copyIntoStaging({ line: ins.line, context: b.opts.context, ignore: b.ignore, sources, dest, destIsDir, add: ins.keyword === 'ADD', ...(owner ?? { uid: 0, gid: 0 }), lowers: await lowersOf(s) }, staging);
          return { dir: staging, whiteouts: false };
        });
        break;
      }
      case 'WORKDIR': {
        const dir = posix.resolve(c.WorkingDir || '/', expand(ins.rest, vars(), ins.line));
        c.WorkingDir = dir;
        const lowers = await lowersOf(s);
        if (lowers.some((l) => existsSync(join(l, dir)))) {
          empty(`WORKDIR ${dir}`);
          break;
        }
        // a directory the image lacks is made, as Docker does
        await layerStep(['WORKDIR', dir], `WORKDIR ${dir}`, async () => {
          const staging = store.tempPath('workdir');
          mkdirSync(join(staging, dir), { recursive: true, mode: 0o755 });
          return { dir: staging, whiteouts: false };
        });
        break;
      }
      case 'ENV':
        for (const [k, v] of keyValues(ins.rest, 'ENV', ins.line)) c.Env = setEnv(c.Env, k, expand(v, vars(), ins.line));
        empty(`ENV ${ins.rest}`);
        break;
      case 'LABEL':
        c.Labels = { ...(c.Labels ?? {}) };
        for (const [k, v] of keyValues(ins.rest, 'LABEL', ins.line)) c.Labels[expand(k, vars(), ins.line)] = expand(v, vars(), ins.line);
        empty(`LABEL ${ins.rest}`);
        break;
      case 'MAINTAINER':
        c.Labels = { ...(c.Labels ?? {}), maintainer: ins.rest };
        empty(`MAINTAINER ${ins.rest}`);
        break;
      case 'EXPOSE':
        c.ExposedPorts = { ...(c.ExposedPorts ?? {}) };
        for (const p of splitWords(expand(ins.rest, vars(), ins.line))) {
          if (!/^\d{1,5}(\/(tcp|udp|sctp))?$/i.test(p)) throw at(`invalid port ${JSON.stringify(p)}`);
          c.ExposedPorts[p.includes('/') ? p.toLowerCase() : `${p}/tcp`] = {};
        }
        empty(`EXPOSE ${ins.rest}`);
        break;
      case 'USER':
        c.User = expand(ins.rest, vars(), ins.line);
        empty(`USER ${c.User}`);
        break;
      case 'ENTRYPOINT':
        c.Entrypoint = ins.json ?? [...s.shell, ins.rest];
        // a new entrypoint drops the Cmd the base image had, as Docker does
        if (!stage.instructions.slice(0, i).some((x) => x.keyword === 'CMD')) c.Cmd = null;
        empty(`ENTRYPOINT ${JSON.stringify(c.Entrypoint)}`);
        break;
      case 'CMD':
        c.Cmd = ins.json ?? [...s.shell, ins.rest];
        empty(`CMD ${JSON.stringify(c.Cmd)}`);
        break;
      case 'VOLUME':
        c.Volumes = { ...(c.Volumes ?? {}) };
        for (const v of ins.json ?? splitWords(ins.rest)) c.Volumes[expand(v, vars(), ins.line)] = {};
        empty(`VOLUME ${ins.rest}`);
        break;
      case 'STOPSIGNAL':
        c.StopSignal = expand(ins.rest, vars(), ins.line);
        empty(`STOPSIGNAL ${c.StopSignal}`);
        break;
      case 'SHELL':
        if (!ins.json) throw at('SHELL must be written in JSON form, e.g. SHELL ["/bin/bash", "-c"]');
        s.shell = ins.json;
        empty(`SHELL ${ins.rest}`);
        break;
      default:
        say(false, `${ins.keyword} is not supported by this builder; skipped`);
    }
  }
  return s;
}

/** USER and --chown: uid[:gid] or names from the image's /etc/passwd and /etc/group. */
async function resolveUser(lowers: string[], spec: string, line: number): Promise<{ uid: number; gid: number }> {
  const [u, g] = spec.split(':');
  const lookup = (file: string, name: string): string[] | undefined => {
    const dir = lowers.find((l) => existsSync(join(l, 'etc', file)));
    return dir ? readFileSync(join(dir, 'etc', file), 'utf8').split('\n').map((l) => l.split(':')).find((f) => f[0] === name) : undefined;
  };
  let uid: number;
  let gid: number | undefined;
  if (/^\d+$/.test(u)) uid = Number(u);
  else {
    const pw = lookup('passwd', u);
    if (!pw) throw new DockerfileError(line, `unable to find user ${u}: no matching entries in passwd file`);
    uid = Number(pw[2]);
    gid = Number(pw[3]);
  }
  if (g !== undefined) {
    if (/^\d+$/.test(g)) gid = Number(g);
    else {
      const gr = lookup('group', g);
      if (!gr) throw new DockerfileError(line, `unable to find group ${g}: no matching entries in group file`);
      gid = Number(gr[2]);
    }
  }
  return { uid, gid: gid ?? uid };
}

/** The build's cgroup parent goes once its containers are gone (only if empty, only ours). */
function removeEmptyCgroupParent(parent: string): void {
  const root = '/sys/fs/cgroup';
  const trees = existsSync(join(root, 'cgroup.controllers')) ? [root] : readdirSync(root).map((d) => join(root, d));
  for (const t of trees) {
    try {
      rmdirSync(join(t, parent));
    } catch {
      // absent, or still in use by another build
    }
  }
}
