// `skiff image build`: runs a Dockerfile step by step over the node's image
// store. Filesystem steps (RUN, COPY, ADD, WORKDIR of a new directory) make a
// layer each and go through the build cache; the others change the config.
import { existsSync, readFileSync, renameSync, rmSync, mkdirSync, readdirSync, rmdirSync } from 'node:fs';
import { join, posix } from 'node:path';
import { imageLowers, layerDir } from '../layer-unpack.js';
import { packLayer, writeImage, type Layer } from '../layer-pack.js';
import type { ImageConfig, HistoryEntry, RuntimeConfig } from '../oci-types.js';
import { builtinBusyboxPuller } from '../puller.js';
import type { LayoutStore } from '../store.js';
import { BuildCache } from './build-cache.js';
import { copyIntoStaging, hashSources } from './copy-step.js';
import { DockerIgnore } from './dockerignore.js';
import { DockerfileError, expand, keyValues, parseDockerfile, splitWords, type Instruction } from './dockerfile.js';
import { opaqueDirs, runStep } from './run-step.js';

export interface BuildOptions {
  context: string;
  dockerfile: string;
  tags: string[];
  buildArgs: Record<string, string>;
  noCache?: boolean;
  cgroupParent?: string;
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

export async function buildImage(store: LayoutStore, opts: BuildOptions): Promise<string> {
  const text = readFileSync(opts.dockerfile, 'utf8');
  const steps = parseDockerfile(text);
  const ignore = DockerIgnore.load(opts.context);
  const cache = new BuildCache(store);
  const cgroupParent = opts.cgroupParent ?? '/skiff-build';
  const runcRoot = join(store.root, 'build-runc');
  const globalArgs: Record<string, string | undefined> = {};
  let args: Record<string, string | undefined> = {};
  let st: State | undefined;
  const lowersOf = async (s: State) => imageLowers(store, { names: [], digest: '', size: 0, manifest: { schemaVersion: 2, mediaType: '', config: { mediaType: '', digest: '', size: 0 }, layers: s.layers.map((l) => l.descriptor) }, config: { architecture: 'amd64', os: 'linux', config: {}, rootfs: { type: 'layers', diff_ids: s.layers.map((l) => l.diffID) } } });
  const vars = (s: State | undefined) => ({ ...args, ...envMap(s?.config.Env) });

  /** A filesystem step: the cached layer, or a new one from fill() */
  const layerStep = async (s: State, ins: Instruction, keyParts: string[], createdBy: string, fill: (s: State) => Promise<{ dir: string; whiteouts: boolean }>): Promise<void> => {
    const key = BuildCache.key(s.key, ...keyParts);
    const hit = opts.noCache ? undefined : cache.get(key);
    let layer: Layer;
    if (hit) {
      opts.out(' ---> Using cache');
      layer = hit.layer;
    } else {
      const { dir, whiteouts } = await fill(s);
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
    void ins;
  };

  const total = steps.length;
  for (const [i, ins] of steps.entries()) {
    opts.out(`Step ${i + 1}/${total} : ${ins.keyword} ${ins.rest}`);
    const at = (msg: string) => new DockerfileError(ins.line, msg);
    if (ins.keyword === 'ARG') {
      for (const w of splitWords(ins.rest)) {
        const eq = w.indexOf('=');
        const name = eq < 0 ? w : w.slice(0, eq);
        const def = eq < 0 ? (st ? undefined : globalArgs[name]) : expand(w.slice(eq + 1), st ? vars(st) : globalArgs, ins.line);
        const value = opts.buildArgs[name] ?? def ?? (st ? globalArgs[name] : undefined);
        if (st) args[name] = value;
        else globalArgs[name] = value;
      }
      continue;
    }
    if (ins.keyword === 'FROM') {
      const words = splitWords(expand(ins.rest, globalArgs, ins.line));
      const base = words[0];
      if (words.length > 1 && !(words.length === 3 && words[1].toLowerCase() === 'as')) throw at(`FROM takes an image and an optional "AS name", got ${JSON.stringify(ins.rest)}`);
      args = {};
      if (base === 'scratch') {
        st = { layers: [], config: { Env: [DEFAULT_PATH] }, history: [], key: BuildCache.key('scratch'), shell: ['/bin/sh', '-c'] };
        opts.out(' ---> scratch');
        continue;
      }
      let image = store.image(base);
      if (!image) {
        const busybox = builtinBusyboxPuller(store);
        if (busybox.handles(base)) image = store.image(await busybox.pull(base));
      }
      if (!image) throw at(`base image ${JSON.stringify(base)} is not in this node's image store (try "skiff image ls", "skiff image import", "skiff image import-busybox" or "skiff image debootstrap")`);
      st = {
        layers: image.manifest.layers.map((d, n) => ({ descriptor: d, diffID: image!.config.rootfs.diff_ids[n] })),
        config: structuredClone(image.config.config ?? {}),
        history: structuredClone(image.config.history ?? []),
        key: BuildCache.key('from', image.digest),
        shell: ['/bin/sh', '-c'],
      };
      opts.out(` ---> ${image.digest.slice(7, 19)}`);
      continue;
    }
    const s = st!;
    const c = s.config;
    const empty = (by: string) => s.history.push({ created: new Date().toISOString(), created_by: by, empty_layer: true });
    switch (ins.keyword) {
      case 'RUN': {
        const argv = ins.json ?? [...s.shell, ins.rest];
        // build args reach RUN as environment, and so belong to its cache key
        const argEnv = Object.entries(args).filter(([, v]) => v !== undefined).map(([k, v]) => `${k}=${v}`);
        const env = [...(c.Env?.some((e) => e.startsWith('PATH=')) ? [] : [DEFAULT_PATH]), ...argEnv.filter((a) => !envMap(c.Env)[a.split('=')[0]]), ...(c.Env ?? [])];
        const user = c.User ? await resolveUser(await lowersOf(s), c.User, ins.line) : { uid: 0, gid: 0 };
        await layerStep(s, ins, ['RUN', JSON.stringify(argv), JSON.stringify(env), c.User ?? '', c.WorkingDir ?? ''], `RUN ${ins.json ? JSON.stringify(ins.json) : `/bin/sh -c ${ins.rest}`}`, async () => {
          const work = store.tempPath('run');
          const res = await runStep({ lowers: await lowersOf(s), workDir: work, args: argv, env, cwd: c.WorkingDir || '/', ...user, cgroupParent, runcRoot, output: (t) => opts.out(t.replace(/\n$/, '')) });
          if (res.exitCode !== 0) {
            rmSync(work, { recursive: true, force: true });
            throw new BuildFailed(`The command '${argv.join(' ')}' returned a non-zero code: ${res.exitCode}`);
          }
          return { dir: res.upper, whiteouts: true };
        });
        break;
      }
      case 'COPY':
      case 'ADD': {
        if (ins.flags.from) throw at('COPY --from (multi-stage builds) is not supported yet');
        const words = ins.json ?? splitWords(ins.rest);
        const expanded = words.map((w) => expand(w, vars(s), ins.line));
        if (expanded.length < 2) throw at(`${ins.keyword} needs at least one source and a destination`);
        const rawDest = expanded[expanded.length - 1];
        const sources = expanded.slice(0, -1);
        const dest = posix.resolve(c.WorkingDir || '/', rawDest);
        const owner = ins.flags.chown ? await resolveUser(await lowersOf(s), ins.flags.chown, ins.line) : { uid: 0, gid: 0 };
        const content = hashSources({ context: opts.context, ignore, line: ins.line }, sources);
        await layerStep(s, ins, [ins.keyword, JSON.stringify(expanded), dest, ins.flags.chown ?? '', content], `${ins.keyword} ${expanded.join(' ')}`, async () => {
          const staging = store.tempPath('copy');
          mkdirSync(staging);
          await copyIntoStaging({ line: ins.line, context: opts.context, ignore, sources, dest, destIsDir: rawDest.endsWith('/') || rawDest === '.', add: ins.keyword === 'ADD', ...owner, lowers: await lowersOf(s) }, staging);
          return { dir: staging, whiteouts: false };
        });
        break;
      }
      case 'WORKDIR': {
        const dir = posix.resolve(c.WorkingDir || '/', expand(ins.rest, vars(s), ins.line));
        c.WorkingDir = dir;
        const lowers = await lowersOf(s);
        if (lowers.some((l) => existsSync(join(l, dir)))) {
          empty(`WORKDIR ${dir}`);
          break;
        }
        // a directory the image lacks is made, as Docker does
        await layerStep(s, ins, ['WORKDIR', dir], `WORKDIR ${dir}`, async () => {
          const staging = store.tempPath('workdir');
          mkdirSync(join(staging, dir), { recursive: true, mode: 0o755 });
          return { dir: staging, whiteouts: false };
        });
        break;
      }
      case 'ENV':
        for (const [k, v] of keyValues(ins.rest, 'ENV', ins.line)) c.Env = setEnv(c.Env, k, expand(v, vars(s), ins.line));
        empty(`ENV ${ins.rest}`);
        break;
      case 'LABEL':
        c.Labels = { ...(c.Labels ?? {}) };
        for (const [k, v] of keyValues(ins.rest, 'LABEL', ins.line)) c.Labels[expand(k, vars(s), ins.line)] = expand(v, vars(s), ins.line);
        empty(`LABEL ${ins.rest}`);
        break;
      case 'MAINTAINER':
        c.Labels = { ...(c.Labels ?? {}), maintainer: ins.rest };
        empty(`MAINTAINER ${ins.rest}`);
        break;
      case 'EXPOSE':
        c.ExposedPorts = { ...(c.ExposedPorts ?? {}) };
        for (const p of splitWords(expand(ins.rest, vars(s), ins.line))) {
          if (!/^\d{1,5}(\/(tcp|udp|sctp))?$/i.test(p)) throw at(`invalid port ${JSON.stringify(p)}`);
          c.ExposedPorts[p.includes('/') ? p.toLowerCase() : `${p}/tcp`] = {};
        }
        empty(`EXPOSE ${ins.rest}`);
        break;
      case 'USER':
        c.User = expand(ins.rest, vars(s), ins.line);
        empty(`USER ${c.User}`);
        break;
      case 'ENTRYPOINT':
        c.Entrypoint = ins.json ?? [...s.shell, ins.rest];
        // a new entrypoint drops the Cmd the base image had, as Docker does
        if (!steps.slice(0, i).some((x) => x.keyword === 'CMD')) c.Cmd = null;
        empty(`ENTRYPOINT ${JSON.stringify(c.Entrypoint)}`);
        break;
      case 'CMD':
        c.Cmd = ins.json ?? [...s.shell, ins.rest];
        empty(`CMD ${JSON.stringify(c.Cmd)}`);
        break;
      case 'VOLUME':
        c.Volumes = { ...(c.Volumes ?? {}) };
        for (const v of ins.json ?? splitWords(ins.rest)) c.Volumes[expand(v, vars(s), ins.line)] = {};
        empty(`VOLUME ${ins.rest}`);
        break;
      case 'STOPSIGNAL':
        c.StopSignal = expand(ins.rest, vars(s), ins.line);
        empty(`STOPSIGNAL ${c.StopSignal}`);
        break;
      case 'SHELL':
        if (!ins.json) throw at('SHELL must be written in JSON form, e.g. SHELL ["/bin/bash", "-c"]');
        s.shell = ins.json;
        empty(`SHELL ${ins.rest}`);
        break;
      default:
        opts.out(` ---> ${ins.keyword} is not supported by this builder; skipped`);
    }
  }
  const s = st!;
  const config: Omit<ImageConfig, 'rootfs'> = { created: new Date().toISOString(), architecture: 'amd64', os: 'linux', config: s.config, history: s.history };
  const digest = writeImage(store, s.layers, config, opts.tags);
  removeEmptyCgroupParent(cgroupParent);
  opts.out(`Successfully built ${digest.slice(7, 19)}`);
  for (const t of opts.tags) opts.out(`Successfully tagged ${t}`);
  return digest;
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
