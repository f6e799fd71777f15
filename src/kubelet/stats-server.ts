// The node endpoint's stats routes: GET /stats/summary (JSON) and
// /metrics/resource (Prometheus text). The caller has already checked the
// client's cluster-CA certificate.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { StatsProvider } from './stats-provider.js';
import { resourceMetricsText } from './resource-metrics.js';

/** Answers the request when it is one of the stats paths; false otherwise. */
export function serveStats(stats: StatsProvider, req: IncomingMessage, res: ServerResponse, url: URL): boolean {
  if (url.pathname !== '/stats/summary' && url.pathname !== '/metrics/resource') return false;
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.writeHead(405, { 'content-type': 'text/plain; charset=utf-8', allow: 'GET' });
    res.end('method not allowed');
    return true;
  }
  stats.summary().then(
    (s) => {
      if (url.pathname === '/stats/summary') {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify(s));
      } else {
        res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' });
        res.end(resourceMetricsText(s));
      }
    },
    (e: unknown) => {
      res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' });
      res.end(`failed to get node stats: ${String(e)}`);
    },
  );
  return true;
}
