// Which OCI runtimes a node can run pods with (RuntimeClass handlers): runc
// and crun where installed, or a runtime binary named on the command line.
// Nothing is installed at run time; what is missing is said plainly.
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { RuntimeHandlerError } from '../runtime.js';

export interface OciRuntimeHandler {
  /** the RuntimeClass handler name (runc, crun) */
  name: string;
  /** the runtime binary */
  path: string;
  /** what conmon runs for `create` (the binary itself, or a wrapper it needs on this host) */
  createPath: string;
  /** its state directory (--root), one per runtime: their state formats differ */
  root: string;
}

const KNOWN: Record<string, { candidates: string[]; pkg: string }> = {
  runc: { candidates: ['/usr/sbin/runc', '/usr/bin/runc', '/usr/local/sbin/runc', '/usr/local/bin/runc'], pkg: 'runc' },
  crun: { candidates: ['/usr/bin/crun', '/usr/local/bin/crun', '/usr/sbin/crun'], pkg: 'crun' },
};

export const KNOWN_HANDLERS = Object.keys(KNOWN);

/** The installed binary of a known runtime, or undefined. */
export function findRuntimeBinary(name: string): string | undefined {
  return KNOWN[name]?.candidates.find((p) => existsSync(p));
}

/** What to tell the user when a runtime they asked for is not there. */
export function missingRuntimeMessage(name: string): string {
  const known = KNOWN[name];
  if (!known) return `unknown OCI runtime "${name}": use --runtime ${KNOWN_HANDLERS.join('|')} or --oci-runtime PATH`;
  return `${name} is not installed (looked in ${known.candidates.join(', ')}): install it with "apt-get install ${known.pkg}", or choose another --runtime`;
}

/**
 * A cgroup v1 host that also mounts cgroup2 at /sys/fs/cgroup/unified ("hybrid").
 * crun 1.8 refuses it ("cgroups in hybrid mode not supported") unless it runs
 * where that mount is absent: a private mount namespace without it.
 */
export function isHybridCgroupHost(root = '/sys/fs/cgroup'): boolean {
  return !existsSync(join(root, 'cgroup.controllers')) && existsSync(join(root, 'unified', 'cgroup.controllers'));
}

/**
 * The wrapper conmon runs instead of crun on hybrid hosts. Only `create` needs it:
 * start, exec, kill and delete work from the host's own mount namespace (measured).
 */
function hybridWrapper(stateDir: string, binary: string): string {
  const path = join(stateDir, 'crun-hybrid');
  const script = `#!/bin/sh
# written by skiff: crun in a private mount namespace without the cgroup2 mount
exec unshare --mount --propagation private sh -c 'umount /sys/fs/cgroup/unified 2>/dev/null; exec "$0" "$@"' ${JSON.stringify(binary)} "$@"
`;
  writeFileSync(path, script);
  chmodSync(path, 0o755);
  return path;
}

function handlerFor(name: string, path: string, stateDir: string): OciRuntimeHandler {
  const root = join(stateDir, name);
  mkdirSync(root, { recursive: true });
  const isCrun = basename(path).startsWith('crun');
  return { name, path, root, createPath: isCrun && isHybridCgroupHost() ? hybridWrapper(stateDir, path) : path };
}

export interface HandlerChoice {
  /** runc or crun (default runc) */
  runtime?: string;
  /** a runtime binary to use as the default instead (named for its file, e.g. crun) */
  runtimePath?: string;
}

/**
 * The node's handlers: the default first (what --runtime or --oci-runtime chose),
 * then every other known runtime that is installed, so a RuntimeClass can pick it.
 */
export function resolveHandlers(stateDir: string, choice: HandlerChoice = {}): OciRuntimeHandler[] {
  mkdirSync(stateDir, { recursive: true });
  let first: OciRuntimeHandler;
  if (choice.runtimePath) {
    if (!existsSync(choice.runtimePath)) throw new RuntimeHandlerError(`--oci-runtime ${choice.runtimePath} does not exist`);
    first = handlerFor(basename(choice.runtimePath), choice.runtimePath, stateDir);
  } else {
    const name = choice.runtime ?? 'runc';
    const path = findRuntimeBinary(name);
    if (!path) throw new RuntimeHandlerError(missingRuntimeMessage(name));
    first = handlerFor(name, path, stateDir);
  }
  const others = KNOWN_HANDLERS.filter((n) => n !== first.name).flatMap((n) => {
    const path = findRuntimeBinary(n);
    return path ? [handlerFor(n, path, stateDir)] : [];
  });
  return [first, ...others];
}

/** "runc 1.1.5", "crun 1.8.1": the first line of `--version`, for the Node's containerRuntimeVersion. */
export function runtimeVersion(h: OciRuntimeHandler): string {
  try {
    const m = /version\s+(\S+)/.exec(execFileSync(h.path, ['--version'], { encoding: 'utf8', timeout: 5000 }));
    return m ? m[1]!.replace(/\+.*$/, '') : 'unknown';
  } catch {
    return 'unknown';
  }
}
