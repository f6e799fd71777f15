// Kubernetes resource quantities as numbers (bytes, cores).
/** Kubernetes quantities: "128Mi", "1G", "500m", "2". */
export function parseQuantity(q: string): number {
  const m = /^([0-9.]+)([a-zA-Z]*)$/.exec(q.trim());
  if (!m) return NaN;
  const n = Number(m[1]);
  const mult: Record<string, number> = { '': 1, n: 1e-9, u: 1e-6, m: 1e-3, P: 1e15, E: 1e18, Pi: 1024 ** 5, Ei: 1024 ** 6, k: 1e3, M: 1e6, G: 1e9, T: 1e12, Ki: 1024, Mi: 1024 ** 2, Gi: 1024 ** 3, Ti: 1024 ** 4 };
  return n * (mult[m[2]] ?? NaN);
}
