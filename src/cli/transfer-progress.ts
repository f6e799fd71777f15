// Pull and push progress as lines, one per blob and step, like `docker pull`
// prints when its output is not a terminal: "4e13dc6e7cb3: Downloading 1.2MB/2.1MB",
// at most one running figure per blob a second so logs stay short.
import type { BlobProgress } from '../image/registry/progress.js';

export function humanBytes(n: number): string {
  const units = ['B', 'kB', 'MB', 'GB'];
  let i = 0;
  while (n >= 1000 && i < units.length - 1) {
    n /= 1000;
    i++;
  }
  return `${i === 0 ? n : n.toFixed(1)}${units[i]}`;
}

export function progressPrinter(out: (line: string) => void): (p: BlobProgress) => void {
  const lastRunning = new Map<string, number>();
  return (p) => {
    if (p.status === 'Downloading' || p.status === 'Pushing') {
      const now = Date.now();
      if (now - (lastRunning.get(p.id) ?? 0) < 1000) return;
      lastRunning.set(p.id, now);
      out(`${p.id}: ${p.status} ${humanBytes(p.current)}/${humanBytes(p.total)}`);
      return;
    }
    if (p.status === 'Mounted') out(`${p.id}: Mounted from ${p.from}`);
    else if (p.status === 'Waiting') out(`${p.id}: Waiting (${humanBytes(p.total)})`);
    else out(`${p.id}: ${p.status}${p.status === 'Download complete' || p.status === 'Pushed' ? ` (${humanBytes(p.total)})` : ''}`);
  };
}
