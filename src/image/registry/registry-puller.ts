// The registry as one of the node's pullers: any name the built-in busybox
// does not serve is fetched from its registry with the credentials the caller
// found (a pod's imagePullSecrets), in the node's platform.
import type { LayoutStore } from '../store.js';
import type { Puller } from '../puller.js';
import { pullFromRegistry } from './pull.js';
import type { EndpointOptions } from './registry-name.js';
import type { TransportOptions } from './registry-transport.js';

export function registryPuller(store: LayoutStore, opts: EndpointOptions & TransportOptions = {}): Puller {
  return {
    handles: () => true,
    async pull(ref, pullOpts) {
      const r = await pullFromRegistry(store, ref, { ...opts, credentials: pullOpts?.credentials });
      return r.digest;
    },
  };
}
