import { useCallback, useEffect, useRef } from 'react';

/**
 * One background task at a time (a poll, an upload): `start()` aborts the previous task and returns
 * the new one's AbortController; the last task is aborted when the component unmounts.
 */
export function useLatestTask(): () => AbortController {
  const current = useRef<AbortController | null>(null);
  useEffect(() => () => current.current?.abort(), []);
  return useCallback(() => {
    current.current?.abort();
    const controller = new AbortController();
    current.current = controller;
    return controller;
  }, []);
}
