import { useEffect, useMemo, useState } from 'react';
import { api } from '../api';
import type { Organisation, Page } from '../api/types';

const IDS_PER_REQUEST = 100;

/**
 * Names for the organisation ids a page shows (operators only: GET /identity/organisations?ids=).
 * Until they load, or for an id the gateway does not know, the caller shows the short id instead.
 */
export function useOrganisationNames(ids: readonly string[]): ReadonlyMap<string, string> {
  const wanted = useMemo(() => [...new Set(ids)].sort(), [ids]);
  const key = wanted.join(',');
  const [names, setNames] = useState<ReadonlyMap<string, string>>(new Map());

  useEffect(() => {
    if (!key) return;
    const controller = new AbortController();
    const chunks: string[][] = [];
    const all = key.split(',');
    for (let i = 0; i < all.length; i += IDS_PER_REQUEST) chunks.push(all.slice(i, i + IDS_PER_REQUEST));
    Promise.all(
      chunks.map((chunk) => api.get<Page<Organisation>>('/api/v1/identity/organisations', { query: { ids: chunk.join(','), limit: 100 }, signal: controller.signal })),
    ).then(
      (pages) => setNames(new Map(pages.flatMap((page) => page.items.map((o) => [o.id, o.name] as const)))),
      () => {
        // names are a convenience: the page keeps showing ids
      },
    );
    return () => controller.abort();
  }, [key]);

  return names;
}
