// spec.runtimeClassName → the RuntimeClass's handler, which picks the OCI
// runtime of the pod's sandbox and containers (runc, crun). As upstream's
// kubelet: a RuntimeClass that does not exist fails the sandbox, and the pod
// waits with a FailedCreatePodSandBox event until it appears.
import type { KubeObject } from '../api/object.js';

export type RuntimeClassGetter = (name: string) => Promise<KubeObject | undefined>;

export class RuntimeClassError extends Error {}

/** The handler to run the pod with; undefined means the node's default runtime. */
export async function podRuntimeHandler(pod: KubeObject, get: RuntimeClassGetter | undefined): Promise<string | undefined> {
  const name = (pod.spec as { runtimeClassName?: string } | undefined)?.runtimeClassName;
  if (!name) return undefined;
  const rc = get ? await get(name) : undefined;
  if (!rc) throw new RuntimeClassError(`RuntimeClass "${name}" not found`);
  const handler = (rc as { handler?: unknown }).handler;
  if (typeof handler !== 'string' || !handler) throw new RuntimeClassError(`RuntimeClass "${name}" has no handler`);
  return handler;
}
