/** Waits `ms`; rejects with an AbortError as soon as `signal` aborts (polling loops stop at once). */
export const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => {
      clearTimeout(timer);
      reject(new DOMException('aborted', 'AbortError'));
    });
  });

/** Whether `error` is the AbortError of a cancelled fetch or sleep (not worth showing). */
export const isAbort = (error: unknown) => (error as { name?: string } | null)?.name === 'AbortError';
