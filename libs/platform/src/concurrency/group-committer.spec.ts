import { GroupCommitter } from './group-committer';

/** A committer whose first flush waits until `release()`; `flushed` lists every flush's operations. */
function gatedCommitter(options: ConstructorParameters<typeof GroupCommitter>[1], times = 1) {
  const flushed: number[][] = [];
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  const committer = new GroupCommitter<number, number>(async (ops) => {
    flushed.push(ops);
    if (flushed.length === 1) await gate;
    return ops.map((n) => n * times);
  }, options);
  return { committer, flushed, release };
}

describe('GroupCommitter', () => {
  it('flushes what is submitted in one turn together, and groups what arrives during a flush into the next', async () => {
    const { committer, flushed, release } = gatedCommitter({ maxBatch: 100, maxInFlight: 1 }, 10);
    const first = [1, 2].map((n) => committer.submit(n));
    // The first flush is running (and waits on the gate): these three wait for the next.
    await new Promise((resolve) => setImmediate(resolve));
    expect(flushed).toEqual([[1, 2]]);
    const rest = [3, 4, 5].map((n) => committer.submit(n));
    await new Promise((resolve) => setImmediate(resolve));
    expect(flushed).toEqual([[1, 2]]);
    release();
    expect(await Promise.all(first)).toEqual([10, 20]);
    expect(await Promise.all(rest)).toEqual([30, 40, 50]);
    expect(flushed).toEqual([[1, 2], [3, 4, 5]]);
  });

  it('caps a flush at maxBatch and rejects every caller of a failed flush', async () => {
    const sizes: number[] = [];
    const committer = new GroupCommitter<number, number>(
      async (ops) => {
        sizes.push(ops.length);
        if (ops.includes(13)) throw new Error('flush failed');
        return ops;
      },
      { maxBatch: 2, maxInFlight: 1 },
    );
    const results = await Promise.allSettled([1, 2, 3, 13, 5].map((n) => committer.submit(n)));
    expect(sizes).toEqual([2, 2, 1]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled', 'rejected', 'rejected', 'fulfilled']);
    await committer.close();
    await expect(committer.submit(6)).rejects.toThrow('closed');
  });

  it('closes only after the operations already queued have been flushed', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const committer = new GroupCommitter<number, number>(
      async (ops) => {
        await gate;
        return ops;
      },
      { maxBatch: 10, maxInFlight: 1 },
    );
    const pending = [committer.submit(1), committer.submit(2)];
    let closed = false;
    const closing = committer.close().then(() => (closed = true));
    await Promise.resolve();
    expect(closed).toBe(false);
    release();
    await closing;
    expect(await Promise.all(pending)).toEqual([1, 2]);
  });

  it('with gatherMs, a second flush in flight waits for more operations (here until its batch is full) instead of leaving with the first', async () => {
    // A gather far longer than the test: only a full batch (3) can make the second flush leave.
    const { committer, flushed, release } = gatedCommitter({ maxBatch: 3, maxInFlight: 2, gatherMs: 60_000 });
    const first = committer.submit(1);
    await new Promise((resolve) => setImmediate(resolve));
    // One flush runs: a slot is free, but the next flush gathers.
    const later = [committer.submit(2)];
    await new Promise((resolve) => setImmediate(resolve));
    expect(flushed).toEqual([[1]]);
    later.push(committer.submit(3), committer.submit(4));
    expect(await Promise.all(later)).toEqual([2, 3, 4]);
    expect(flushed).toEqual([[1], [2, 3, 4]]);
    release();
    expect(await first).toBe(1);
  });
});
