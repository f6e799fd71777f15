// Every container of a pod spec in upstream's order: containers, init
// containers, then ephemeral ones (kubectl debug's), as its error messages
// list them and as the kubelet counts what a pod runs.
export interface PodContainerLists<C> {
  containers?: C[];
  initContainers?: C[];
  ephemeralContainers?: C[];
}

export function allContainers<C>(spec: PodContainerLists<C> | undefined): C[] {
  return [...(spec?.containers ?? []), ...(spec?.initContainers ?? []), ...(spec?.ephemeralContainers ?? [])];
}
