// `skiff image ...`: the node's image store from the command line. Every
// command acts on the store under --data-dir (that node's <data-dir>/agent/images).
import { existsSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
// util.parseArgs is an accessor: see scripts/bundle-agent.mjs
import util from 'node:util';
import { importArchive, ImportError } from '../image/archive-import.js';
import { exportImages } from '../image/archive-export.js';
import { importBusybox } from '../image/builtin-busybox.js';
import { BuildCache } from '../image/build/build-cache.js';
import { buildImage, BuildFailed } from '../image/build/builder.js';
import { DockerfileError } from '../image/build/dockerfile.js';
import { debootstrapImage } from '../image/debootstrap.js';
import { familiarName, InvalidReference, normalizeReference } from '../image/reference.js';
import { LayoutStore } from '../image/store.js';
import { removeUnusedLayers } from '../image/layer-gc.js';
import { CredentialsError, loadDockerConfig } from '../image/registry/credentials.js';
import { ManifestError } from '../image/registry/manifests.js';
import { pullFromRegistry } from '../image/registry/pull.js';
import { pushToRegistry, PushError } from '../image/registry/push.js';
import { RegistryError } from '../image/registry/registry-errors.js';
import { locateImage } from '../image/registry/registry-name.js';
import { progressPrinter } from './transfer-progress.js';

const USAGE = `Usage:
  skiff image ls                          [--data-dir DIR]
  skiff image build -t NAME[:TAG] [-f Dockerfile] [--build-arg K=V]... [--no-cache] [--target STAGE] DIR
  skiff image inspect NAME
  skiff image rm NAME...
  skiff image prune                       (build cache, and blobs and layers no image uses)
  skiff image import FILE [-t NAME]       (docker save or OCI layout archive)
  skiff image export NAME... -o FILE      (docker save + OCI layout archive)
  skiff image import-busybox
  skiff image tag SOURCE TARGET
  skiff image pull NAME [--username U --password P] [--insecure-registry HOST[:PORT]]... [--ca-file PEM]
  skiff image push NAME [--username U --password P] [--insecure-registry HOST[:PORT]]... [--ca-file PEM]
                       [--chunk-size BYTES]   (larger blobs go up in PATCH chunks; default 16 MiB)
                                          (credentials otherwise from $DOCKER_CONFIG or ~/.docker/config.json;
                                           loopback registries speak plain HTTP, others HTTPS unless insecure)
  skiff image debootstrap [--suite bookworm] [-t debian:bookworm]... [--mirror URL]
`;

export function imageStoreDir(dataDir: string): string {
  return join(dataDir, 'agent', 'images');
}

function humanSize(n: number): string {
  const units = ['B', 'kB', 'MB', 'GB'];
  let i = 0;
  while (n >= 1000 && i < units.length - 1) {
    n /= 1000;
    i++;
  }
  return `${n < 10 && i > 0 ? n.toFixed(1) : Math.round(n)}${units[i]}`;
}

function splitName(name: string): [string, string] {
  const at = name.indexOf('@');
  const base = at >= 0 ? name.slice(0, at) : name;
  const colon = base.lastIndexOf(':');
  return colon > base.lastIndexOf('/') ? [familiarName(base.slice(0, colon)), base.slice(colon + 1)] : [familiarName(base), '<none>'];
}

export async function runImageCommand(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  const out = (s: string) => process.stdout.write(`${s}\n`);
  const fail = (s: string, code = 1) => {
    process.stderr.write(`skiff image ${sub}: ${s}\n`);
    return code;
  };
  if (!sub || sub === 'help' || sub === '--help' || sub === '-h') {
    process.stdout.write(USAGE);
    return 0;
  }
  let parsed;
  try {
    parsed = util.parseArgs({
      args: rest,
      allowPositionals: true,
      options: {
        'data-dir': { type: 'string', default: '/var/lib/skiff' },
        tag: { type: 'string', short: 't', multiple: true, default: [] },
        file: { type: 'string', short: 'f' },
        output: { type: 'string', short: 'o' },
        'build-arg': { type: 'string', multiple: true, default: [] },
        'no-cache': { type: 'boolean', default: false },
        target: { type: 'string' },
        suite: { type: 'string', default: 'bookworm' },
        mirror: { type: 'string' },
        'cgroup-parent': { type: 'string', default: '/skiff-build' },
        username: { type: 'string', short: 'u' },
        password: { type: 'string', short: 'p' },
        'insecure-registry': { type: 'string', multiple: true, default: [] },
        'ca-file': { type: 'string' },
        'chunk-size': { type: 'string' },
      },
      strict: true,
    });
  } catch (e) {
    return fail(`${(e as Error).message}\n\n${USAGE}`, 2);
  }
  const { values: v, positionals: pos } = parsed;
  const store = new LayoutStore(imageStoreDir(v['data-dir']!));
  try {
    switch (sub) {
      case 'ls':
      case 'list': {
        const rows = [['REPOSITORY', 'TAG', 'IMAGE ID', 'CREATED', 'SIZE']];
        for (const img of store.list()) {
          for (const n of img.names.length ? img.names : ['<none>:<none>']) {
            const [repo, tag] = n === '<none>:<none>' ? ['<none>', '<none>'] : splitName(n);
            rows.push([repo, tag, img.digest.slice(7, 19), img.config.created ?? '', humanSize(img.size)]);
          }
        }
        rows.sort((a, b) => (a === rows[0] ? -1 : b === rows[0] ? 1 : `${a[0]}:${a[1]}`.localeCompare(`${b[0]}:${b[1]}`)));
        const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
        for (const r of rows) out(r.map((c, i) => c.padEnd(widths[i])).join('   ').trimEnd());
        return 0;
      }
      case 'inspect': {
        if (pos.length === 0) return fail('needs an image name', 2);
        const found = [];
        for (const n of pos) {
          const img = store.image(n);
          if (!img) return fail(`no such image: ${n}`);
          found.push({ Id: img.digest, RepoTags: img.names.map(familiarName), Size: img.size, Created: img.config.created, Architecture: img.config.architecture, Os: img.config.os, Config: img.config.config, RootFS: { Type: 'layers', Layers: img.config.rootfs.diff_ids }, History: img.config.history ?? [], Manifest: img.manifest });
        }
        out(JSON.stringify(found, null, 2));
        return 0;
      }
      case 'rm':
      case 'rmi': {
        if (pos.length === 0) return fail('needs an image name', 2);
        let code = 0;
        for (const n of pos) {
          if (store.untag(n)) out(`Untagged: ${familiarName(normalizeReference(n))}`);
          else code = fail(`no such image: ${n}`);
        }
        const removed = store.collectGarbage(new BuildCache(store).digests());
        const layers = removeUnusedLayers(store);
        if (removed || layers) out(`Deleted ${removed} unreferenced blob(s), ${layers} unpacked layer(s)`);
        return code;
      }
      case 'prune': {
        const entries = new BuildCache(store).clear();
        const removed = store.collectGarbage();
        const layers = removeUnusedLayers(store);
        out(`Deleted ${entries} build cache entries, ${removed} blob(s), ${layers} unpacked layer(s)`);
        return 0;
      }
      case 'import': {
        if (pos.length !== 1) return fail('needs exactly one archive FILE', 2);
        const names = await importArchive(store, resolve(pos[0]), v.tag![0]);
        for (const n of names) out(`Loaded image: ${familiarName(n)}`);
        return 0;
      }
      case 'export':
      case 'save': {
        if (pos.length === 0 || !v.output) return fail('needs NAME... and -o FILE', 2);
        const images = [];
        for (const n of pos) {
          const img = store.image(n);
          if (!img) return fail(`no such image: ${n}`);
          images.push({ image: img, name: n.startsWith('sha256:') ? undefined : normalizeReference(n) });
        }
        exportImages(store, images, resolve(v.output));
        out(`Exported ${pos.join(', ')} to ${v.output} (${humanSize(statSync(v.output).size)})`);
        return 0;
      }
      case 'tag': {
        if (pos.length !== 2) return fail('needs SOURCE and TARGET', 2);
        const digest = store.resolve(pos[0]);
        if (!digest) return fail(`no such image: ${pos[0]}`);
        store.tag(pos[1], digest);
        return 0;
      }
      case 'pull':
      case 'push': {
        if (pos.length !== 1) return fail('needs exactly one image NAME', 2);
        if ((v.username === undefined) !== (v.password === undefined)) return fail('--username and --password go together', 2);
        const name = normalizeReference(pos[0]);
        const { registry } = locateImage(name);
        const credentials = v.username !== undefined ? [{ prefix: registry, username: v.username, password: v.password }] : loadDockerConfig();
        const chunkSize = v['chunk-size'] === undefined ? undefined : Number(v['chunk-size']);
        if (chunkSize !== undefined && !(Number.isInteger(chunkSize) && chunkSize > 0)) return fail(`--chunk-size takes a number of bytes, got ${JSON.stringify(v['chunk-size'])}`, 2);
        const registryOpts = { credentials, insecureRegistries: v['insecure-registry'], caFile: v['ca-file'], chunkSize, onProgress: progressPrinter(out) };
        if (sub === 'pull') {
          out(`Pulling from ${familiarName(name)}`);
          const r = await pullFromRegistry(store, name, registryOpts);
          out(`Digest: ${r.digest}`);
          out(`Status: ${r.downloaded ? 'Downloaded newer image' : 'Image is up to date'} for ${familiarName(r.name)} (${humanSize(r.size)})`);
        } else {
          out(`The push refers to repository [${locateImage(name).ref.repository}]`);
          const r = await pushToRegistry(store, name, registryOpts);
          out(`${locateImage(name).reference}: digest: ${r.digest} size: ${r.size}`);
        }
        return 0;
      }
      case 'import-busybox': {
        const digest = importBusybox(store, ['busybox:latest']);
        out(`Loaded image: busybox:latest (${digest.slice(7, 19)})`);
        return 0;
      }
      case 'debootstrap': {
        const tags = v.tag!.length ? v.tag! : [`debian:${v.suite}`, ...(v.suite === 'bookworm' ? ['debian:latest'] : [])];
        const digest = await debootstrapImage(store, { suite: v.suite!, mirror: v.mirror, tags, out });
        for (const t of tags) out(`Tagged ${t} (${digest.slice(7, 19)})`);
        return 0;
      }
      case 'build': {
        if (pos.length !== 1) return fail('needs exactly one context DIR', 2);
        const context = resolve(pos[0]);
        if (!existsSync(context) || !statSync(context).isDirectory()) return fail(`context ${pos[0]} is not a directory`, 2);
        const dockerfile = resolve(v.file ? v.file : join(context, 'Dockerfile'));
        if (!existsSync(dockerfile)) return fail(`no Dockerfile at ${dockerfile}`, 2);
        const buildArgs: Record<string, string> = {};
        for (const a of v['build-arg']!) {
          const eq = a.indexOf('=');
          if (eq <= 0) return fail(`--build-arg takes KEY=VALUE, got ${JSON.stringify(a)}`, 2);
          buildArgs[a.slice(0, eq)] = a.slice(eq + 1);
        }
        for (const t of v.tag!) normalizeReference(t);
        await buildImage(store, { context, dockerfile, tags: v.tag!, buildArgs, noCache: v['no-cache'], cgroupParent: v['cgroup-parent'], target: v.target, out });
        return 0;
      }
      default:
        return fail(`unknown command\n\n${USAGE}`, 2);
    }
  } catch (e) {
    if (e instanceof DockerfileError || e instanceof BuildFailed || e instanceof ImportError || e instanceof InvalidReference) return fail(e.message);
    if (e instanceof RegistryError || e instanceof PushError || e instanceof ManifestError || e instanceof CredentialsError) return fail(e.message);
    throw e;
  }
}
