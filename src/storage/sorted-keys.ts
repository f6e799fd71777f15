// The watch cache's key order: a sorted array with binary search, so a list under a
// prefix (a namespace) is a range, and limit/continue need no sort per request.
// Inserts and removals move memory (O(n)), which stays far below a sort per list.

export class SortedKeys {
  private keys: string[] = [];

  get size(): number {
    return this.keys.length;
  }

  clear(): void {
    this.keys = [];
  }

  insert(key: string): void {
    const i = this.lowerBound(key);
    if (this.keys[i] !== key) this.keys.splice(i, 0, key);
  }

  remove(key: string): void {
    const i = this.lowerBound(key);
    if (this.keys[i] === key) this.keys.splice(i, 1);
  }

  /** Index of the first key >= key. */
  lowerBound(key: string): number {
    let lo = 0;
    let hi = this.keys.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.keys[mid] < key) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  at(i: number): string {
    return this.keys[i];
  }

  /** [from, to) indexes of the keys in [start, end). */
  range(start: string, end: string): [number, number] {
    return [this.lowerBound(start), this.lowerBound(end)];
  }
}
