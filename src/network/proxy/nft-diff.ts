// The commands that move skiff's table from one model to the next, for one nft
// transaction: only the elements, chains and affinity sets that changed are
// touched, so an endpoint change costs a few commands instead of the whole
// table, and untouched affinity sets keep their clients. The kernel applies
// the commands all or nothing, so no Service is ever seen half-programmed.
// Order matters inside the transaction: what is referenced exists before it is
// referenced, and is deleted only after its last reference is gone.
import { ELEMENT_SETS, elementText, TABLE, type ElementSetName, type TableModel } from './nft-rules.js';

// the same array when the proxy reused an unchanged service's part (nft-rules.ts): no element-wise look
const same = (a: string[] | undefined, b: string[]) => a === b || (!!a && a.length === b.length && a.every((x, i) => x === b[i]));

/** Commands (one per entry, no newlines) from `prev` to `next`; empty when nothing changed. */
export function buildUpdate(prev: TableModel, next: TableModel): string[] {
  const t = `ip ${TABLE}`;
  const adds: string[] = [];
  const rules: string[] = [];
  const elements: string[] = [];
  const deletes: string[] = [];

  // affinity sets: new ones first (a set's declaration is fixed by its name, see nft-rules.ts)
  for (const [name, decl] of next.sets) if (!prev.sets.has(name)) adds.push(`add set ${t} ${name} { ${decl} }`);
  // chains: new ones exist (empty) before any rule jumps to them; changed ones are refilled
  for (const [name, body] of next.chains) {
    const old = prev.chains.get(name);
    if (same(old, body)) continue;
    if (old) rules.push(`flush chain ${t} ${name}`);
    else adds.push(`add chain ${t} ${name}`);
    for (const r of body) rules.push(`add rule ${t} ${name} ${r}`);
  }
  // elements: removed or re-pointed keys go before the new ones
  for (const set of Object.keys(ELEMENT_SETS) as ElementSetName[]) {
    const before = prev.elements[set];
    const after = next.elements[set];
    const gone: string[] = [];
    const added: string[] = [];
    for (const [k, v] of before) if (after.get(k) !== v) gone.push(k);
    for (const [k, v] of after) if (before.get(k) !== v) added.push(elementText(k, v));
    if (gone.length) elements.push(`delete element ${t} ${set} { ${gone.join(', ')} }`);
    if (added.length) elements.push(`add element ${t} ${set} { ${added.join(', ')} }`);
  }
  // chains and sets nothing refers to any more: elements and rules pointing at them are gone above.
  // Service chains go before endpoint chains, endpoint chains before the affinity sets they update.
  const goneChains = [...prev.chains.keys()].filter((name) => !next.chains.has(name)).sort((a, b) => rank(a) - rank(b));
  for (const name of goneChains) deletes.push(`delete chain ${t} ${name}`);
  for (const name of prev.sets.keys()) if (!next.sets.has(name)) deletes.push(`delete set ${t} ${name}`);

  return [...adds, ...rules, ...elements, ...deletes];
}

const rank = (chain: string) => (chain.startsWith('svc-') ? 0 : 1);
