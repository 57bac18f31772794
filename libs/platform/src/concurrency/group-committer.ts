/**
 * Group commit: operations submitted while a flush is running wait for the next one, and each
 * flush handles everything waiting (up to `maxBatch`) in one transaction. Under light load an
 * operation is flushed at once (as soon as the event loop has finished what it was doing: what
 * was submitted in the same turn, a batch of requests handled in a loop or the requests read from
 * the network together, goes in the same flush); under heavy load one PostgreSQL round trip
 * serves many callers.
 */
export class GroupCommitter<Op, Out> {
  private queue: { op: Op; resolve: (out: Out) => void; reject: (error: unknown) => void }[] = [];
  private inFlight = 0;
  private closed = false;
  private idle: (() => void)[] = [];
  private pumpScheduled = false;
  private gathering: NodeJS.Timeout | undefined;

  /**
   * `gatherMs`: while one flush runs, the next waits up to this long for more operations (or a
   * full batch) instead of leaving at once with the first: a second flush in flight then carries a
   * batch, not a single operation. 0 (the default): it leaves at once.
   */
  constructor(
    private readonly flush: (ops: Op[]) => Promise<Out[]>,
    private readonly options: { maxBatch: number; maxInFlight: number; gatherMs?: number },
  ) {}

  submit(op: Op): Promise<Out> {
    if (this.closed) return Promise.reject(new Error('the group committer is closed'));
    return new Promise<Out>((resolve, reject) => {
      this.queue.push({ op, resolve, reject });
      this.schedulePump();
    });
  }

  /** Resolves once nothing is queued or flushing; new submissions are refused. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.inFlight > 0 || this.queue.length > 0) await new Promise<void>((resolve) => this.idle.push(resolve));
  }

  /** After the current turn of the event loop: what else is submitted in it joins the flush. */
  private schedulePump(): void {
    if (this.pumpScheduled) return;
    this.pumpScheduled = true;
    setImmediate(() => {
      this.pumpScheduled = false;
      this.pump();
    });
  }

  private pump(gathered = false): void {
    while (this.inFlight < this.options.maxInFlight && this.queue.length > 0) {
      const gatherMs = this.options.gatherMs ?? 0;
      if (!gathered && gatherMs > 0 && this.inFlight > 0 && this.queue.length < this.options.maxBatch) {
        this.gathering ??= setTimeout(() => {
          this.gathering = undefined;
          this.pump(true);
        }, gatherMs);
        return;
      }
      gathered = false;
      if (this.gathering) {
        clearTimeout(this.gathering);
        this.gathering = undefined;
      }
      const batch = this.queue.splice(0, this.options.maxBatch);
      this.inFlight += 1;
      void this.run(batch);
    }
  }

  private async run(batch: typeof this.queue): Promise<void> {
    try {
      const outs = await this.flush(batch.map((b) => b.op));
      batch.forEach((b, i) => b.resolve(outs[i]!));
    } catch (error) {
      batch.forEach((b) => b.reject(error));
    } finally {
      this.inFlight -= 1;
      this.pump();
      if (this.inFlight === 0 && this.queue.length === 0) this.idle.splice(0).forEach((resolve) => resolve());
    }
  }
}
