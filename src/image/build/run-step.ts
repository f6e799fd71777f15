// RUN: the command runs in a real runc container over the image's layers so
// far (overlayfs lowers plus a fresh upper), in the builder's own network
// namespace like `docker build --network=host`; the upper becomes the layer.
import { execFile, spawn } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ociSpec } from '../../runtime/oci/oci-spec.js';
import { removeCgroup } from '../../runtime/oci/cgroups.js';
import { isMounted, mountOverlay } from '../../runtime/oci/mounts.js';

const run = promisify(execFile);

export interface RunStepInput {
  /** lowers, topmost first */
  lowers: string[];
  /** where upper, work and bundle go (the caller removes it) */
  workDir: string;
  args: string[];
  env: string[];
  cwd: string;
  uid: number;
  gid: number;
  cgroupParent: string;
  /** runc --root for build containers */
  runcRoot: string;
  output: (chunk: string) => void;
}

/** Directories of the upper that overlayfs marked opaque (their lower contents are hidden). */
export async function opaqueDirs(upper: string): Promise<Set<string>> {
  const out = new Set<string>();
  try {
    const { stdout } = await run('getfattr', ['-R', '-h', '--absolute-names', '-m', '^trusted\\.overlay\\.opaque$', '-d', upper], { maxBuffer: 64 << 20 });
    let file = '';
    for (const line of stdout.split('\n')) {
      if (line.startsWith('# file: ')) file = line.slice(8);
      else if (line.startsWith('trusted.overlay.opaque="y"') && file.startsWith(upper + '/')) out.add(file.slice(upper.length + 1));
    }
  } catch (e) {
    // getfattr exits 1 when some file has no such attribute; the listing is still complete
    const stdout = (e as { stdout?: string }).stdout;
    if (stdout === undefined) throw e;
    let file = '';
    for (const line of stdout.split('\n')) {
      if (line.startsWith('# file: ')) file = line.slice(8);
      else if (line.startsWith('trusted.overlay.opaque="y"') && file.startsWith(upper + '/')) out.add(file.slice(upper.length + 1));
    }
  }
  return out;
}

/** Runs the command; resolves with the upper directory holding what it changed. */
export async function runStep(input: RunStepInput): Promise<{ upper: string; exitCode: number }> {
  const upper = join(input.workDir, 'upper');
  const work = join(input.workDir, 'work');
  const bundle = join(input.workDir, 'bundle');
  const rootfs = join(bundle, 'rootfs');
  for (const d of [upper, work, rootfs, input.runcRoot]) mkdirSync(d, { recursive: true });
  await mountOverlay(input.lowers, upper, work, rootfs);
  const id = `build-${process.pid}-${Date.now().toString(36)}`;
  const cgroupsPath = `${input.cgroupParent}/${id}`;
  // name resolution for package managers, as docker build gives RUN the host's resolv.conf
  const hadResolv = existsSync(join(rootfs, 'etc', 'resolv.conf'));
  const mounts = existsSync('/etc/resolv.conf') && existsSync(join(rootfs, 'etc')) ? [{ destination: '/etc/resolv.conf', source: '/etc/resolv.conf', type: 'bind' as const, readOnly: true }] : [];
  try {
    mkdirSync(join(rootfs, input.cwd), { recursive: true });
    const spec = ociSpec({
      args: input.args,
      env: input.env,
      cwd: input.cwd,
      uid: input.uid,
      gid: input.gid,
      hostname: 'buildkit',
      mounts,
      cgroupsPath,
      joinNamespaces: { network: `/proc/${process.pid}/ns/net` },
    });
    writeFileSync(join(bundle, 'config.json'), JSON.stringify(spec));
    const exitCode = await new Promise<number>((resolve, reject) => {
      const child = spawn('runc', ['--root', input.runcRoot, 'run', '--bundle', bundle, id], { stdio: ['ignore', 'pipe', 'pipe'] });
      child.stdout.on('data', (d: Buffer) => input.output(d.toString()));
      child.stderr.on('data', (d: Buffer) => input.output(d.toString()));
      child.on('error', reject);
      child.on('close', (code, signal) => resolve(code ?? (signal ? 128 : 1)));
    });
    return { upper, exitCode };
  } finally {
    await run('runc', ['--root', input.runcRoot, 'delete', '--force', id]).catch(() => {});
    if (isMounted(rootfs)) await run('umount', [rootfs]).catch(() => run('umount', ['-l', rootfs]));
    removeCgroup(cgroupsPath, input.cgroupParent);
    // the resolv.conf mount point is no part of the image
    const mp = join(upper, 'etc', 'resolv.conf');
    if (!hadResolv && existsSync(mp) && lstatSync(mp).isFile() && lstatSync(mp).size === 0) rmSync(mp);
    rmSync(work, { recursive: true, force: true });
  }
}
