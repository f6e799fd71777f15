// COPY and ADD from the build context (or, for COPY --from, another stage's
// merged root) into a staging directory that becomes the layer: Docker's rules
// for where sources land, .dockerignore applied to the context, owners root
// (or --chown; COPY --from keeps the source's owners as BuildKit does), local
// tar archives unpacked by ADD.
import { createHash } from 'node:crypto';
import { chmodSync, chownSync, cpSync, existsSync, lchownSync, lstatSync, mkdirSync, readFileSync, readdirSync, readlinkSync, statSync } from 'node:fs';
import { basename, dirname, join, posix } from 'node:path';
import { extractTar } from '../layer-unpack.js';
import type { DockerIgnore } from './dockerignore.js';
import { DockerfileError } from './dockerfile.js';

export interface CopyInput {
  line: number;
  /** the build context, or the merged root of the stage COPY --from reads */
  context: string;
  /** the stage or image COPY --from names, for messages */
  from?: string;
  ignore: DockerIgnore;
  sources: string[];
  /** absolute destination inside the image */
  dest: string;
  /** dest named a directory (trailing slash) */
  destIsDir: boolean;
  add: boolean;
  /** the owner to give; undefined keeps the source's (COPY --from without --chown) */
  uid?: number;
  gid?: number;
  /** lowers, topmost first, to copy parent directories' metadata from */
  lowers: string[];
}

const TAR_RE = /\.(tar|tar\.gz|tgz|tar\.bz2|tbz2|tar\.xz|txz)$/;

function globToRe(seg: string): RegExp {
  return new RegExp(`^${seg.replace(/[.+^${}()|\\]/g, '\\$&').replace(/\*/g, '[^/]*').replace(/\?/g, '[^/]')}$`);
}

/** Context-relative paths a source names (with * and ? in its last part), ignored ones left out. */
type SourceInput = Pick<CopyInput, 'context' | 'ignore' | 'line' | 'from'>;

/** lstat, not stat: a symlink (even a dangling one) in a stage is a source in its own right */
function present(path: string): boolean {
  try {
    lstatSync(path);
    return true;
  } catch {
    return false;
  }
}

export function expandSources(input: SourceInput, src: string): string[] {
  if (/^[a-z]+:\/\//i.test(src)) throw new DockerfileError(input.line, `remote sources (${src}) are not supported: the builder reads only the build context`);
  const clean = posix.normalize(`/${src}`).slice(1).replace(/\/$/, '');
  if (clean.startsWith('..')) throw new DockerfileError(input.line, `${src} is outside the ${input.from === undefined ? 'build context' : 'source root'}`);
  let found: string[];
  if (/[*?[]/.test(basename(clean))) {
    const dir = dirname(clean) === '.' ? '' : dirname(clean);
    const re = globToRe(basename(clean));
    const abs = join(input.context, dir);
    found = existsSync(abs) ? readdirSync(abs).filter((n) => re.test(n)).map((n) => (dir ? `${dir}/${n}` : n)) : [];
  } else found = present(join(input.context, clean)) ? [clean] : [];
  found = found.filter((p) => p === '' || !input.ignore.ignores(p));
  if (found.length === 0) {
    const where = input.from === undefined ? '(missing, or left out by .dockerignore)' : `in ${input.from}`;
    throw new DockerfileError(input.line, `COPY failed: no source files were specified or found for ${JSON.stringify(src)} ${where}`);
  }
  return found;
}

/** A hash of what the sources hold (names, modes, contents, and owners when they are kept), for the build cache. */
export function hashSources(input: SourceInput, sources: string[], owners = false): string {
  const h = createHash('sha256');
  const visit = (rel: string): void => {
    const abs = join(input.context, rel);
    const st = lstatSync(abs);
    h.update(`${rel}\0${st.mode}\0${owners ? `${st.uid}:${st.gid}\0` : ''}`);
    if (st.isDirectory()) {
      for (const n of readdirSync(abs).sort()) {
        const child = rel ? `${rel}/${n}` : n;
        if (!input.ignore.ignores(child)) visit(child);
      }
    } else if (st.isSymbolicLink()) h.update(`link\0${readlinkSync(abs)}`);
    else if (st.isFile()) h.update(readFileSync(abs));
  };
  for (const s of sources) for (const rel of expandSources(input, s)) visit(rel);
  return h.digest('hex');
}

/** Gives the copy the owners its source has (cpSync copies modes, not owners). */
function copyOwners(src: string, dst: string): void {
  const st = lstatSync(src);
  if (st.isDirectory()) for (const n of readdirSync(dst)) copyOwners(join(src, n), join(dst, n));
  lchownSync(dst, st.uid, st.gid);
}

/** --chown's owner, or the source's when there is none (COPY --from) */
function setOwners(src: string, dst: string, uid: number | undefined, gid: number | undefined): void {
  if (uid === undefined) copyOwners(src, dst);
  else chownTree(dst, uid, gid ?? uid);
}

function chownTree(path: string, uid: number, gid: number): void {
  const st = lstatSync(path);
  if (st.isDirectory()) for (const n of readdirSync(path)) chownTree(join(path, n), uid, gid);
  // lchown semantics: a symlink's own owner changes, not its target's
  if (st.isSymbolicLink()) return;
  chownSync(path, uid, gid);
}

/** Creates the destination's parents in staging with the metadata they have in the image. */
function makeParents(staging: string, dest: string, lowers: string[]): void {
  const parts = dest.split('/').filter(Boolean);
  let rel = '';
  for (const p of parts) {
    rel = rel ? `${rel}/${p}` : p;
    const target = join(staging, rel);
    if (existsSync(target)) continue;
    mkdirSync(target, { mode: 0o755 });
    const from = lowers.map((l) => join(l, rel)).find((l) => existsSync(l));
    if (from) {
      const st = statSync(from);
      if (st.isDirectory()) {
        chownSync(target, st.uid, st.gid);
        chmodSync(target, st.mode & 0o7777);
      }
    }
  }
}

/** Fills staging with what the instruction adds to the image. */
export async function copyIntoStaging(input: CopyInput, staging: string): Promise<void> {
  const rels = input.sources.flatMap((s) => expandSources(input, s));
  const many = rels.length > 1 || input.sources.length > 1;
  const destDir = input.destIsDir || many;
  for (const rel of rels) {
    const abs = join(input.context, rel);
    // a stage's absolute symlink means a path in that stage, not on this machine: copied as a link
    const st = input.from === undefined ? statSync(abs) : lstatSync(abs);
    if (st.isDirectory()) {
      makeParents(staging, input.dest, input.lowers);
      const target = join(staging, input.dest);
      cpSync(abs, target, { recursive: true, preserveTimestamps: true, verbatimSymlinks: true, filter: (s) => s === abs || !input.ignore.ignores(posix.relative(input.context, s)) });
      setOwners(abs, target, input.uid, input.gid);
    } else if (input.add && TAR_RE.test(rel)) {
      makeParents(staging, input.dest, input.lowers);
      await extractTar(abs, join(staging, input.dest));
    } else {
      const target = destDir ? join(input.dest, basename(rel)) : input.dest;
      makeParents(staging, posix.dirname(target), input.lowers);
      cpSync(abs, join(staging, target), { preserveTimestamps: true, verbatimSymlinks: true });
      setOwners(abs, join(staging, target), input.uid, input.gid);
    }
  }
}
