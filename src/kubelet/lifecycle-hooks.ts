// Container lifecycle hooks, as the kubelet runs them: postStart right after the
// container starts (a failure kills the container, FailedPostStartHook), and
// preStop before SIGTERM, inside the grace period (FailedPreStopHook). Handlers:
// exec in the container, httpGet from the pod's network namespace, sleep.
import type { Runtime } from '../runtime/runtime.js';
import { runProbe, type ProbeTarget } from './probes.js';

type Obj = Record<string, any>;

// upstream leaves the container at least this long for SIGTERM after a slow preStop
const MIN_GRACE_AFTER_PRESTOP_S = 2;

export interface HookContext {
  runtime: Runtime;
  container: Obj;
  /** "name_namespace(uid)", as upstream's messages name the pod */
  podDesc: string;
  target: Omit<ProbeTarget, 'containerId'>;
  event: (type: 'Normal' | 'Warning', reason: string, message: string) => void;
}

/** Runs one handler; resolves with an error message, or undefined when it succeeded. */
export async function runHandler(handler: Obj, containerId: string, ctx: HookContext, timeoutMs: number): Promise<string | undefined> {
  const what = `for Container "${ctx.container.name}" in Pod "${ctx.podDesc}"`;
  if (handler.sleep) {
    await new Promise((r) => setTimeout(r, Math.min(timeoutMs, Math.max(0, Number(handler.sleep.seconds ?? 0)) * 1000)));
    return undefined;
  }
  const seconds = Math.max(1, Math.ceil(timeoutMs / 1000));
  if (handler.exec) {
    const r = await runProbe({ exec: handler.exec, timeoutSeconds: seconds }, { ...ctx.target, containerId });
    return r.ok ? undefined : `Exec lifecycle hook (${JSON.stringify(handler.exec.command ?? [])}) ${what} failed - error: ${r.message ?? 'command failed'}`;
  }
  if (handler.httpGet) {
    const r = await runProbe({ httpGet: handler.httpGet, timeoutSeconds: seconds }, { ...ctx.target, containerId });
    return r.ok ? undefined : `HTTP lifecycle hook (${handler.httpGet.path ?? '/'}) ${what} failed - error: ${r.message ?? 'request failed'}`;
  }
  if (handler.tcpSocket) return `TCPSocket lifecycle hook ${what} failed - error: tcpSocket is deprecated and not supported as a lifecycle handler`;
  return `lifecycle hook ${what} has no handler`;
}

/** After start: true when the container may keep running; on failure it has been stopped (preStop included). */
export async function runPostStart(ctx: HookContext, containerId: string, graceSeconds: number): Promise<boolean> {
  const handler = ctx.container.lifecycle?.postStart as Obj | undefined;
  if (!handler) return true;
  // postStart has no timeout of its own upstream; bound it by the grace period so a hung hook cannot stall the pod forever
  const err = await runHandler(handler, containerId, ctx, Math.max(graceSeconds, 30) * 1000);
  if (!err) return true;
  ctx.event('Warning', 'FailedPostStartHook', err);
  ctx.event('Normal', 'Killing', `FailedPostStartHook`);
  await stopWithPreStop(ctx, containerId, graceSeconds);
  return false;
}

/** preStop (if any, while the container runs), then SIGTERM with what is left of the grace period, then SIGKILL. */
export async function stopWithPreStop(ctx: HookContext, containerId: string, graceSeconds: number): Promise<void> {
  const handler = ctx.container.lifecycle?.preStop as Obj | undefined;
  let grace = graceSeconds;
  if (handler && graceSeconds > 0 && (await ctx.runtime.containerStatus(containerId))?.state === 'running') {
    const started = Date.now();
    const err = await Promise.race([runHandler(handler, containerId, ctx, graceSeconds * 1000), new Promise<string>((r) => setTimeout(() => r(`PreStopHook ${ctx.container.name} did not finish within ${graceSeconds}s`), graceSeconds * 1000).unref())]);
    if (err) ctx.event('Warning', 'FailedPreStopHook', err);
    grace = Math.max(MIN_GRACE_AFTER_PRESTOP_S, graceSeconds - Math.round((Date.now() - started) / 1000));
  }
  await ctx.runtime.stopContainer(containerId, grace);
}
