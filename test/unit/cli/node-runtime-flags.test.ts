// The node flags of `skiff agent` and `skiff up`: bad values are usage errors
// said plainly, before anything starts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseArgs } from 'node:util';
import { NODE_RUNTIME_FLAGS, nodeRuntimeOptions } from '../../../src/cli/node-runtime-flags.js';

// upstream's image GC defaults (85/80 %, 2m minimum age, no maximum age) and skiff's 5 minute period
const IMAGE_GC = { imageGc: { highThresholdPercent: 85, lowThresholdPercent: 80, minAgeMs: 120_000, maxAgeMs: 0 }, imageGcPeriodMs: 300_000 };

const parse = (args: string[]) => nodeRuntimeOptions(parseArgs({ args, options: NODE_RUNTIME_FLAGS, strict: true }).values);

test('defaults: runc, upstream thresholds, five minutes of transition, no default seccomp', () => {
  assert.deepEqual(parse([]), { runtime: 'runc', ociRuntime: undefined, seccompDefault: false, evictionHard: undefined, evictionPressureTransitionPeriod: '5m', ...IMAGE_GC });
});

test('crun, a runtime binary, thresholds and --seccomp-default are taken', () => {
  assert.deepEqual(parse(['--runtime', 'crun', '--seccomp-default', '--eviction-hard', 'memory.available<1Gi', '--eviction-pressure-transition-period', '30s']), {
    runtime: 'crun', ociRuntime: undefined, seccompDefault: true, evictionHard: 'memory.available<1Gi', evictionPressureTransitionPeriod: '30s', ...IMAGE_GC,
  });
  assert.equal((parse(['--oci-runtime', '/opt/bin/youki']) as { ociRuntime: string }).ociRuntime, '/opt/bin/youki');
});

test('unknown runtimes, bad thresholds and durations are refused with the reason', () => {
  assert.match((parse(['--runtime', 'youki']) as { error: string }).error, /--runtime must be runc or crun/);
  assert.match((parse(['--eviction-hard', 'memory.available>1Gi']) as { error: string }).error, /only < is supported/);
  assert.match((parse(['--eviction-pressure-transition-period', 'soon']) as { error: string }).error, /invalid duration/);
});

test('soft thresholds need a grace period each; the max pod grace period is whole seconds; the monitoring interval a duration', () => {
  assert.deepEqual(parse(['--eviction-soft', 'memory.available<1Gi', '--eviction-soft-grace-period', 'memory.available=1m30s', '--eviction-max-pod-grace-period', '20', '--eviction-monitoring-interval', '1s']), {
    runtime: 'runc', ociRuntime: undefined, seccompDefault: false, evictionHard: undefined, evictionPressureTransitionPeriod: '5m',
    evictionSoft: 'memory.available<1Gi', evictionSoftGracePeriod: 'memory.available=1m30s', evictionMaxPodGracePeriod: 20, evictionMonitoringInterval: '1s', ...IMAGE_GC,
  });
  assert.match((parse(['--eviction-soft', 'memory.available<1Gi']) as { error: string }).error, /grace period must be specified for the soft eviction threshold memory.available/);
  assert.match((parse(['--eviction-soft', 'memory.available<1Gi', '--eviction-soft-grace-period', 'memory.free=1m']) as { error: string }).error, /unsupported eviction signal memory.free/);
  assert.match((parse(['--eviction-max-pod-grace-period', 'soon']) as { error: string }).error, /whole number of seconds/);
  assert.match((parse(['--eviction-monitoring-interval', 'often']) as { error: string }).error, /invalid duration/);
});

test('image GC thresholds, ages and period are taken; bad ones are refused as upstream words them', () => {
  const o = parse(['--image-gc-high-threshold', '90', '--image-gc-low-threshold', '50', '--minimum-image-ttl-duration', '0s', '--image-maximum-gc-age', '1h', '--image-gc-period', '10s']) as Record<string, unknown>;
  assert.deepEqual({ imageGc: o.imageGc, imageGcPeriodMs: o.imageGcPeriodMs }, { imageGc: { highThresholdPercent: 90, lowThresholdPercent: 50, minAgeMs: 0, maxAgeMs: 3_600_000 }, imageGcPeriodMs: 10_000 });
  assert.match((parse(['--image-gc-high-threshold', '70']) as { error: string }).error, /--image-gc-low-threshold \(80\) must be less than --image-gc-high-threshold \(70\)/);
  assert.match((parse(['--image-gc-high-threshold', 'lots']) as { error: string }).error, /--image-gc-high-threshold must be a whole percentage from 0 to 100, got lots/);
  assert.match((parse(['--minimum-image-ttl-duration', 'a while']) as { error: string }).error, /invalid duration/);
  assert.match((parse(['--image-gc-period', '0s']) as { error: string }).error, /--image-gc-period must be a positive duration/);
});
