// Starts a worker thread from a sibling module. Compiled, the sibling is a .js file;
// under tsx (tests, benches, `node --import tsx`) it is a .ts file, and Node 20 does not
// pass tsx's loader on to workers, so the worker registers tsx itself before importing it.
import { Worker, type WorkerOptions } from 'node:worker_threads';

export function startWorker(baseUrl: string, name: string, opts: WorkerOptions): Worker {
  const isTs = baseUrl.endsWith('.ts');
  const url = new URL(`./${name}${isTs ? '.ts' : '.js'}`, baseUrl);
  if (!isTs) return new Worker(url, opts);
  const tsxApi = import.meta.resolve('tsx/esm/api');
  const boot = `import(${JSON.stringify(tsxApi)}).then((m) => { m.register(); return import(${JSON.stringify(url.href)}); })`;
  return new Worker(boot, { ...opts, eval: true });
}
