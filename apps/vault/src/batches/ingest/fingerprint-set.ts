const WORDS_PER_SLOT = 5; // 4 words of fingerprint, 1 word of line (0: empty slot)
const MAX_LOAD = 0.7;

/**
 * The fingerprints seen so far in one batch, each with the line it was first seen on: an
 * open-addressing hash table (linear probing) in one typed array, keyed by the first 16 bytes
 * of the fingerprint. A million entries take about 40 MB outside the JavaScript heap, with no
 * object per entry for the garbage collector to walk (a Map of strings takes three times that,
 * and every major collection then marks a million strings).
 *
 * 16 bytes (128 bits) of an HMAC-SHA256 are as good as the whole for telling codes apart: the
 * chance that two different codes of a million-line batch share them is about 10^-27.
 */
export class FingerprintSet {
  private table: Uint32Array;
  private mask: number;
  private count = 0;

  constructor(initialSlots = 1 << 16) {
    let slots = 1;
    while (slots < initialSlots) slots <<= 1;
    this.table = new Uint32Array(slots * WORDS_PER_SLOT);
    this.mask = slots - 1;
  }

  get size(): number {
    return this.count;
  }

  /**
   * Records `line` for this fingerprint and returns 0, or returns the line it was first seen on
   * (and records nothing) when it is already there. Lines start at 1.
   */
  firstLineOrAdd(fingerprint: Buffer, line: number): number {
    const a = fingerprint.readUInt32LE(0);
    const b = fingerprint.readUInt32LE(4);
    const c = fingerprint.readUInt32LE(8);
    const d = fingerprint.readUInt32LE(12);
    const found = this.probe(this.table, this.mask, a, b, c, d, line);
    if (found !== 0) return found;
    if (++this.count > (this.mask + 1) * MAX_LOAD) this.grow();
    return 0;
  }

  /** Finds the key or claims the first empty slot for it; returns the stored line, or 0 when it claimed. */
  private probe(table: Uint32Array, mask: number, a: number, b: number, c: number, d: number, line: number): number {
    let slot = a & mask;
    for (;;) {
      const at = slot * WORDS_PER_SLOT;
      const stored = table[at + 4]!;
      if (stored === 0) {
        table[at] = a;
        table[at + 1] = b;
        table[at + 2] = c;
        table[at + 3] = d;
        table[at + 4] = line;
        return 0;
      }
      if (table[at] === a && table[at + 1] === b && table[at + 2] === c && table[at + 3] === d) return stored;
      slot = (slot + 1) & mask;
    }
  }

  private grow(): void {
    const old = this.table;
    const slots = (this.mask + 1) * 2;
    const table = new Uint32Array(slots * WORDS_PER_SLOT);
    const mask = slots - 1;
    for (let at = 0; at < old.length; at += WORDS_PER_SLOT) {
      const line = old[at + 4]!;
      if (line !== 0) this.probe(table, mask, old[at]!, old[at + 1]!, old[at + 2]!, old[at + 3]!, line);
    }
    this.table = table;
    this.mask = mask;
  }
}
