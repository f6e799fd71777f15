// What pull and push report per blob as they go, for the CLI's lines and the kubelet's logs.
export interface BlobProgress {
  /** the short id Docker shows: 12 hex digits of the digest */
  id: string;
  digest: string;
  status: 'Waiting' | 'Downloading' | 'Download complete' | 'Already exists' | 'Pull complete' | 'Pushing' | 'Pushed' | 'Layer already exists' | 'Mounted';
  current: number;
  total: number;
  /** the repository a mounted blob came from */
  from?: string;
}

export type ProgressSink = (p: BlobProgress) => void;

export const shortId = (digest: string): string => digest.replace(/^sha256:/, '').slice(0, 12);

/** Runs fn over items, at most `limit` at once (Docker moves three layers at a time). */
export async function eachLimited<T>(items: T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await fn(items[next++]);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}
