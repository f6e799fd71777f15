// The service proxy's incremental updates: the commands between two table
// models touch only what changed, and applied to the table (through the
// long-lived nft session, in a network namespace this test makes) they leave
// exactly what writing the new table whole leaves. A failing transaction
// changes nothing and the session goes on. Needs root and nft (as the proxy).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { after, before, describe, test } from 'node:test';
import { buildUpdate } from '../../../src/network/proxy/nft-diff.js';
import { buildRuleset, tableModel, type ProxyConfig, type TableModel } from '../../../src/network/proxy/nft-rules.js';
import { NftSession } from '../../../src/network/proxy/nft-session.js';
import type { ServicePortRule } from '../../../src/network/proxy/service-model.js';

const cfg: ProxyConfig = { clusterCIDR: '10.42.0.0/16', bridge: 'cni0', localDns: { serviceIP: '10.43.0.10', target: '10.42.0.1', port: 53 } };

const rule = (name: string, ip: string, eps: string[], extra: Partial<ServicePortRule> = {}): ServicePortRule => ({
  id: `default/${name}:http`,
  clusterIPs: [ip],
  externalIPs: [],
  port: 80,
  protocol: 'tcp',
  endpoints: eps.map((e) => ({ ip: e, port: 8080 })),
  ...extra,
});
const model = (...rules: ServicePortRule[]) => tableModel(rules, cfg);

describe('service table diff', () => {
  test('no change, no commands', () => {
    const m = () => model(rule('web', '10.43.0.20', ['10.42.1.2', '10.42.2.2']));
    assert.deepEqual(buildUpdate(m(), m()), []);
  });

  test('a new endpoint touches only its service: one chain added, the service chain refilled, no table rewrite', () => {
    const other = rule('other', '10.43.0.30', ['10.42.1.9']);
    const cmds = buildUpdate(model(other, rule('web', '10.43.0.20', ['10.42.1.2'])), model(other, rule('web', '10.43.0.20', ['10.42.1.2', '10.42.2.2'])));
    assert.ok(cmds.every((c) => / ip skiff /.test(c) && !/table/.test(c)), cmds.join('\n'));
    assert.ok(cmds.some((c) => /^add chain ip skiff ep-[0-9a-f]+-10\.42\.2\.2-8080$/.test(c)));
    assert.ok(cmds.some((c) => /^flush chain ip skiff svc-/.test(c)));
    assert.ok(!cmds.some((c) => c.includes('10.42.1.9') || c.includes('10.43.0.30')), 'the other service is left alone');
    assert.ok(!cmds.some((c) => /element/.test(c)), 'the map already points at the service chain');
  });

  test('a service losing its last endpoint moves to the reject set and its chains go, after the map stops pointing at them', () => {
    const cmds = buildUpdate(model(rule('web', '10.43.0.20', ['10.42.1.2'])), model(rule('web', '10.43.0.20', [])));
    const del = cmds.findIndex((c) => c.startsWith('delete element ip skiff service-ips { 10.43.0.20 . tcp . 80 }'));
    const add = cmds.findIndex((c) => c.startsWith('add element ip skiff no-endpoint-services { 10.43.0.20 . tcp . 80 }'));
    const chains = cmds.map((c, i) => [c, i] as const).filter(([c]) => c.startsWith('delete chain'));
    assert.ok(del >= 0 && add >= 0, cmds.join('\n'));
    assert.equal(chains.length, 2);
    assert.ok(chains.every(([, i]) => i > del));
    assert.match(chains[0]![0], /delete chain ip skiff svc-/, 'the service chain (which jumps to the endpoint chain) goes first');
  });
});

describe('service table diff applied by the nft session', () => {
  const netns = `skiff-sp-unit-${process.pid}`;
  const nft = (args: string[], input?: string) => execFileSync('nsenter', [`--net=/var/run/netns/${netns}`, 'nft', ...args], { input, encoding: 'utf8' });
  /** The table as a set of objects (handles dropped, elements sorted): the same table listed twice compares equal. */
  const listing = () => {
    const items = JSON.parse(nft(['-j', 'list', 'table', 'ip', 'skiff'])).nftables as Array<Record<string, Record<string, unknown>>>;
    return items
      .filter((it) => !it.metainfo)
      .map((it) => {
        const [kind, body] = Object.entries(it)[0]!;
        const b = { ...body };
        delete b.handle;
        if (Array.isArray(b.elem)) b.elem = b.elem.map((e) => JSON.stringify(e)).sort();
        return `${kind} ${JSON.stringify(b)}`;
      })
      .sort();
  };
  let session: NftSession;

  before(() => {
    execFileSync('ip', ['netns', 'add', netns]);
    // the session's nft runs in this process's namespace: run the test's own session inside the test namespace
    session = new NftSession(10_000, ['nsenter', `--net=/var/run/netns/${netns}`]);
  });
  after(() => {
    session.close();
    execFileSync('ip', ['netns', 'delete', netns]);
  });

  test('each step by difference equals the new table written whole', async () => {
    const steps: TableModel[] = [
      model(),
      model(rule('web', '10.43.0.20', ['10.42.1.2', '10.42.2.2'])),
      model(rule('web', '10.43.0.20', ['10.42.1.2', '10.42.2.2', '10.42.3.2']), rule('dns-like', '10.43.0.10', ['10.42.1.5'], { port: 53, protocol: 'udp' })),
      model(rule('web', '10.43.0.20', ['10.42.1.2', '10.42.3.2'], { nodePort: 30080, externalIPs: ['172.31.5.11'] })),
      model(rule('web', '10.43.0.20', ['10.42.1.2', '10.42.3.2'], { nodePort: 30080, affinitySeconds: 60 }), rule('api', '10.43.0.21', [])),
      model(rule('web', '10.43.0.20', ['10.42.3.2'], { nodePort: 30080, affinitySeconds: 30 }), rule('api', '10.43.0.21', ['10.42.2.7'], { nodePort: 30081 })),
      model(rule('web', '10.43.0.20', [], { nodePort: 30080 }), rule('api', '10.43.0.21', ['10.42.2.7'])),
      model(rule('api', '10.43.0.21', ['10.42.2.7', '10.42.2.8'])),
      model(),
    ];
    nft(['-f', '-'], buildRuleset(steps[0]!, cfg));
    for (let i = 1; i < steps.length; i++) {
      const cmds = buildUpdate(steps[i - 1]!, steps[i]!);
      assert.ok(cmds.length > 0, `step ${i} changes something`);
      await session.run(cmds);
      const incremental = listing();
      nft(['-f', '-'], buildRuleset(steps[i]!, cfg));
      assert.deepEqual(incremental, listing(), `step ${i}:\n${cmds.join('\n')}`);
    }
  });

  test('a failing transaction changes nothing, and the session goes on', async () => {
    const m = model(rule('web', '10.43.0.20', ['10.42.1.2']));
    nft(['-f', '-'], buildRuleset(m, cfg));
    const before = listing();
    // a good command, then one that fails (the element is not there): neither may apply
    await assert.rejects(session.run(['add element ip skiff no-endpoint-services { 10.43.0.99 . tcp . 80 }', 'delete element ip skiff service-ips { 10.43.0.98 . tcp . 80 }']), /nft transaction failed/);
    assert.deepEqual(listing(), before);
    const next = model(rule('web', '10.43.0.20', ['10.42.1.2', '10.42.1.3']));
    await session.run(buildUpdate(m, next));
    const incremental = listing();
    assert.notDeepEqual(incremental, before);
    nft(['-f', '-'], buildRuleset(next, cfg));
    assert.deepEqual(incremental, listing());
  });
});
