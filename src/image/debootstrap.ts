// A Debian base image without a registry: `debootstrap --variant=minbase`
// into a scratch directory, packed as one layer and tagged debian:<suite>.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { packLayer, writeImage } from './layer-pack.js';
import type { LayoutStore } from './store.js';

export interface DebootstrapOptions {
  suite: string;
  mirror?: string;
  tags: string[];
  out: (line: string) => void;
}

export async function debootstrapImage(store: LayoutStore, opts: DebootstrapOptions): Promise<string> {
  const bin = ['/usr/sbin/debootstrap', '/usr/bin/debootstrap'].find((p) => existsSync(p));
  if (!bin) throw new Error('debootstrap is not installed (apt-get install debootstrap)');
  const work = store.tempPath('debootstrap');
  const root = join(work, 'rootfs');
  mkdirSync(root, { recursive: true });
  try {
    const args = ['--variant=minbase', opts.suite, root, ...(opts.mirror ? [opts.mirror] : [])];
    opts.out(`debootstrap ${args.join(' ')}`);
    const code = await new Promise<number>((resolve, reject) => {
      const child = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
      const relay = (d: Buffer) => {
        for (const l of d.toString().split('\n')) if (l.trim()) opts.out(l);
      };
      child.stdout.on('data', relay);
      child.stderr.on('data', relay);
      child.on('error', reject);
      child.on('close', (c) => resolve(c ?? 1));
    });
    if (code !== 0) throw new Error(`debootstrap exited with ${code}`);
    // what a container image leaves out: package lists and caches, the host's resolv.conf
    for (const p of ['var/cache/apt/archives', 'var/lib/apt/lists', 'etc/resolv.conf']) rmSync(join(root, p), { recursive: true, force: true });
    for (const p of ['var/cache/apt/archives/partial', 'var/lib/apt/lists/partial']) mkdirSync(join(root, p), { recursive: true });
    const layer = packLayer(store, root);
    return writeImage(store, [layer], {
      created: new Date().toISOString(),
      architecture: 'amd64',
      os: 'linux',
      config: { Env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'], Cmd: ['bash'] },
      history: [{ created_by: `debootstrap --variant=minbase ${opts.suite}` }],
    }, opts.tags);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
