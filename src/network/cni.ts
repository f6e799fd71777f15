// Runs a CNI plugin as the CNI spec says: the command and the container in
// environment variables, the network configuration on stdin, a result or an
// error object on stdout. Nothing here knows which plugin it is driving.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { runProgram, type LaunchResult, type Launcher } from '../runtime/launcher.js';

export type CniCommand = 'ADD' | 'DEL' | 'CHECK';

export interface CniRuntimeConf {
  containerId: string;
  /** path of the container's network namespace; empty on DEL when it is already gone */
  netns: string;
  ifName: string;
  /** CNI_ARGS, e.g. K8S_POD_NAME */
  args?: Record<string, string>;
}

export interface CniIp {
  address: string;
  gateway?: string;
  interface?: number;
}

export interface CniResult {
  cniVersion: string;
  interfaces?: { name: string; mac?: string; sandbox?: string }[];
  ips?: CniIp[];
  routes?: { dst: string; gw?: string }[];
}

export class CniError extends Error {
  constructor(
    readonly plugin: string,
    readonly code: number,
    msg: string,
  ) {
    super(`CNI plugin ${plugin} failed: ${msg}`);
  }
}

/** Where the Debian package and the usual upstream layout put the plugins. */
export const CNI_BIN_DIRS = ['/usr/lib/cni', '/opt/cni/bin', '/usr/libexec/cni'];

export function findCniBinDir(candidates = CNI_BIN_DIRS): string | undefined {
  return candidates.find((d) => existsSync(join(d, 'bridge')) && existsSync(join(d, 'host-local')));
}

export async function invokePlugin(binDir: string, command: CniCommand, rt: CniRuntimeConf, netConf: object, launcher?: Launcher): Promise<CniResult | undefined> {
  const type = (netConf as { type?: string }).type;
  if (!type) throw new Error('CNI network configuration has no type');
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin',
    CNI_COMMAND: command,
    CNI_CONTAINERID: rt.containerId,
    CNI_NETNS: rt.netns,
    CNI_IFNAME: rt.ifName,
    CNI_PATH: binDir,
  };
  if (rt.args) env.CNI_ARGS = Object.entries(rt.args).map(([k, v]) => `${k}=${v}`).join(';');
  const plugin = join(binDir, type);
  const missing = () => new CniError(type, -1, `${plugin} cannot be run (is containernetworking-plugins installed in ${binDir}?)`);
  let r: LaunchResult;
  try {
    r = await runProgram(launcher, plugin, [], { env, input: JSON.stringify(netConf) });
  } catch {
    throw missing();
  }
  // a shell answers 126/127 for a program it cannot run or find
  if ((r.code === 126 || r.code === 127) && !existsSync(plugin)) throw missing();
  if (r.code === 0) return r.stdout.trim() ? (JSON.parse(r.stdout) as CniResult) : undefined;
  // plugins report failures as {code, msg, details} on stdout
  let msg = r.stderr.trim() || `exit code ${r.code}`;
  try {
    const e = JSON.parse(r.stdout) as { msg?: string; details?: string };
    if (e.msg) msg = e.details ? `${e.msg}: ${e.details}` : e.msg;
  } catch {
    /* not JSON: keep stderr */
  }
  throw new CniError(type, r.code, msg);
}

/**
 * Runs a network configuration list the way libcni does: ADD through the chain
 * in order, each plugin seeing the previous result; DEL in reverse order.
 */
export async function invokeList(binDir: string, command: CniCommand, rt: CniRuntimeConf, list: { cniVersion: string; name: string; plugins: object[] }, runtimeConfig: Record<string, unknown> = {}, launcher?: Launcher): Promise<CniResult | undefined> {
  const plugins = command === 'DEL' ? [...list.plugins].reverse() : list.plugins;
  let prev: CniResult | undefined;
  for (const p of plugins) {
    const caps = (p as { capabilities?: Record<string, boolean> }).capabilities ?? {};
    const rc = Object.fromEntries(Object.entries(runtimeConfig).filter(([k]) => caps[k]));
    const conf = { ...p, cniVersion: list.cniVersion, name: list.name, ...(Object.keys(rc).length ? { runtimeConfig: rc } : {}), ...(prev && command !== 'DEL' ? { prevResult: prev } : {}) };
    const r = await invokePlugin(binDir, command, rt, conf, launcher);
    if (command === 'ADD') prev = r ?? prev;
  }
  return prev;
}
