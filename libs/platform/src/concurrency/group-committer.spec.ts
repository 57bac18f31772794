import { GroupCommitter } from './group-committer';

describe('GroupCommitter', () => {
  it('flushes the first operation at once and groups those that arrive meanwhile', async () => {
    const flushed: number[][] = [];
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const committer = new GroupCommitter<number, number>(
      async (ops) => {
        flushed.push(ops);
        if (flushed.length === 1) await gate;
        return ops.map((n) => n * 10);
      },
      { maxBatch: 100, maxInFlight: 1 },
    );
    const first = committer.submit(1);
    const rest = [2, 3, 4].map((n) => committer.submit(n));
    release();
    expect(await first).toBe(10);
    expect(await Promise.all(rest)).toEqual([20, 30, 40]);
    expect(flushed).toEqual([[1], [2, 3, 4]]);
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
    expect(sizes).toEqual([1, 2, 2]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled', 'fulfilled', 'rejected', 'rejected']);
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
});
