import { useCallback, useEffect, useState } from 'react';

export interface ApiData<T> {
  data: T | undefined;
  error: unknown;
  loading: boolean;
  /** Loads again (keeps showing the previous data meanwhile). */
  reload: () => void;
}

/**
 * Loads data for a page: `load` must be stable (wrap it in useCallback with the inputs it reads),
 * and runs again whenever it changes; a newer load cancels the older one (AbortSignal).
 *
 *   const load = useCallback((signal: AbortSignal) => api.get<Wallet>('/api/v1/settlement/wallet', { signal }), []);
 *   const wallet = useApiData(load);
 */
export function useApiData<T>(load: (signal: AbortSignal) => Promise<T>): ApiData<T> {
  const [data, setData] = useState<T | undefined>(undefined);
  const [error, setError] = useState<unknown>(undefined);
  const [loading, setLoading] = useState(true);
  const [generation, setGeneration] = useState(0);

  useEffect(() => {
    const controller = new AbortController();
    setLoading(true);
    setError(undefined);
    load(controller.signal).then(
      (result) => {
        if (controller.signal.aborted) return;
        setData(result);
        setLoading(false);
      },
      (failure: unknown) => {
        if (controller.signal.aborted) return;
        setError(failure);
        setLoading(false);
      },
    );
    return () => controller.abort();
  }, [load, generation]);

  const reload = useCallback(() => setGeneration((g) => g + 1), []);
  return { data, error, loading, reload };
}
