// Where images the store lacks come from: the node itself serves busybox,
// built from the machine's busybox-static, under any docker.io busybox tag
// (no registry is needed for it); everything else comes from its registry
// (registry/registry-puller.ts).
import { importBusybox } from './builtin-busybox.js';
import { parseReference } from './reference.js';
import type { LayoutStore } from './store.js';
import type { KeyedCredentials } from './registry/credentials.js';

export interface PullerOptions {
  /** registry credentials (a pod's imagePullSecrets); those for the image's registry are tried */
  credentials?: KeyedCredentials[];
}

export interface Puller {
  /** whether this puller serves the reference at all */
  handles(ref: string): boolean;
  /** fetches the image into the store, tags it as ref, returns the manifest digest */
  pull(ref: string, opts?: PullerOptions): Promise<string>;
}

export class PullError extends Error {}

export function builtinBusyboxPuller(store: LayoutStore): Puller {
  let digest: string | undefined;
  return {
    handles: (ref) => !parseReference(ref).digest && parseReference(ref).repository === 'docker.io/library/busybox',
    async pull(ref) {
      // import once per process; later pulls only add the tag
      if (!digest || !store.hasBlob(digest)) digest = store.resolve('busybox:latest') ?? importBusybox(store, ['busybox:latest']);
      // Always pulls on every container start: rewrite index.json only when the name moves
      if (store.resolve(ref) !== digest) store.tag(ref, digest);
      return digest;
    },
  };
}

/** Pulls through the first puller that serves ref. */
export async function pullImage(pullers: Puller[], ref: string, opts?: PullerOptions): Promise<string> {
  const p = pullers.find((x) => x.handles(ref));
  if (!p) throw new PullError('no registry is configured for this node: images come from "skiff image build", "skiff image import" or the built-in busybox; a local image needs imagePullPolicy IfNotPresent or Never');
  return p.pull(ref, opts);
}
