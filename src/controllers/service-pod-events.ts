// Controllers that keep one object per Service from the pods its selector picks
// (Endpoints, EndpointSlices) are woken the same way: by the Service itself,
// and by any pod its selector picks before or after a change.
import type { KubeObject } from '../api/object.js';
import { selectorOf, selects } from '../api/kinds/service-endpoints.js';
import type { Informer } from '../client/informer.js';
import { onEveryChange } from '../client/queue-controller.js';

/** Calls enqueue with a Service whenever it changes, or a pod it selects comes, changes or goes. */
export function onServiceOrSelectedPodChange(services: Informer, pods: Informer, enqueue: (svc: KubeObject) => void): void {
  services.addHandlers(onEveryChange(enqueue));
  const onPod = (...ps: KubeObject[]) => {
    for (const svc of services.list(ps[0].metadata.namespace)) {
      const sel = selectorOf(svc);
      if (sel && ps.some((p) => selects(sel, p))) enqueue(svc);
    }
  };
  pods.addHandlers({ onAdd: (p) => onPod(p), onUpdate: (o, n) => onPod(o, n), onDelete: (p) => onPod(p) });
}
