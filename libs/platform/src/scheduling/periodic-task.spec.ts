import { PeriodicTask } from './periodic-task';

describe('PeriodicTask', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('runs on every tick but never twice at once, reports failures, and stop waits for the run in progress', async () => {
    let release!: () => void;
    let runs = 0;
    const errors: unknown[] = [];
    const task = new PeriodicTask({
      intervalMs: 100,
      run: () => {
        runs += 1;
        if (runs === 2) return Promise.reject(new Error('sweep failed'));
        return new Promise<void>((resolve) => (release = resolve));
      },
      onError: (error) => errors.push(error),
    });
    task.start();
    jest.advanceTimersByTime(100);
    expect(runs).toBe(1);
    jest.advanceTimersByTime(300); // ticks while the first run is still going are skipped
    expect(runs).toBe(1);
    release();
    await Promise.resolve();
    await Promise.resolve();
    jest.advanceTimersByTime(100);
    expect(runs).toBe(2);
    await Promise.resolve();
    await Promise.resolve();
    expect(errors).toEqual([new Error('sweep failed')]);

    jest.advanceTimersByTime(100);
    expect(runs).toBe(3);
    let stopped = false;
    const stopping = task.stop().then(() => (stopped = true));
    await Promise.resolve();
    expect(stopped).toBe(false);
    release();
    await stopping;
    jest.advanceTimersByTime(1000);
    expect(runs).toBe(3);
  });
});
