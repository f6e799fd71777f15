// Which seccomp filter a container gets, from its own securityContext's
// seccompProfile, else its pod's: RuntimeDefault (the runtime's default
// profile), Unconfined, or Localhost (a profile file under the agent's data
// dir, seccomp/<localhostProfile>, as the kubelet's <root-dir>/seccomp).
// Unset means Unconfined, unless the node runs with --seccomp-default, as
// upstream's SeccompDefault.
import { readFileSync } from 'node:fs';
import { isAbsolute, join, normalize } from 'node:path';
import type { ContainerConfig } from '../runtime/runtime.js';
import { parseLocalhostProfile, SeccompProfileError } from '../runtime/oci/seccomp-profile.js';

type Obj = Record<string, any>;

/** The profile cannot be used: the container waits with CreateContainerError, as upstream. */
export class SeccompConfigError extends Error {}

export function seccompProfileDir(rootDir: string): string {
  return join(rootDir, 'seccomp');
}

export function containerSeccomp(pod: Obj, container: Obj, opts: { rootDir: string; seccompDefault?: boolean }): ContainerConfig['seccomp'] {
  const sp = (container.securityContext?.seccompProfile ?? pod.spec?.securityContext?.seccompProfile) as Obj | undefined;
  const type = sp?.type ?? (opts.seccompDefault ? 'RuntimeDefault' : 'Unconfined');
  if (type === 'RuntimeDefault') return { type: 'RuntimeDefault' };
  if (type === 'Unconfined') return { type: 'Unconfined' };
  if (type !== 'Localhost') throw new SeccompConfigError(`unknown seccomp profile type ${JSON.stringify(type)}`);
  const rel = sp?.localhostProfile;
  if (typeof rel !== 'string' || !rel) throw new SeccompConfigError('seccompProfile type Localhost needs a localhostProfile');
  // the API refuses these too; the node must not read outside its profile directory either way
  if (isAbsolute(rel) || normalize(rel).split('/').includes('..')) throw new SeccompConfigError(`localhostProfile ${JSON.stringify(rel)} must be a path inside the node's seccomp directory`);
  const path = join(seccompProfileDir(opts.rootDir), rel);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new SeccompConfigError(`cannot load seccomp profile "${path}": ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}`);
  }
  try {
    return { type: 'Localhost', profile: parseLocalhostProfile(text) };
  } catch (e) {
    if (e instanceof SeccompProfileError) throw new SeccompConfigError(`seccomp profile "${path}" is invalid: ${e.message}`);
    throw e;
  }
}
