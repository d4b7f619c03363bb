/**
 * The trie edges that are not a node's first child: a fixed-size open-addressing hash
 * table from (parent node, code unit) to child node, in typed arrays. Sized at creation
 * for the most edges it will hold (one per pattern), at most half full.
 */
export class BranchTable {
  // parent + 1, so that 0 marks a free slot (the root is node 0).
  readonly #parents: Int32Array;
  readonly #codes: Uint16Array;
  readonly #children: Int32Array;
  readonly #mask: number;

  /** @param maxEntries the most edges that will be set. */
  constructor(maxEntries: number) {
    let size = 16;
    while (size < maxEntries * 2) size *= 2;
    this.#parents = new Int32Array(size);
    this.#codes = new Uint16Array(size);
    this.#children = new Int32Array(size);
    this.#mask = size - 1;
  }

  /** Bytes held by the table. */
  get byteLength(): number {
    return this.#parents.byteLength + this.#codes.byteLength + this.#children.byteLength;
  }

  /** The child of `parent` along `code`, or 0 when there is none. */
  get(parent: number, code: number): number {
    const parents = this.#parents;
    const key = parent + 1;
    for (let slot = slotOf(parent, code) & this.#mask; ; slot = (slot + 1) & this.#mask) {
      const held = parents[slot];
      if (held === 0) return 0;
      if (held === key && this.#codes[slot] === code) return this.#children[slot];
    }
  }

  /** Records a new edge; the caller never sets the same edge twice. */
  set(parent: number, code: number, child: number): void {
    let slot = slotOf(parent, code) & this.#mask;
    while (this.#parents[slot] !== 0) slot = (slot + 1) & this.#mask;
    this.#parents[slot] = parent + 1;
    this.#codes[slot] = code;
    this.#children[slot] = child;
  }
}

function slotOf(parent: number, code: number): number {
  let h = Math.imul(parent, 0x9e3779b1) ^ Math.imul(code + 1, 0x85ebca6b);
  h ^= h >>> 15;
  h = Math.imul(h, 0x2c1b3c6d);
  return h ^ (h >>> 13);
}
