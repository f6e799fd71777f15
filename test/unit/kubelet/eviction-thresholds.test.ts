// --eviction-hard parsing, threshold checks, pressure with its transition
// period, and the condition taints the node lifecycle controller derives.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_EVICTION_HARD, EvictionThresholdError, parseDurationMs, parseEvictionHard, thresholdsMet } from '../../../src/kubelet/eviction-thresholds.js';
import { NodePressure } from '../../../src/kubelet/node-pressure.js';
import { nodeStatus } from '../../../src/kubelet/node-status.js';
import { conditionTaints } from '../../../src/controllers/nodelifecycle/node-lifecycle-controller.js';

const Mi = 1024 ** 2;
const Gi = 1024 ** 3;

test('upstream defaults parse to absolute and percentage thresholds', () => {
  assert.deepEqual(parseEvictionHard(DEFAULT_EVICTION_HARD), [
    { signal: 'memory.available', quantity: 100 * Mi },
    { signal: 'nodefs.available', fraction: 0.1 },
    { signal: 'nodefs.inodesFree', fraction: 0.05 },
    { signal: 'imagefs.available', fraction: 0.15 },
    { signal: 'imagefs.inodesFree', fraction: 0.05 },
  ]);
});

test('pid.available, spaces, and zero thresholds that turn a signal off', () => {
  assert.deepEqual(parseEvictionHard(' memory.available<2Gi , pid.available<1000, nodefs.available<0%'), [
    { signal: 'memory.available', quantity: 2 * Gi },
    { signal: 'pid.available', quantity: 1000 },
  ]);
  assert.deepEqual(parseEvictionHard(''), []);
});

test('bad statements are refused with what is wrong', () => {
  assert.throws(() => parseEvictionHard('memory.available>1Gi'), /only < is supported/);
  assert.throws(() => parseEvictionHard('memory.free<1Gi'), /unknown eviction signal "memory.free"/);
  assert.throws(() => parseEvictionHard('memory.available<lots'), /invalid quantity/);
  assert.throws(() => parseEvictionHard('nodefs.available<120%'), /0% to 100%/);
  assert.throws(() => parseEvictionHard('memory.available<1Gi,memory.available<2Gi'), /duplicate/);
  assert.throws(() => parseEvictionHard('memory.available'), EvictionThresholdError);
});

test('a threshold is met when what is available falls below it (percentages of the capacity)', () => {
  const t = parseEvictionHard('memory.available<1Gi,nodefs.available<10%');
  assert.deepEqual(thresholdsMet(t, { 'memory.available': { available: 2 * Gi, capacity: 8 * Gi }, 'nodefs.available': { available: 50, capacity: 100 } }), []);
  assert.deepEqual(thresholdsMet(t, { 'memory.available': { available: Gi - 1, capacity: 8 * Gi }, 'nodefs.available': { available: 9, capacity: 100 } }).map((x) => x.signal), ['memory.available', 'nodefs.available']);
  // no observation, no verdict
  assert.deepEqual(thresholdsMet(t, {}), []);
});

test('pressure stays for the transition period after the threshold stops being met', () => {
  let available = 10;
  const p = new NodePressure(parseEvictionHard('memory.available<100'), () => ({ 'memory.available': { available, capacity: 1000 } }), 60_000);
  assert.equal(p.check(0).conditions.MemoryPressure, true);
  available = 500;
  assert.equal(p.check(30_000).conditions.MemoryPressure, true);
  assert.equal(p.check(60_001).conditions.MemoryPressure, false);
  assert.equal(p.check(60_001).conditions.DiskPressure, false);
});

test('imagefs and inode thresholds drive DiskPressure, pid.available PIDPressure', () => {
  const p = new NodePressure(parseEvictionHard('imagefs.inodesFree<5%,pid.available<100'), () => ({ 'imagefs.inodesFree': { available: 1, capacity: 100 }, 'pid.available': { available: 50, capacity: 32768 } }), 0);
  const c = p.check(1).conditions;
  assert.deepEqual(c, { MemoryPressure: false, DiskPressure: true, PIDPressure: true });
});

test('node status carries upstream reasons and keeps the eviction reserve out of allocatable', () => {
  const evictionHard = parseEvictionHard('memory.available<1Gi');
  const st = nodeStatus({ name: 'n1', runtimeVersion: 'runc://1.1.5', memory: `${4 * 1024 * 1024}Ki`, evictionHard, pressure: () => ({ conditions: { MemoryPressure: true, DiskPressure: false, PIDPressure: false }, met: evictionHard }) }, '2025-01-01T00:00:00Z') as any;
  const mem = st.conditions.find((c: any) => c.type === 'MemoryPressure');
  assert.equal(mem.status, 'True');
  assert.equal(mem.reason, 'KubeletHasInsufficientMemory');
  assert.equal(st.conditions.find((c: any) => c.type === 'DiskPressure').reason, 'KubeletHasNoDiskPressure');
  assert.equal(st.allocatable.memory, `${3 * 1024 * 1024}Ki`);
  assert.equal(st.capacity.memory, `${4 * 1024 * 1024}Ki`);
  // a reserve above the capacity leaves nothing allocatable, never less
  const big = nodeStatus({ name: 'n1', runtimeVersion: 'x', memory: '1024Ki', evictionHard: parseEvictionHard('memory.available<1Gi') }, 'now') as any;
  assert.equal(big.allocatable.memory, '0Ki');
});

test('condition taints follow the pressure conditions and leave other taints alone', () => {
  const node = (conds: Record<string, string>, taints: object[] = []) => ({ metadata: { name: 'n' }, spec: { taints }, status: { conditions: Object.entries(conds).map(([type, status]) => ({ type, status })) } });
  const other = { key: 'dedicated', value: 'gpu', effect: 'NoSchedule' };
  assert.deepEqual(conditionTaints(node({ MemoryPressure: 'True', DiskPressure: 'False', PIDPressure: 'True', Ready: 'True' }, [other]) as any), [
    other,
    { key: 'node.kubernetes.io/memory-pressure', effect: 'NoSchedule' },
    { key: 'node.kubernetes.io/pid-pressure', effect: 'NoSchedule' },
  ]);
  // already matching: nothing to write
  assert.equal(conditionTaints(node({ MemoryPressure: 'True' }, [{ key: 'node.kubernetes.io/memory-pressure', effect: 'NoSchedule' }]) as any), undefined);
  // pressure gone (or Unknown): the taint goes, the others stay
  assert.deepEqual(conditionTaints(node({ MemoryPressure: 'Unknown' }, [other, { key: 'node.kubernetes.io/memory-pressure', effect: 'NoSchedule' }]) as any), [other]);
});

test('durations as the kubelet takes them', () => {
  assert.equal(parseDurationMs('5m'), 300_000);
  assert.equal(parseDurationMs('1h30m'), 5_400_000);
  assert.equal(parseDurationMs('0'), 0);
  assert.equal(parseDurationMs('250ms'), 250);
  assert.throws(() => parseDurationMs('5 minutes'), EvictionThresholdError);
});
