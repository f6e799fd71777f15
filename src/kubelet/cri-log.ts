// Reading container logs in the CRI format conmon writes
// ("<RFC3339Nano> <stream> <P|F> <message>"), with kubectl's options.
import { createReadStream, existsSync, readFileSync, statSync } from 'node:fs';

export interface LogOptions {
  follow: boolean;
  timestamps: boolean;
  tailLines?: number;
  sinceTime?: Date;
  limitBytes?: number;
}

interface Entry {
  time: string;
  text: string;
}

function parseLines(text: string): Entry[] {
  const out: Entry[] = [];
  let partial = '';
  for (const line of text.split('\n')) {
    if (!line) continue;
    const a = line.indexOf(' ');
    const b = line.indexOf(' ', a + 1);
    const c = line.indexOf(' ', b + 1);
    if (a < 0 || b < 0) continue;
    const tag = line.slice(b + 1, c < 0 ? undefined : c);
    const msg = c < 0 ? '' : line.slice(c + 1);
    // P = partial line, continued by the next entry
    if (tag === 'P') {
      partial += msg;
      continue;
    }
    out.push({ time: line.slice(0, a), text: partial + msg });
    partial = '';
  }
  return out;
}

/** conmon writes "+00:00"; kubectl shows RFC 3339 with "Z", as the kubelet does. */
function render(e: Entry, timestamps: boolean): string {
  return (timestamps ? `${e.time.replace(/\+00:00$/, 'Z')} ` : '') + e.text + '\n';
}

/** Writes the log to `write`; with follow, keeps going until `signal` aborts. */
export async function streamLog(path: string, opts: LogOptions, write: (chunk: string) => boolean | void, signal: AbortSignal): Promise<void> {
  if (!existsSync(path)) return;
  let entries = parseLines(readFileSync(path, 'utf8'));
  let offset = statSync(path).size;
  if (opts.sinceTime) entries = entries.filter((e) => Date.parse(e.time) >= opts.sinceTime!.getTime());
  if (opts.tailLines !== undefined) entries = opts.tailLines === 0 ? [] : entries.slice(-opts.tailLines);
  let budget = opts.limitBytes ?? Infinity;
  const emit = (e: Entry): boolean => {
    let s = render(e, opts.timestamps);
    if (s.length > budget) s = s.slice(0, budget);
    budget -= s.length;
    if (s) write(s);
    return budget > 0;
  };
  for (const e of entries) if (!emit(e)) return;
  if (!opts.follow) return;
  while (!signal.aborted && budget > 0) {
    await new Promise((r) => setTimeout(r, 200));
    if (!existsSync(path)) return;
    const size = statSync(path).size;
    if (size <= offset) continue;
    const chunk = await new Promise<string>((resolve, reject) => {
      let t = '';
      createReadStream(path, { start: offset, end: size - 1, encoding: 'utf8' })
        .on('data', (d) => (t += d))
        .on('end', () => resolve(t))
        .on('error', reject);
    });
    // only whole lines; the rest is read next time
    const cut = chunk.lastIndexOf('\n') + 1;
    offset += Buffer.byteLength(chunk.slice(0, cut));
    for (const e of parseLines(chunk.slice(0, cut))) if (!emit(e)) return;
  }
}
