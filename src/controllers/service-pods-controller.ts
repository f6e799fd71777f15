// The base of the controllers that keep objects per Service from the pods its
// selector picks (Endpoints, EndpointSlices): the same inputs, woken the same
// way, by the Service itself and by any pod its selector picks before or after
// a change. Each adds its own output informer and its sync.
import type { KubeObject } from '../api/object.js';
import { selectorOf, selects } from '../api/kinds/service-endpoints.js';
import type { Informer } from '../client/informer.js';
import { onEveryChange, QueueController, type QueueControllerOptions } from '../client/queue-controller.js';
import type { RestClient } from '../client/rest-client.js';

export abstract class ServicePodsController extends QueueController {
  constructor(
    protected readonly client: RestClient,
    protected readonly services: Informer,
    protected readonly pods: Informer,
    loop: QueueControllerOptions,
  ) {
    super(loop);
    services.addHandlers(onEveryChange(this.enqueue));
    const onPod = (...ps: KubeObject[]) => {
      for (const svc of services.list(ps[0].metadata.namespace)) {
        const sel = selectorOf(svc);
        if (sel && ps.some((p) => selects(sel, p))) this.enqueue(svc);
      }
    };
    pods.addHandlers({ onAdd: (p) => onPod(p), onUpdate: (o, n) => onPod(o, n), onDelete: (p) => onPod(p) });
  }
}
