// Which image a container runs, from the node's image store, honouring
// imagePullPolicy as the kubelet's image manager does: Never and IfNotPresent
// use what the store has; Always (and IfNotPresent for a missing image) pull,
// and failed pulls back off (ErrImagePull, then ImagePullBackOff). Pulls go one
// at a time, as upstream's serialized image pulls do by default, so a pull's
// "including waiting" time counts the pulls queued before it.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { imageLowers } from '../image/layer-unpack.js';
import { pullImage, type Puller } from '../image/puller.js';
import type { KeyedCredentials } from '../image/registry/credentials.js';
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
  /** set when this resolve pulled the image */
  pulled?: { pullMs: number; totalMs: number; size: number };
}

export interface ImageFailure {
  /** the container's waiting reason: ErrImageNeverPull, ErrImagePull, ImagePullBackOff, InvalidImageName */
  reason: string;
  message: string;
  /** the Event upstream records (Failed, BackOff, ErrImageNeverPull, InspectFailed) */
  eventReason: string;
  eventMessage: string;
  /** upstream records a pull back-off as a Normal event, other failures as Warnings */
  eventType?: 'Normal' | 'Warning';
}

export type ImageResult = { image: ResolvedImage } | { failure: ImageFailure };

export interface PullContext {
  /** the pod's registry credentials (its imagePullSecrets), read only when a pull happens */
  credentials?: () => Promise<KeyedCredentials[]>;
  /** called as a pull begins (the kubelet's Pulling event) */
  onPulling?: () => void;
}

export interface ImageResolver {
  resolve(image: string, pullPolicy?: string, ctx?: PullContext): Promise<ImageResult>;
}

const BACKOFF_START_MS = 10_000;
const BACKOFF_MAX_MS = 300_000;

export function storeImages(store: LayoutStore, pullers: Puller[]): ImageResolver {
  const backoff = new Map<string, { until: number; delay: number; message: string }>();
  let queue: Promise<unknown> = Promise.resolve();
  const serialized = <T>(fn: () => Promise<T>): Promise<T> => {
    const run = queue.then(fn, fn);
    queue = run.catch(() => undefined);
    return run;
  };
  return {
    async resolve(image, pullPolicy = 'IfNotPresent', ctx = {}) {
      try {
        parseReference(image);
      } catch (e) {
        if (!(e instanceof InvalidReference)) throw e;
        const message = `Failed to apply default image tag "${image}": ${e.message}`;
        return { failure: { reason: 'InvalidImageName', message, eventReason: 'InspectFailed', eventMessage: message } };
      }
      let digest = pullPolicy === 'Always' ? undefined : store.resolve(image);
      let pulled: ResolvedImage['pulled'];
      if (!digest && pullPolicy === 'Never') {
        const message = `Container image "${image}" is not present with pull policy of Never`;
        return { failure: { reason: 'ErrImageNeverPull', message, eventReason: 'ErrImageNeverPull', eventMessage: message } };
      }
      if (!digest) {
        const b = backoff.get(image);
        if (b && Date.now() < b.until) {
          return { failure: { reason: 'ImagePullBackOff', message: `Back-off pulling image "${image}": ${b.message}`, eventReason: 'BackOff', eventMessage: `Back-off pulling image "${image}"`, eventType: 'Normal' } };
        }
        try {
          const asked = Date.now();
          const credentials = ctx.credentials ? await ctx.credentials() : undefined;
          ctx.onPulling?.();
          let pullMs = 0;
          digest = await serialized(async () => {
            const began = Date.now();
            const d = await pullImage(pullers, image, { credentials });
            pullMs = Date.now() - began;
            return d;
          });
          pulled = { pullMs, totalMs: Date.now() - asked, size: store.image(digest)?.size ?? 0 };
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
          pulled,
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

/** A duration as Go prints a time.Duration truncated to milliseconds (upstream's event text): 512ms, 1.2s, 1m5.02s. */
export function goDuration(ms: number): string {
  const whole = Math.max(0, Math.floor(ms));
  if (whole === 0) return '0s';
  if (whole < 1000) return `${whole}ms`;
  const trim = (n: number) => String(n).replace(/(\.\d*?)0+$/, '$1').replace(/\.$/, '');
  const h = Math.floor(whole / 3_600_000);
  const m = Math.floor((whole % 3_600_000) / 60_000);
  const sec = trim(Number(((whole % 60_000) / 1000).toFixed(3)));
  return `${h ? `${h}h` : ''}${h || m ? `${m}m` : ''}${sec}s`;
}
