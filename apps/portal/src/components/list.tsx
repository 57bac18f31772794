/**
 * Lists the merchant, supplier and operator pages share: a cursor-paginated list with "load more",
 * the loading / error / empty states around a list, and a status filter kept in the URL.
 */
import { useCallback, useState, type ReactNode } from 'react';
import { useSearchParams } from 'react-router';
import type { Page } from '../api/types';
import { useI18n } from '../i18n/i18n';
import { useApiData, type ApiData } from '../lib/useApiData';
import { ErrorAlert, Loading } from './ui';

export interface CursorList<T> {
  items: T[];
  loading: boolean;
  error: unknown;
  reload: () => void;
  hasMore: boolean;
  loadingMore: boolean;
  moreError: unknown;
  loadMore: () => void;
  firstLoaded: boolean;
}

/** A cursor-paginated list: the first page from `loadPage(undefined)`, further ones appended. */
export function useCursorList<T>(loadPage: (cursor: string | undefined, signal?: AbortSignal) => Promise<Page<T>>): CursorList<T> {
  const loadFirst = useCallback((signal: AbortSignal) => loadPage(undefined, signal), [loadPage]);
  const first = useApiData(loadFirst);
  const [more, setMore] = useState<{ for: unknown; items: T[]; nextCursor: string | null }>({ for: null, items: [], nextCursor: null });
  const [loadingMore, setLoadingMore] = useState(false);
  const [moreError, setMoreError] = useState<unknown>(null);
  // Pages appended to an older first page are dropped when the first page loads again.
  const extra = more.for === first.data ? more : null;
  const items = [...(first.data?.items ?? []), ...(extra?.items ?? [])];
  const nextCursor = extra ? extra.nextCursor : (first.data?.nextCursor ?? null);
  const loadMore = async () => {
    if (!nextCursor) return;
    setLoadingMore(true);
    setMoreError(null);
    try {
      const page = await loadPage(nextCursor);
      setMore({ for: first.data, items: [...(extra?.items ?? []), ...page.items], nextCursor: page.nextCursor });
    } catch (error) {
      setMoreError(error);
    } finally {
      setLoadingMore(false);
    }
  };
  return {
    items,
    loading: first.loading,
    error: first.error,
    reload: first.reload,
    hasMore: !!nextCursor,
    loadingMore,
    moreError,
    loadMore: () => void loadMore(),
    firstLoaded: first.data !== undefined,
  };
}

/** The "load more" button under a cursor list (and the error of the last "more"). */
export function LoadMore({ list }: { list: CursorList<unknown> }) {
  const { t } = useI18n();
  return (
    <>
      <ErrorAlert error={list.moreError} />
      {list.hasMore ? (
        <button type="button" className="button button--secondary button--block" onClick={list.loadMore} disabled={list.loadingMore}>
          {list.loadingMore ? t('common.loading') : t('common.loadMore')}
        </button>
      ) : null}
    </>
  );
}

/**
 * A list's states: the error (with retry), the spinner until the first answer, `empty` when an
 * answer has no rows, else the rows (`children`). `count` is how many rows there are.
 */
export function ListStates({ of, count, empty, children }: { of: ApiData<unknown> | CursorList<unknown>; count: number; empty: ReactNode; children: ReactNode }) {
  const loaded = 'firstLoaded' in of ? of.firstLoaded : of.data !== undefined;
  return (
    <>
      {of.error ? <ErrorAlert error={of.error} onRetry={of.reload} /> : null}
      {!loaded && of.loading ? <Loading /> : null}
      {loaded && !of.error && count === 0 ? empty : null}
      {count > 0 ? children : null}
    </>
  );
}

/** A filter value kept in the URL (`?<name>=`), '' when absent or not one of `allowed`. */
export function useSearchParamChoice<T extends string>(name: string, allowed: readonly T[]): [T | '', (value: string) => void] {
  const [params, setParams] = useSearchParams();
  const raw = params.get(name) ?? '';
  const value = (allowed as readonly string[]).includes(raw) ? (raw as T) : '';
  const set = (next: string) => setParams(next ? new URLSearchParams({ [name]: next }) : new URLSearchParams());
  return [value, set];
}
