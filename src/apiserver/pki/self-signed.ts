// A self-signed certificate made on a worker thread, for processes that need
// one once (a node's kubelet endpoint, the ingress fallback) and nothing else
// of X.509: @peculiar/x509 and its ASN.1 schemas then load only into the
// worker's heap, which goes with it (about 8 MB of RSS a node agent keeps otherwise).
import { Worker } from 'node:worker_threads';
import type { Issued } from './certificates.js';

export function selfSigned(commonName: string, now: Date, validityDays: number): Promise<Issued> {
  // the module's own extension (.js built, .ts under tsx); the worker inherits the loader flags
  const certificates = new URL(`./certificates${import.meta.url.slice(import.meta.url.lastIndexOf('.'))}`, import.meta.url).href;
  const source = `
    const { parentPort, workerData } = require('node:worker_threads');
    // from source (tests, development) the worker needs tsx's loader, which eval workers do not inherit
    (workerData.certificates.endsWith('.ts') ? import('tsx/esm/api').then((tsx) => tsx.register()) : Promise.resolve())
      .then(() => import(workerData.certificates))
      .then((m) => m.createCa(workerData.commonName, new Date(workerData.now), workerData.validityDays))
      .then((ca) => parentPort.postMessage({ certPem: ca.certPem, keyPem: ca.keyPem }), (e) => parentPort.postMessage({ error: String(e && e.stack || e) }));
  `;
  return new Promise((resolve, reject) => {
    const worker = new Worker(source, { eval: true, workerData: { certificates, commonName, now: now.getTime(), validityDays } });
    worker.once('message', (m: Issued & { error?: string }) => {
      if (m.error) reject(new Error(`making a self-signed certificate failed: ${m.error}`));
      else resolve({ certPem: m.certPem, keyPem: m.keyPem });
      void worker.terminate();
    });
    worker.once('error', reject);
  });
}
