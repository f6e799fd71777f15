// What the pod worker needs to run ephemeral containers (kubectl debug), as
// upstream's kubelet does: each starts once in the pod's sandbox and is never
// restarted; one with a targetContainerName joins that container's PID
// namespace; their status is reported apart, never ready, and they take no
// part in the pod's phase or readiness.
type Obj = Record<string, any>;

export function ephemeralContainers(spec: Obj | undefined): Obj[] {
  return Array.isArray(spec?.ephemeralContainers) ? (spec!.ephemeralContainers as Obj[]) : [];
}

/** The field path an event about a container names, as upstream's (spec.containers{x}, spec.initContainers{x}, spec.ephemeralContainers{x}). */
export function containerFieldPath(spec: Obj | undefined, name: string, init: boolean): string {
  if (init) return `spec.initContainers{${name}}`;
  if (ephemeralContainers(spec).some((c) => c?.name === name)) return `spec.ephemeralContainers{${name}}`;
  return `spec.containers{${name}}`;
}

/**
 * Whether an ephemeral container can be started now, and the id of the
 * container whose PID namespace it joins: a target that was never started
 * yet makes it wait (a later sync starts it), as its processes are the point.
 */
export function ephemeralTarget(c: Obj, containerIds: ReadonlyMap<string, { id: string }>): { ready: boolean; pidNamespaceOf?: string } {
  const target = c.targetContainerName as string | undefined;
  if (!target) return { ready: true };
  const rec = containerIds.get(target);
  return rec ? { ready: true, pidNamespaceOf: rec.id } : { ready: false };
}

/** An ephemeral container's status: as a container's, but never ready (upstream reports ready false). */
export function ephemeralStatus(described: Obj): Obj {
  return { ...described, ready: false };
}
