// Network namespaces made by a test, so nodes never touch the root namespace.
import { execFileSync } from 'node:child_process';

export function makeNetns(prefix: string): string {
  const name = `${prefix}-${process.pid}-${Math.floor(Math.random() * 1e6)}`;
  execFileSync('ip', ['netns', 'add', name]);
  execFileSync('ip', ['netns', 'exec', name, 'ip', 'link', 'set', 'lo', 'up']);
  return name;
}

export function removeNetns(name: string): void {
  try {
    execFileSync('ip', ['netns', 'delete', name]);
  } catch {
    // already gone
  }
}
