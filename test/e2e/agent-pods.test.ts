// A node agent runs pods as real runc containers: `skiff up` inside a network
// namespace the test made, driven by the real kubectl.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, readFileSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { AGENT_NODE_FLAGS, k, kubectl, until, type ServerHandle } from './harness.js';
import { removeContainers, startNodeCluster, type NodeCluster } from './node-harness.js';
import { holderAlive, type SandboxHolder } from '../../src/runtime/oci/pinned-sandbox.js';

const NODE = 'e2e-node';

function pod(name: string, containers: object[], restartPolicy = 'Always', grace = 2): string {
  return JSON.stringify({ apiVersion: 'v1', kind: 'Pod', metadata: { name }, spec: { nodeName: NODE, restartPolicy, terminationGracePeriodSeconds: grace, containers } });
}

describe('node agent runs pods as containers', () => {
  let c: NodeCluster;
  let s: ServerHandle;
  const runcRoot = () => join(s.dataDir, 'agent/runtime/runc');
  const status = (name: string) => JSON.parse(k(s, ['get', 'pod', name, '-o', 'json'])).status;

  /** A separate `skiff agent` process in the node's network namespace, next to the server. */
  const spawnAgent = (name: string, dataDir: string, kubeletPort: number, env: Record<string, string> = {}) => {
    const p = spawn('nsenter', [`--net=/var/run/netns/${c.netns}`, process.execPath, ...AGENT_NODE_FLAGS, '--import', 'tsx', join(process.cwd(), 'src/cli/main.ts'), 'agent', '--kubeconfig', s.kubeconfig, '--node-name', name, '--data-dir', dataDir, '--cgroup-parent', c.cgroupParent, '--kubelet-port', String(kubeletPort), '--cni-bridge', `cni-${name}`], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
    let out = '';
    p.stdout!.on('data', (d) => (out += d));
    p.stderr!.on('data', (d) => (out += d));
    return { p, ready: until(`${name} agent ready`, () => out.includes('skiff agent ready')) };
  };

  before(async () => {
    c = await startNodeCluster('agent-pods', { nodeName: NODE, env: { SKIFF_NODE_GRACE_SECONDS: '5', SKIFF_NODE_LEASE_RENEW_MS: '1000' } });
    s = c.s;
  });

  // anything left behind by a failed test too: containers, mounts, cgroups, the namespace
  after(() => c?.stop());

  test('the node registers Ready with capacity and a lease', async () => {
    // the 5 s node grace of this file can mark a node starting on a loaded machine
    // Unknown until its next status post (10 s): wait for Ready rather than sample once
    await until('node Ready', () => new RegExp(`^${NODE}\\s+Ready\\s`, 'm').test(k(s, ['get', 'nodes', NODE])), 40_000);
    const node = JSON.parse(k(s, ['get', 'node', NODE, '-o', 'json']));
    assert.ok(Number(node.status.capacity.cpu) >= 1);
    assert.match(node.status.capacity.memory, /^\d+Ki$/);
    assert.equal(node.status.nodeInfo.operatingSystem, 'linux');
    const lease = JSON.parse(k(s, ['-n', 'kube-node-lease', 'get', 'lease', NODE, '-o', 'json']));
    assert.equal(lease.spec.holderIdentity, NODE);
  });

  test('a pod runs, writes its log, and crash-looping containers are restarted with back-off', async () => {
    k(s, ['apply', '-f', '-'], pod('web', [
      { name: 'main', image: 'busybox:1.36', command: ['sh', '-c', 'echo started in $(hostname); trap "exit 0" TERM; while true; do sleep 1; done'] },
      { name: 'crash', image: 'busybox', command: ['sh', '-c', 'echo crashing now; exit 3'] },
    ], 'Always', 120)); // a long grace of its own: the deletion test below overrides it
    await until('main running', () => status('web').containerStatuses?.find((c: any) => c.name === 'main')?.state?.running);
    const st = await until('crash restarted', () => {
      const c = status('web').containerStatuses?.find((x: any) => x.name === 'crash');
      return c?.restartCount >= 1 && c?.state?.waiting?.reason === 'CrashLoopBackOff' ? c : undefined;
    });
    assert.equal(st.lastState.terminated.exitCode, 3);
    assert.equal(st.lastState.terminated.reason, 'Error');
    assert.match(k(s, ['get', 'pod', 'web']), /web\s+1\/2\s+CrashLoopBackOff\s+1 \(/);
    const p = JSON.parse(k(s, ['get', 'pod', 'web', '-o', 'json']));
    const main = p.status.containerStatuses.find((c: any) => c.name === 'main');
    const log = readFileSync(join(s.dataDir, 'agent/runtime/logs', `${main.containerID.replace('runc://', '')}.log`), 'utf8');
    assert.match(log, /stdout F started in web/);
    assert.equal(p.status.phase, 'Running');
    assert.ok(p.status.conditions.some((c: any) => c.type === 'Initialized' && c.status === 'True'));
    // kubectl describe tells the story from the kubelet's events
    const described = await until('events recorded', () => {
      const d = k(s, ['describe', 'pod', 'web']);
      return /BackOff/.test(d) ? d : undefined;
    });
    // a busybox tag used for the first time on this node is imported from the built-in busybox: reported as a pull
    for (const line of [/Normal\s+Pulled\s+.*kubelet\s+(Container image "busybox:1.36" already present on machine|Successfully pulled image "busybox:1.36" in )/, /Normal\s+Created\s+.*Created container main/, /Normal\s+Started\s+.*Started container main/, /Warning\s+BackOff\s+.*Back-off restarting failed container crash/]) {
      assert.match(described, line);
    }
  });

  test('kubectl logs: container, --previous, --tail, --timestamps and -f', async () => {
    k(s, ['apply', '-f', '-'], pod('talker', [{ name: 'c', image: 'busybox', command: ['sh', '-c', 'for i in 1 2 3; do echo line $i; done; while true; do echo tick; sleep 0.3; done'] }]));
    await until('talker logs', () => /line 3/.test(kubectl(s, ['logs', 'talker']).stdout));
    assert.match(k(s, ['logs', 'talker']), /^line 1\nline 2\nline 3\n/);
    assert.match(k(s, ['logs', 'talker', '--timestamps']), /^\d{4}-\d\d-\d\dT[\d:.]+Z line 1$/m);
    assert.equal(k(s, ['logs', 'talker', '--tail=1']).split('\n').filter(Boolean).length, 1);
    assert.match(k(s, ['logs', 'web', '-c', 'crash', '--previous']), /crashing now/);
    // kubectl picks the first container itself; the API asks for one when there are several
    assert.match(kubectl(s, ['logs', 'web']).stderr, /Defaulted container "main"/);
    const bad = kubectl(s, ['get', '--raw', '/api/v1/namespaces/default/pods/web/log']);
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /a container name must be specified for pod web, choose one of: \[main crash\]/);
    const follow = await new Promise<string>((resolve) => {
      const p = spawn('nsenter', [`--net=/var/run/netns/${c.netns}`, 'kubectl', 'logs', '-f', 'talker', '--tail=1'], { env: { ...process.env, KUBECONFIG: s.kubeconfig } });
      let out = '';
      p.stdout.on('data', (d) => {
        out += d;
        if (out.split('tick').length > 3) p.kill();
      });
      p.on('close', () => resolve(out));
      setTimeout(() => p.kill(), 10_000);
    });
    assert.ok(follow.split('tick').length > 3, `followed: ${follow}`);
  });

  test('volumes and environment: configMap, secret, emptyDir, downwardAPI, env sources; updates follow', async () => {
    k(s, ['create', 'configmap', 'settings', '--from-literal=greeting=hello', '--from-literal=mode=fast']);
    k(s, ['create', 'secret', 'generic', 'creds', '--from-literal=password=s3cret']);
    k(s, ['apply', '-f', '-'], JSON.stringify({
      apiVersion: 'v1', kind: 'Pod', metadata: { name: 'vols', labels: { tier: 'web' } },
      spec: {
        nodeName: NODE, terminationGracePeriodSeconds: 1,
        volumes: [
          { name: 'cfg', configMap: { name: 'settings' } },
          { name: 'sec', secret: { secretName: 'creds', defaultMode: 0o400 } },
          { name: 'shared', emptyDir: {} },
          { name: 'mem', emptyDir: { medium: 'Memory' } },
          { name: 'info', downwardAPI: { items: [{ path: 'labels', fieldRef: { fieldPath: 'metadata.labels' } }] } },
        ],
        containers: [
          { name: 'writer', image: 'busybox', command: ['sh', '-c', 'echo shared-data > /shared/f; sleep 3600'], volumeMounts: [{ name: 'shared', mountPath: '/shared' }] },
          {
            name: 'reader', image: 'busybox',
            command: ['sh', '-c', 'sleep 1; echo "env=$GREETING/$PASSWORD/$POD_NAME/$MODE_mode/$REF"; cat /cfg/greeting; echo; cat /sec/password; echo; cat /shared/f; cat /info/labels; echo; grep -c tmpfs /proc/mounts; touch /cfg/x 2>/dev/null || echo ro-ok; while true; do cat /cfg/greeting; echo; sleep 0.5; done'],
            env: [
              { name: 'GREETING', valueFrom: { configMapKeyRef: { name: 'settings', key: 'greeting' } } },
              { name: 'PASSWORD', valueFrom: { secretKeyRef: { name: 'creds', key: 'password' } } },
              { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
              { name: 'REF', value: '$(GREETING)-ref' },
            ],
            envFrom: [{ configMapRef: { name: 'settings' }, prefix: 'MODE_' }],
            volumeMounts: [
              { name: 'cfg', mountPath: '/cfg', readOnly: true },
              { name: 'sec', mountPath: '/sec' },
              { name: 'shared', mountPath: '/shared' },
              { name: 'info', mountPath: '/info' },
              { name: 'mem', mountPath: '/mem' },
            ],
          },
        ],
      },
    }));
    const out = await until('reader output', () => {
      const r = kubectl(s, ['logs', 'vols', '-c', 'reader']);
      return /ro-ok/.test(r.stdout) ? r.stdout : undefined;
    });
    assert.match(out, /env=hello\/s3cret\/vols\/fast\/hello-ref/);
    assert.match(out, /^hello$/m);
    assert.match(out, /^s3cret$/m);
    assert.match(out, /^shared-data$/m);
    assert.match(out, /tier="web"/);
    k(s, ['patch', 'configmap', 'settings', '--type=merge', '-p', '{"data":{"greeting":"updated"}}']);
    await until('mounted file follows the update', () => /^updated$/m.test(kubectl(s, ['logs', 'vols', '-c', 'reader', '--tail=2']).stdout), 20_000);
    const missing = JSON.stringify({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'novol' }, spec: { nodeName: NODE, volumes: [{ name: 'x', configMap: { name: 'absent' } }], containers: [{ name: 'c', image: 'busybox', command: ['true'], volumeMounts: [{ name: 'x', mountPath: '/x' }] }] } });
    k(s, ['apply', '-f', '-'], missing);
    const w = await until('waiting on the missing configmap', () => status('novol').containerStatuses?.[0]?.state?.waiting?.message);
    assert.match(w, /configmap "absent" not found/);
  });

  test('probes: readiness gates Ready, a failing liveness probe restarts, tcp and http probes reach the pod', async () => {
    k(s, ['apply', '-f', '-'], JSON.stringify({
      apiVersion: 'v1', kind: 'Pod', metadata: { name: 'probed' },
      spec: {
        nodeName: NODE, terminationGracePeriodSeconds: 1,
        containers: [
          {
            name: 'web', image: 'busybox', command: ['sh', '-c', 'mkdir -p /www && echo ok > /www/index.html && sleep 2 && exec httpd -f -p 8080 -h /www'],
            ports: [{ name: 'http', containerPort: 8080 }],
            readinessProbe: { httpGet: { path: '/index.html', port: 'http' }, periodSeconds: 1 },
            livenessProbe: { tcpSocket: { port: 8080 }, initialDelaySeconds: 4, periodSeconds: 1 },
          },
          {
            name: 'flaky', image: 'busybox', command: ['sh', '-c', 'touch /tmp/alive; sleep 2; rm /tmp/alive; sleep 3600'],
            livenessProbe: { exec: { command: ['test', '-f', '/tmp/alive'] }, periodSeconds: 1, failureThreshold: 2 },
          },
        ],
      },
    }));
    const early = await until('web running', () => status('probed').containerStatuses?.find((c: any) => c.name === 'web' && c.state.running));
    assert.equal(early.ready, false, 'not ready before the readiness probe passes');
    await until('web ready', () => status('probed').containerStatuses?.find((c: any) => c.name === 'web')?.ready === true, 20_000);
    const flaky = await until('flaky restarted by liveness', () => status('probed').containerStatuses?.find((c: any) => c.name === 'flaky' && c.restartCount >= 1), 30_000);
    assert.ok(flaky.lastState.terminated);
    const web = status('probed').containerStatuses.find((c: any) => c.name === 'web');
    assert.equal(web.restartCount, 0, 'the healthy container is left alone');
  });

  test('resources and securityContext become cgroup limits and process settings; exceeding memory is OOMKilled', async () => {
    k(s, ['apply', '-f', '-'], JSON.stringify({
      apiVersion: 'v1', kind: 'Pod', metadata: { name: 'secure' },
      spec: {
        nodeName: NODE, restartPolicy: 'Never', terminationGracePeriodSeconds: 1,
        containers: [
          {
            name: 'c', image: 'busybox',
            command: ['sh', '-c', 'echo uid=$(id -u) gid=$(id -g); touch /x 2>/dev/null || echo rootfs-ro; grep CapEff /proc/self/status; cat /sys/fs/cgroup/memory/memory.limit_in_bytes 2>/dev/null || cat /sys/fs/cgroup/memory.max'],
            resources: { limits: { memory: '64Mi', cpu: '500m' }, requests: { cpu: '250m' } },
            securityContext: { runAsUser: 1000, runAsGroup: 1000, readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } },
          },
        ],
      },
    }));
    await until('secure done', () => status('secure').phase === 'Succeeded');
    const out = k(s, ['logs', 'secure']);
    assert.match(out, /uid=1000 gid=1000/);
    assert.match(out, /rootfs-ro/);
    assert.match(out, /CapEff:\s+0000000000000000/);
    assert.match(out, /^67108864$/m);
    assert.equal(JSON.parse(k(s, ['get', 'pod', 'secure', '-o', 'json'])).status.qosClass, 'Burstable');

    k(s, ['apply', '-f', '-'], pod('nonroot', [{ name: 'c', image: 'busybox', command: ['true'], securityContext: { runAsNonRoot: true } }], 'Never'));
    const w = await until('runAsNonRoot refused', () => status('nonroot').containerStatuses?.[0]?.state?.waiting);
    assert.equal(w.reason, 'CreateContainerConfigError');

    k(s, ['apply', '-f', '-'], JSON.stringify({
      apiVersion: 'v1', kind: 'Pod', metadata: { name: 'hog' },
      spec: { nodeName: NODE, restartPolicy: 'Never', containers: [{ name: 'c', image: 'busybox', command: ['sh', '-c', 'head -c 200m /dev/zero | tail'], resources: { limits: { memory: '32Mi' } } }] },
    }));
    const t = await until('hog killed', () => status('hog').containerStatuses?.[0]?.state?.terminated);
    assert.equal(t.reason, 'OOMKilled');
    assert.equal(t.exitCode, 137);
    assert.match(k(s, ['get', 'pod', 'hog']), /OOMKilled/);
  });

  test('kubectl exec: output, errors, exit codes and stdin over the WebSocket stream protocol', async () => {
    k(s, ['run', 'shell', '--image=busybox', '--overrides', JSON.stringify({ spec: { nodeName: NODE, terminationGracePeriodSeconds: 1 } }), '--', 'sleep', '3600']);
    await until('shell running', () => status('shell').containerStatuses?.[0]?.state?.running);
    const r = kubectl(s, ['exec', 'shell', '--', 'sh', '-c', 'echo out; echo err >&2; exit 3']);
    assert.equal(r.code, 3);
    assert.equal(r.stdout, 'out\n');
    assert.match(r.stderr, /^err$/m);
    const piped = kubectl(s, ['exec', '-i', 'shell', '--', 'sh'], 'echo from-stdin $((1+2)); hostname\n');
    assert.equal(piped.code, 0, piped.stderr);
    assert.equal(piped.stdout, 'from-stdin 3\nshell\n');
    const big = kubectl(s, ['exec', 'shell', '--', 'sh', '-c', 'head -c 300000 /dev/zero | tr "\\0" a']);
    assert.equal(big.stdout.length, 300000, 'large output arrives whole');
    const bad = kubectl(s, ['exec', 'shell', '-c', 'nope', '--', 'true']);
    assert.notEqual(bad.code, 0);
  });

  test('the scheduler places pods without a node, and says why when none fits', async () => {
    k(s, ['run', 'placed', '--image=busybox', '--', 'sleep', '3600']);
    await until('placed running', () => status('placed').containerStatuses?.[0]?.state?.running);
    const p = JSON.parse(k(s, ['get', 'pod', 'placed', '-o', 'json']));
    assert.equal(p.spec.nodeName, NODE);
    assert.match(k(s, ['describe', 'pod', 'placed']), new RegExp(`Normal\\s+Scheduled\\s+.*default-scheduler\\s+Successfully assigned default/placed to ${NODE}`));
    k(s, ['apply', '-f', '-'], JSON.stringify({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'huge' }, spec: { containers: [{ name: 'c', image: 'busybox', resources: { requests: { memory: '100Ti' } } }] } }));
    k(s, ['apply', '-f', '-'], JSON.stringify({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'picky' }, spec: { nodeSelector: { disk: 'ssd' }, containers: [{ name: 'c', image: 'busybox', command: ['sleep', '3600'] }] } }));
    const cond = await until('huge unschedulable', () => status('huge').conditions?.find((c: any) => c.type === 'PodScheduled' && c.status === 'False'));
    assert.match(cond.message, /^0\/\d+ nodes are available: .*Insufficient memory/);
    await until('picky unschedulable', () => status('picky').conditions?.find((c: any) => c.type === 'PodScheduled' && c.reason === 'Unschedulable'));
    assert.match(k(s, ['describe', 'pod', 'picky']), /FailedScheduling.*didn't match Pod's node affinity\/selector/);
    // the cluster changes: the waiting pod is retried and placed
    k(s, ['label', 'node', NODE, 'disk=ssd']);
    await until('picky placed after the label', () => status('picky').containerStatuses?.[0]?.state?.running, 20_000);
    k(s, ['delete', 'pod', 'huge', 'picky', 'placed', '--grace-period=1']);
  });

  test('a ReplicaSet keeps its replicas running: replaces deleted pods, scales, adopts, and goes with its pods', async () => {
    const rs = (replicas: number) => JSON.stringify({
      apiVersion: 'apps/v1', kind: 'ReplicaSet', metadata: { name: 'rs1' },
      spec: { replicas, selector: { matchLabels: { app: 'rs1' } }, template: { metadata: { labels: { app: 'rs1' } }, spec: { terminationGracePeriodSeconds: 1, containers: [{ name: 'c', image: 'busybox', command: ['sleep', '3600'] }] } } },
    });
    const pods = () => JSON.parse(k(s, ['get', 'pods', '-l', 'app=rs1', '-o', 'json'])).items.filter((p: any) => !p.metadata.deletionTimestamp);
    k(s, ['apply', '-f', '-'], rs(3));
    await until('3 ready', () => JSON.parse(k(s, ['get', 'rs', 'rs1', '-o', 'json'])).status?.readyReplicas === 3, 30_000);
    assert.match(k(s, ['get', 'rs', 'rs1']), /rs1\s+3\s+3\s+3\s+/);
    const victim = pods()[0].metadata.name;
    k(s, ['delete', 'pod', victim, '--wait=false']);
    await until('replacement', () => {
      const ps = pods();
      return ps.length === 3 && !ps.some((p: any) => p.metadata.name === victim);
    }, 30_000);
    k(s, ['scale', 'rs', 'rs1', '--replicas=1']);
    await until('scaled to 1', () => pods().length === 1, 30_000);
    // an orphan with matching labels is adopted and counted
    k(s, ['apply', '-f', '-'], JSON.stringify({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'stray', labels: { app: 'rs1' } }, spec: { terminationGracePeriodSeconds: 1, containers: [{ name: 'c', image: 'busybox', command: ['sleep', '3600'] }] } }));
    await until('adopted, back to 1', () => pods().length === 1, 30_000);
    const owner = JSON.parse(k(s, ['get', 'pods', '-l', 'app=rs1', '-o', 'json'])).items[0].metadata.ownerReferences?.[0];
    assert.equal(owner?.kind, 'ReplicaSet');
    assert.match(k(s, ['describe', 'rs', 'rs1']), /SuccessfulCreate\s+.*Created pod: rs1-/);
    k(s, ['delete', 'rs', 'rs1']);
    await until('pods collected with their set', () => pods().length === 0, 30_000);
  });

  test('a ReplicationController keeps its replicas too', async () => {
    k(s, ['apply', '-f', '-'], JSON.stringify({ apiVersion: 'v1', kind: 'ReplicationController', metadata: { name: 'rc1' }, spec: { replicas: 2, template: { metadata: { labels: { app: 'rc1' } }, spec: { terminationGracePeriodSeconds: 1, containers: [{ name: 'c', image: 'busybox', command: ['sleep', '3600'] }] } } } }));
    await until('2 ready', () => JSON.parse(k(s, ['get', 'rc', 'rc1', '-o', 'json'])).status?.readyReplicas === 2, 30_000);
    assert.match(k(s, ['get', 'rc', 'rc1']), /rc1\s+2\s+2\s+2\s+/);
    k(s, ['scale', 'rc', 'rc1', '--replicas=0']);
    await until('scaled to 0', () => JSON.parse(k(s, ['get', 'pods', '-l', 'app=rc1', '-o', 'json'])).items.filter((p: any) => !p.metadata.deletionTimestamp).length === 0, 30_000);
    k(s, ['delete', 'rc', 'rc1']);
  });

  test('a Deployment rolls out, scales, restarts, and rolls back with kubectl rollout', async () => {
    k(s, ['create', 'deployment', 'app', '--image=busybox:1.36', '--replicas=2', '--', 'sleep', '3600']);
    k(s, ['patch', 'deployment', 'app', '--type=merge', '-p', '{"spec":{"template":{"spec":{"terminationGracePeriodSeconds":1}}}}']);
    assert.match(k(s, ['rollout', 'status', 'deployment/app', '--timeout=110s']), /successfully rolled out/);
    assert.match(k(s, ['get', 'deploy', 'app']), /app\s+2\/2\s+2\s+2\s+/);
    k(s, ['scale', 'deployment', 'app', '--replicas=3']);
    assert.match(k(s, ['rollout', 'status', 'deployment/app', '--timeout=110s']), /successfully rolled out/);
    assert.equal(JSON.parse(k(s, ['get', 'deploy', 'app', '-o', 'json'])).status.availableReplicas, 3);
    k(s, ['set', 'image', 'deployment/app', 'busybox=busybox:1.37']);
    assert.match(k(s, ['rollout', 'status', 'deployment/app', '--timeout=110s']), /successfully rolled out/);
    const sets = JSON.parse(k(s, ['get', 'rs', '-l', 'app=app', '-o', 'json'])).items;
    const active = sets.filter((r: any) => r.spec.replicas > 0);
    assert.equal(active.length, 1, 'old ReplicaSets are scaled down');
    assert.equal(active[0].spec.template.spec.containers[0].image, 'busybox:1.37');
    assert.match(k(s, ['rollout', 'history', 'deployment/app']), /^1\s/m);
    k(s, ['rollout', 'undo', 'deployment/app']);
    assert.match(k(s, ['rollout', 'status', 'deployment/app', '--timeout=110s']), /successfully rolled out/);
    assert.equal(JSON.parse(k(s, ['get', 'deploy', 'app', '-o', 'json'])).spec.template.spec.containers[0].image, 'busybox:1.36');
    k(s, ['rollout', 'restart', 'deployment/app']);
    assert.match(k(s, ['rollout', 'status', 'deployment/app', '--timeout=110s']), /successfully rolled out/);
    assert.match(k(s, ['describe', 'deployment', 'app']), /ScalingReplicaSet/);
    k(s, ['delete', 'deployment', 'app']);
    await until('deployment pods gone', () => JSON.parse(k(s, ['get', 'pods', '-l', 'app=app', '-o', 'json'])).items.length === 0, 30_000);
  });

  test('Jobs: parallel completions finish, a failing job hits its backoffLimit, Indexed jobs get their index', async () => {
    const job = (name: string, spec: object, command: string[]) => JSON.stringify({ apiVersion: 'batch/v1', kind: 'Job', metadata: { name }, spec: { ...spec, template: { spec: { restartPolicy: 'Never', terminationGracePeriodSeconds: 1, containers: [{ name: 'c', image: 'busybox', command }] } } } });
    k(s, ['apply', '-f', '-'], job('par', { parallelism: 3, completions: 6 }, ['sh', '-c', 'sleep 0.5']));
    k(s, ['wait', '--for=condition=complete', 'job/par', '--timeout=100s']);
    const par = JSON.parse(k(s, ['get', 'job', 'par', '-o', 'json']));
    assert.equal(par.status.succeeded, 6);
    assert.ok(par.status.completionTime);
    assert.match(k(s, ['get', 'job', 'par']), /par\s+Complete\s+6\/6\s+/);
    k(s, ['apply', '-f', '-'], job('fails', { backoffLimit: 1 }, ['sh', '-c', 'exit 1']));
    // two failed pods with the Job's 10 s back-off between them: generous for a loaded machine
    k(s, ['wait', '--for=condition=failed', 'job/fails', '--timeout=100s']);
    const fails = JSON.parse(k(s, ['get', 'job', 'fails', '-o', 'json']));
    assert.equal(fails.status.conditions.find((c: any) => c.type === 'Failed').reason, 'BackoffLimitExceeded');
    assert.equal(fails.status.failed, 2);
    k(s, ['apply', '-f', '-'], job('idx', { completions: 3, parallelism: 3, completionMode: 'Indexed' }, ['sh', '-c', 'echo index=$JOB_COMPLETION_INDEX']));
    k(s, ['wait', '--for=condition=complete', 'job/idx', '--timeout=100s']);
    assert.equal(JSON.parse(k(s, ['get', 'job', 'idx', '-o', 'json'])).status.completedIndexes, '0,1,2');
    const logs = JSON.parse(k(s, ['get', 'pods', '-l', 'batch.kubernetes.io/job-name=idx', '-o', 'json'])).items.map((p: any) => k(s, ['logs', p.metadata.name]).trim()).sort();
    assert.deepEqual(logs, ['index=0', 'index=1', 'index=2']);
    k(s, ['delete', 'job', 'par', 'fails', 'idx']);
  });

  test('a DaemonSet runs one pod per eligible node and rolls template changes', async () => {
    const ds = (image: string, selector?: object) => JSON.stringify({
      apiVersion: 'apps/v1', kind: 'DaemonSet', metadata: { name: 'agentd' },
      spec: { selector: { matchLabels: { app: 'agentd' } }, template: { metadata: { labels: { app: 'agentd' } }, spec: { terminationGracePeriodSeconds: 1, ...(selector ? { nodeSelector: selector } : {}), containers: [{ name: 'c', image, command: ['sleep', '3600'] }] } } },
    });
    const live = () => JSON.parse(k(s, ['get', 'pods', '-l', 'app=agentd', '-o', 'json'])).items.filter((p: any) => !p.metadata.deletionTimestamp);
    k(s, ['apply', '-f', '-'], ds('busybox:1.36'));
    await until('daemon ready', () => JSON.parse(k(s, ['get', 'ds', 'agentd', '-o', 'json'])).status?.numberReady === 1, 30_000);
    assert.equal(live()[0].spec.nodeName, NODE);
    assert.match(k(s, ['get', 'ds', 'agentd']), /agentd\s+1\s+1\s+1\s+1\s+1\s+/);
    const first = live()[0].metadata.name;
    k(s, ['apply', '-f', '-'], ds('busybox:1.37'));
    await until('rolled to the new template', () => {
      const ps = live();
      return ps.length === 1 && ps[0].metadata.name !== first && ps[0].spec.containers[0].image === 'busybox:1.37' && ps[0].status?.containerStatuses?.[0]?.state?.running;
    }, 30_000);
    k(s, ['apply', '-f', '-'], ds('busybox:1.37', { role: 'nowhere' }));
    await until('no eligible node, no pod', () => live().length === 0, 30_000);
    k(s, ['delete', 'ds', 'agentd']);
  });

  test('a container killed from outside is restarted', async () => {
    const main = status('web').containerStatuses.find((c: any) => c.name === 'main');
    const id = main.containerID.replace('runc://', '');
    const state = JSON.parse(execFileSync('runc', ['--root', runcRoot(), 'state', id], { encoding: 'utf8' }));
    process.kill(state.pid, 'SIGKILL');
    const again = await until('main restarted', () => {
      const c = status('web').containerStatuses.find((x: any) => x.name === 'main');
      return c.restartCount >= 1 && c.state.running ? c : undefined;
    });
    assert.equal(again.lastState.terminated.exitCode, 137);
  });

  test('restartPolicy Never: success and failure end the pod', async () => {
    k(s, ['apply', '-f', '-'], pod('ok', [{ name: 'c', image: 'busybox', command: ['true'] }], 'Never'));
    k(s, ['apply', '-f', '-'], pod('bad', [{ name: 'c', image: 'busybox', command: ['sh', '-c', 'exit 1'] }], 'Never'));
    await until('ok succeeded', () => status('ok').phase === 'Succeeded');
    await until('bad failed', () => status('bad').phase === 'Failed');
    assert.match(k(s, ['get', 'pod', 'ok']), /ok\s+0\/1\s+Completed\s+0/);
    assert.match(k(s, ['get', 'pod', 'bad']), /bad\s+0\/1\s+Error\s+0/);
  });

  test('init containers run first, in order', async () => {
    k(s, ['apply', '-f', '-'], JSON.stringify({
      apiVersion: 'v1', kind: 'Pod', metadata: { name: 'init' },
      spec: { nodeName: NODE, terminationGracePeriodSeconds: 1, initContainers: [{ name: 'one', image: 'busybox', command: ['sh', '-c', 'sleep 1'] }], containers: [{ name: 'c', image: 'busybox', command: ['sleep', '3600'] }] },
    }));
    const st = await until('init done and main running', () => {
      const x = status('init');
      return x.containerStatuses?.[0]?.state?.running ? x : undefined;
    });
    assert.equal(st.initContainerStatuses[0].state.terminated.reason, 'Completed');
  });

  test('an image the node does not have waits with a clear reason', async () => {
    k(s, ['apply', '-f', '-'], pod('noimage', [{ name: 'c', image: 'example.com/none:1' }]));
    const w = await until('waiting reason', () => status('noimage').containerStatuses?.[0]?.state?.waiting);
    // IfNotPresent (the default for a tagged image) tries a pull, which has no registry to go to
    assert.match(w.reason, /^(ErrImagePull|ImagePullBackOff)$/);
    assert.match(w.message, /failed to pull image "example.com\/none:1"/);
  });

  test('a separate agent process: pods keep running across an agent restart and are adopted, not restarted', async () => {
    // a second node, as its own `skiff agent` process next to the server
    const dataDir = join(s.dataDir, 'second');
    const startAgent = () => spawnAgent('second', dataDir, 10251);
    let agent = startAgent();
    await agent.ready;
    try {
      k(s, ['apply', '-f', '-'], JSON.stringify({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'steady' }, spec: { nodeName: 'second', terminationGracePeriodSeconds: 1, containers: [{ name: 'c', image: 'busybox', command: ['sleep', '3600'] }] } }));
      const before = await until('steady running', () => status('steady').containerStatuses?.find((c: any) => c.state.running));
      agent.p.kill('SIGTERM');
      await new Promise((r) => agent.p.once('exit', r));
      const id = before.containerID.replace('runc://', '');
      const secondRoot = join(dataDir, 'agent/runtime/runc');
      const state = JSON.parse(execFileSync('runc', ['--root', secondRoot, 'state', id], { encoding: 'utf8' }));
      assert.equal(state.status, 'running', 'the container outlives its agent');
      agent = startAgent();
      await agent.ready;
      await new Promise((r) => setTimeout(r, 2000));
      const after = status('steady').containerStatuses[0];
      assert.equal(after.containerID, before.containerID, 'adopted, same container');
      assert.equal(after.restartCount, 0);
      assert.ok(after.state.running);
      k(s, ['delete', 'pod', 'steady', '--grace-period=1', '--timeout=30s']);
    } finally {
      agent.p.kill('SIGTERM');
      await new Promise((r) => agent.p.once('exit', r));
      removeContainers(dataDir);
    }
  });

  test('a node that stops renewing its lease is tainted and its pods are recreated elsewhere', async () => {
    const dataDir = join(s.dataDir, 'third');
    const { p: agent, ready } = spawnAgent('third', dataDir, 10252, { SKIFF_NODE_LEASE_RENEW_MS: '1000' });
    try {
      await ready;
      k(s, ['label', 'node', 'third', 'pool=workers']);
      k(s, ['apply', '-f', '-'], JSON.stringify({
        apiVersion: 'apps/v1', kind: 'ReplicaSet', metadata: { name: 'moving' },
        spec: { replicas: 1, selector: { matchLabels: { app: 'moving' } }, template: { metadata: { labels: { app: 'moving' } }, spec: { nodeSelector: { pool: 'workers' }, terminationGracePeriodSeconds: 1, tolerations: [{ key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 1 }], containers: [{ name: 'c', image: 'busybox', command: ['sleep', '3600'] }] } } },
      }));
      const onThird = () => JSON.parse(k(s, ['get', 'pods', '-l', 'app=moving', '-o', 'json'])).items.find((p: any) => p.spec.nodeName === 'third' && p.status?.containerStatuses?.[0]?.state?.running);
      await until('running on third', onThird, 30_000);
      agent.kill('SIGKILL');
      await new Promise((r) => agent.once('exit', r));
      k(s, ['label', 'node', NODE, 'pool=workers']);
      const node = await until('third tainted unreachable', () => {
        const n = JSON.parse(k(s, ['get', 'node', 'third', '-o', 'json']));
        return n.spec.taints?.some((t: any) => t.key === 'node.kubernetes.io/unreachable' && t.effect === 'NoExecute') ? n : undefined;
      }, 30_000);
      assert.equal(node.status.conditions.find((c: any) => c.type === 'Ready').status, 'Unknown');
      assert.match(k(s, ['get', 'node', 'third']), /third\s+NotReady|third\s+Unknown/);
      await until('recreated on the live node', () => JSON.parse(k(s, ['get', 'pods', '-l', 'app=moving', '-o', 'json'])).items.some((p: any) => p.spec.nodeName === NODE && p.status?.containerStatuses?.[0]?.state?.running), 40_000);
    } finally {
      if (agent.exitCode === null) agent.kill('SIGKILL');
      kubectl(s, ['delete', 'rs', 'moving', '--cascade=orphan']);
      kubectl(s, ['delete', 'pods', '-l', 'app=moving', '--grace-period=0', '--force']);
      kubectl(s, ['label', 'node', NODE, 'pool-']);
      kubectl(s, ['delete', 'node', 'third']);
      removeContainers(dataDir);
    }
  });

  test('deleting a pod stops its containers within the grace period and removes everything', async () => {
    const uid: string = JSON.parse(k(s, ['get', 'pod', 'web', '-o', 'json'])).metadata.uid;
    assert.ok(c.runcList().some((id) => id.startsWith(uid.slice(0, 13))), 'web has containers before');
    // the sandbox is a process holding the pod's namespaces (no container): its containers share its network namespace
    const holder: SandboxHolder = JSON.parse(readFileSync(join(s.dataDir, 'agent/runtime/containers', `pod-${uid}`, 'meta.json'), 'utf8')).holder;
    assert.ok(holderAlive(holder), 'the sandbox holder runs');
    const main = status('web').containerStatuses.find((x: any) => x.name === 'main').containerID.replace('runc://', '');
    const mainPid = JSON.parse(execFileSync('runc', ['--root', runcRoot(), 'state', main], { encoding: 'utf8' })).pid;
    assert.equal(readlinkSync(`/proc/${mainPid}/ns/net`), readlinkSync(`/proc/${holder.pid}/ns/net`), 'the container is in the sandbox network namespace');
    assert.notEqual(readlinkSync(`/proc/${holder.pid}/ns/net`), readlinkSync('/proc/self/ns/net'));
    const t0 = Date.now();
    k(s, ['delete', 'pod', 'web', '--grace-period=2', '--timeout=100s']);
    const took = Date.now() - t0;
    // the pod's own grace is 120 s: finishing well before it shows the delete's 2 s
    // was honoured (the margin absorbs teardown on a loaded machine)
    assert.ok(took < 60_000, `deletion took ${took} ms`);
    assert.equal(kubectl(s, ['get', 'pod', 'web']).code, 1);
    assert.deepEqual(c.runcList().filter((id) => id.startsWith(uid.slice(0, 13)) || id === `pod-${uid}`), [], 'no container of web is left');
    assert.ok(!existsSync(`/sys/fs/cgroup/memory${c.cgroupParent}/pod${uid}`), 'its cgroup is gone');
    assert.ok(!holderAlive(holder, true), 'its sandbox holder is gone');
  });
});
