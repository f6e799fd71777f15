// /version: what kubectl prints as "Server Version". We report the Kubernetes
// API level we implement (1.32) with skiff's own build in gitVersion's suffix.
import { readFileSync } from 'node:fs';

let cached: object | undefined;

export function versionInfo(): object {
  if (cached) return cached;
  let skiffVersion = '0.0.0';
  try {
    const pkg = JSON.parse(readFileSync(new URL('../../../../package.json', import.meta.url), 'utf8')) as { version?: string };
    skiffVersion = pkg.version ?? skiffVersion;
  } catch {
    try {
      const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version?: string };
      skiffVersion = pkg.version ?? skiffVersion;
    } catch {
      // version stays unknown; nothing depends on it
    }
  }
  cached = {
    major: '1',
    minor: '32',
    gitVersion: `v1.32.0+skiff.${skiffVersion}`,
    gitCommit: '',
    gitTreeState: 'clean',
    buildDate: '2026-11-24T00:00:00Z',
    goVersion: `node${process.versions.node}`,
    compiler: 'tsc',
    platform: `${process.platform}/${process.arch === 'x64' ? 'amd64' : process.arch}`,
  };
  return cached;
}
