import { useEffect, useState } from 'react';
import { api } from '../api';
import type { ProductSearchItem } from '../api/types';

/** Product names by id, loaded once per id per page load (orders, stock and disputes carry ids only). */
const cache = new Map<string, Promise<ProductSearchItem | null>>();

function loadProduct(id: string): Promise<ProductSearchItem | null> {
  let pending = cache.get(id);
  if (!pending) {
    pending = api.get<ProductSearchItem>(`/api/v1/catalog/products/${id}`).catch(() => null);
    cache.set(id, pending);
  }
  return pending;
}

export function useProducts(ids: readonly string[]): Map<string, ProductSearchItem> {
  const key = [...new Set(ids)].sort().join(',');
  const [products, setProducts] = useState<Map<string, ProductSearchItem>>(new Map());
  useEffect(() => {
    let live = true;
    const wanted = key ? key.split(',') : [];
    void Promise.all(wanted.map(loadProduct)).then((loaded) => {
      if (!live) return;
      setProducts(new Map(loaded.filter((p): p is ProductSearchItem => p !== null).map((p) => [p.id, p])));
    });
    return () => {
      live = false;
    };
  }, [key]);
  return products;
}
