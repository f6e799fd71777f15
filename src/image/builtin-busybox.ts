// A base image without a registry: busybox from the machine's busybox-static,
// with a link per applet, unpacked once into the node's image store.
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, renameSync, rmSync, symlinkSync, writeFileSync, chmodSync } from 'node:fs';
import { join } from 'node:path';
import type { LayoutStore } from './store.js';
import { packLayer, writeImage } from './layer-pack.js';

const BUSYBOX_CANDIDATES = ['/bin/busybox', '/usr/bin/busybox'];

export function busyboxBinary(): string {
  const found = BUSYBOX_CANDIDATES.find((p) => existsSync(p));
  if (!found) throw new Error('busybox is not installed: install the Debian package busybox-static (apt-get install busybox-static)');
  return found;
}

/** Returns the root filesystem of the built-in busybox image, creating it on first use. */
export function ensureBusyboxRootfs(storeDir: string): string {
  const root = join(storeDir, 'builtin', 'busybox', 'rootfs');
  if (existsSync(join(root, 'bin', 'sh'))) return root;
  const tmp = `${root}.${process.pid}.tmp`;
  rmSync(tmp, { recursive: true, force: true });
  for (const d of ['bin', 'etc', 'tmp', 'proc', 'sys', 'dev', 'root', 'var/www', 'home']) mkdirSync(join(tmp, d), { recursive: true });
  chmodSync(join(tmp, 'tmp'), 0o1777);
  const bin = busyboxBinary();
  copyFileSync(bin, join(tmp, 'bin', 'busybox'));
  chmodSync(join(tmp, 'bin', 'busybox'), 0o755);
  const applets = execFileSync(bin, ['--list'], { encoding: 'utf8' }).split('\n').filter((a) => a && a !== 'busybox');
  for (const a of applets) symlinkSync('busybox', join(tmp, 'bin', a));
  writeFileSync(join(tmp, 'etc', 'passwd'), 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/home:/bin/false\n');
  writeFileSync(join(tmp, 'etc', 'group'), 'root:x:0:\nnobody:x:65534:\n');
  mkdirSync(join(root, '..'), { recursive: true });
  renameSync(tmp, root);
  return root;
}

/** Imports the built-in busybox into the store as busybox:latest (docker.io/library/busybox). */
export function importBusybox(store: LayoutStore, names: string[] = ['busybox:latest']): string {
  const root = ensureBusyboxRootfs(store.root);
  const layer = packLayer(store, root);
  return writeImage(store, [layer], {
    created: new Date(0).toISOString(),
    architecture: 'amd64',
    os: 'linux',
    config: { Env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'], Cmd: ['sh'] },
    history: [{ created_by: `skiff: busybox-static from ${busyboxBinary()}` }],
  }, names);
}
