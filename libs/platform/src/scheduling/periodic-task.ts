export interface PeriodicTaskOptions {
  intervalMs: number;
  run: () => Promise<unknown>;
  /** A failed run is reported here and tried again on the next tick. */
  onError: (error: unknown) => void;
  /** Also run once as soon as it starts. */
  runAtStart?: boolean;
}

/**
 * A background sweep on a timer: never two runs at once (a tick during a run is skipped), the
 * timer never keeps the process alive, and `stop` waits for the run in progress, so a service
 * shuts down only after its sweepers have let go of the database.
 */
export class PeriodicTask {
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;

  constructor(private readonly options: PeriodicTaskOptions) {}

  start(): void {
    if (this.options.runAtStart) this.kick();
    this.timer = setInterval(() => this.kick(), this.options.intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
  }

  private kick(): void {
    this.running ??= this.options
      .run()
      .then(() => undefined, this.options.onError)
      .finally(() => (this.running = undefined));
  }
}
