// The event recorder against a real server: a repeat inside the 10 minute
// window bumps the Event's count; past it a new Event is written, and the
// recorder forgets what expired (a clock the test moves stands in for waiting).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../../src/api/object.js';
import { EventRecorder } from '../../src/client/event-recorder.js';
import { loadKubeconfig } from '../../src/client/kubeconfig.js';
import { RestClient } from '../../src/client/rest-client.js';
import { k, startServer, type ServerHandle } from './harness.js';

describe('event recorder', () => {
  let s: ServerHandle;
  before(async () => {
    s = await startServer();
  });
  after(() => s?.cleanup());

  test('repeats inside the window count up; past it they are new Events and the old entries are forgotten', async () => {
    let now = Date.now();
    const errors: unknown[] = [];
    const recorder = new EventRecorder(new RestClient(loadKubeconfig(s.kubeconfig)), { component: 'test' }, (e) => errors.push(e), () => now);
    const pod = (name: string) => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'default', uid: `uid-${name}` } }) as KubeObject;
    const seen = () => (recorder as unknown as { seen: Map<string, unknown> }).seen;
    const events = (name: string) =>
      (JSON.parse(k(s, ['get', 'events', '--field-selector', `involvedObject.name=${name}`, '-o', 'json'])).items as Array<{ count: number }>).map((e) => e.count).sort();

    await recorder.eventAndWait(pod('a'), 'Normal', 'Started', 'Started container c');
    now += 60_000;
    await recorder.eventAndWait(pod('a'), 'Normal', 'Started', 'Started container c');
    assert.deepEqual(events('a'), [2], 'one Event, counted twice');
    await recorder.eventAndWait(pod('b'), 'Normal', 'Pulled', 'already present');
    assert.equal(seen().size, 2);

    now += 11 * 60_000; // past the window for both
    await recorder.eventAndWait(pod('a'), 'Normal', 'Started', 'Started container c');
    assert.deepEqual(events('a'), [1, 2], 'a new Event once the window passed');
    assert.equal(seen().size, 1, 'b\'s expired entry is gone, a\'s is the new one');
    assert.deepEqual(errors, []);
  });
});
