// Which image a container runs, from the node's image store, honouring
// imagePullPolicy as the kubelet's image manager does: Never and IfNotPresent
// use what the store has; Always (and IfNotPresent for a missing image) pull,
// and failed pulls back off (ErrImagePull, then ImagePullBackOff).
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { imageLowers } from '../image/layer-unpack.js';
import { pullImage, type Puller } from '../image/puller.js';
import { InvalidReference, parseReference } from '../image/reference.js';
import type { LayoutStore } from '../image/store.js';

export interface ResolvedImage {
  /** the image's layers as read-only overlay lowers, topmost first */
  lowers: string[];
  /** the image config's Entrypoint and Cmd, which command and args override as upstream */
  entrypoint: string[];
  cmd: string[];
  env: string[];
  workingDir?: string;
  /** from the config's User, when it names a uid (or a user of the image's /etc/passwd) */
  uid?: number;
  gid?: number;
  /** repository@manifest-digest, for status.containerStatuses[].imageID */
  imageID: string;
}

export interface ImageFailure {
  /** the container's waiting reason: ErrImageNeverPull, ErrImagePull, ImagePullBackOff, InvalidImageName */
  reason: string;
  message: string;
  /** the Event upstream records (Failed, BackOff, ErrImageNeverPull, InspectFailed) */
  eventReason: string;
  eventMessage: string;
}

export type ImageResult = { image: ResolvedImage } | { failure: ImageFailure };

export interface ImageResolver {
  resolve(image: string, pullPolicy?: string): Promise<ImageResult>;
}

const BACKOFF_START_MS = 10_000;
const BACKOFF_MAX_MS = 300_000;

export function storeImages(store: LayoutStore, pullers: Puller[]): ImageResolver {
  const backoff = new Map<string, { until: number; delay: number; message: string }>();
  return {
    async resolve(image, pullPolicy = 'IfNotPresent') {
      try {
        parseReference(image);
      } catch (e) {
        if (!(e instanceof InvalidReference)) throw e;
        const message = `Failed to apply default image tag "${image}": ${e.message}`;
        return { failure: { reason: 'InvalidImageName', message, eventReason: 'InspectFailed', eventMessage: message } };
      }
      let digest = pullPolicy === 'Always' ? undefined : store.resolve(image);
      if (!digest && pullPolicy === 'Never') {
        const message = `Container image "${image}" is not present with pull policy of Never`;
        return { failure: { reason: 'ErrImageNeverPull', message, eventReason: 'ErrImageNeverPull', eventMessage: message } };
      }
      if (!digest) {
        const b = backoff.get(image);
        if (b && Date.now() < b.until) {
          return { failure: { reason: 'ImagePullBackOff', message: `Back-off pulling image "${image}": ${b.message}`, eventReason: 'BackOff', eventMessage: `Back-off pulling image "${image}"` } };
        }
        try {
          digest = await pullImage(pullers, image);
          backoff.delete(image);
        } catch (e) {
          const message = `failed to pull image "${image}": ${(e as Error).message}`;
          const delay = b ? Math.min(b.delay * 2, BACKOFF_MAX_MS) : BACKOFF_START_MS;
          backoff.set(image, { until: Date.now() + delay, delay, message });
          return { failure: { reason: 'ErrImagePull', message, eventReason: 'Failed', eventMessage: `Failed to pull image "${image}": ${(e as Error).message}` } };
        }
      }
      const stored = store.image(digest)!;
      const lowers = await imageLowers(store, stored);
      const cfg = stored.config.config ?? {};
      const user = cfg.User ? imageUser(lowers, cfg.User) : {};
      return {
        image: {
          lowers,
          entrypoint: cfg.Entrypoint ?? [],
          cmd: cfg.Cmd ?? [],
          env: cfg.Env ?? [],
          workingDir: cfg.WorkingDir || undefined,
          ...user,
          imageID: `${parseReference(image).repository}@${digest}`,
        },
      };
    },
  };
}

/** USER as uid[:gid] or a name from the image's /etc/passwd (and /etc/group). */
function imageUser(lowers: string[], user: string): { uid?: number; gid?: number } {
  const [u, g] = user.split(':');
  const lookup = (file: string, name: string, field: number): number | undefined => {
    if (/^\d+$/.test(name)) return Number(name);
    const dir = lowers.find((l) => existsSync(join(l, 'etc', file)));
    if (!dir) return undefined;
    const line = readFileSync(join(dir, 'etc', file), 'utf8').split('\n').find((l) => l.split(':')[0] === name);
    return line ? Number(line.split(':')[field]) : undefined;
  };
  const uid = lookup('passwd', u, 2);
  let gid = g ? lookup('group', g, 2) : undefined;
  if (gid === undefined && uid !== undefined && !/^\d+$/.test(u)) gid = lookup('passwd', u, 3);
  return { uid, gid };
}

/** Environment lists merged as the runtime sees them: a later NAME=value replaces an earlier one. */
export function mergeEnv(...lists: string[][]): string[] {
  const m = new Map<string, string>();
  for (const l of lists) for (const kv of l) m.set(kv.split('=')[0], kv);
  return [...m.values()];
}
