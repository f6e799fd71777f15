// The metrics scraper's log: a node it cannot scrape is reported once per
// failure streak, not every period (5,000 unreachable nodes flooded the log).
// The node here is Ready but has no credentials to be reached with: a real
// failure of the scraper's own path, no socket needed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../../../src/api/object.js';
import { MetricsScraper } from '../../../src/apiserver/metrics/metrics-scraper.js';

test('an unreachable node is logged once per failure streak', async () => {
  const logs: string[] = [];
  const node = { metadata: { name: 'n1' }, status: { conditions: [{ type: 'Ready', status: 'True' }], addresses: [{ type: 'InternalIP', address: '127.0.0.1' }] } } as unknown as KubeObject;
  let nodes = [node];
  const scraper = new MetricsScraper({ resolutionMs: 60_000, listNodes: async () => nodes, credentials: () => undefined, log: (m) => logs.push(m) });
  await scraper.scrapeAll();
  await scraper.scrapeAll();
  await scraper.scrapeAll();
  assert.deepEqual(logs, ['metrics scraper could not scrape node']);
  // a node that went away and came back starts a new streak
  nodes = [];
  await scraper.scrapeAll();
  nodes = [node];
  await scraper.scrapeAll();
  assert.equal(logs.length, 2);
});
