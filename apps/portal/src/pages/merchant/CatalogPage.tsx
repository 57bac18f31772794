import { useCallback, useEffect, useMemo, useState, type FormEvent } from 'react';
import { Link, useSearchParams } from 'react-router';
import { api } from '../../api';
import type { Brand, Category, Page, ProductSearchItem } from '../../api/types';
import { CheckboxField, EmptyState, ErrorAlert, Loading, PageHeader, SelectField, TextField } from '../../components/ui';
import { formatMoney, moneyInputValue, parseMoney } from '../../i18n/format';
import { useI18n } from '../../i18n/i18n';
import { flattenCategories } from '../../lib/categories';
import { useApiData } from '../../lib/useApiData';

const PAGE_SIZE = 24;

interface Filters {
  q: string;
  category: string;
  brandId: string;
  /** fen, as in the API (the form shows yuan) */
  faceValue: string;
  inStock: boolean;
}

function filtersFrom(params: URLSearchParams): Filters {
  return {
    q: params.get('q') ?? '',
    category: params.get('category') ?? '',
    brandId: params.get('brandId') ?? '',
    faceValue: /^\d+$/.test(params.get('faceValue') ?? '') ? (params.get('faceValue') as string) : '',
    inStock: params.get('inStock') === 'true',
  };
}

/** The form's values for these filters (face value back in yuan). */
function draftFrom(filters: Filters): Filters {
  return { ...filters, faceValue: filters.faceValue ? moneyInputValue(Number(filters.faceValue)) : '' };
}

function toQuery(filters: Filters, cursor?: string) {
  return {
    q: filters.q.trim(),
    category: filters.category,
    brandId: filters.brandId,
    faceValue: filters.faceValue,
    inStock: filters.inStock ? 'true' : undefined,
    limit: PAGE_SIZE,
    cursor,
  };
}

/** Merchant catalog: search products by text, category, brand and face value (kept in the URL). */
export function CatalogPage() {
  const { t, language, number } = useI18n();
  const [params, setParams] = useSearchParams();
  const paramsKey = params.toString();
  const filters = useMemo(() => filtersFrom(new URLSearchParams(paramsKey)), [paramsKey]);

  // The form edits a draft; the search runs on submit (and from the URL on load or back/forward).
  const [draft, setDraft] = useState(() => draftFrom(filters));
  const [faceValueError, setFaceValueError] = useState<string[] | undefined>();
  useEffect(() => {
    setDraft(draftFrom(filters));
    setFaceValueError(undefined);
  }, [filters]);

  const loadCategories = useCallback((signal: AbortSignal) => api.get<Category[]>('/api/v1/catalog/categories', { signal }), []);
  const loadBrands = useCallback((signal: AbortSignal) => api.get<Brand[]>('/api/v1/catalog/brands', { signal }), []);
  const categories = useApiData(loadCategories);
  const brands = useApiData(loadBrands);
  const flatCategories = useMemo(() => flattenCategories(categories.data ?? [], language), [categories.data, language]);
  const categoryName = useMemo(() => new Map(flatCategories.map((c) => [c.code, c.name])), [flatCategories]);

  const loadFirstPage = useCallback(
    (signal: AbortSignal) => api.get<Page<ProductSearchItem>>('/api/v1/catalog/products', { query: toQuery(filters), signal }),
    [filters],
  );
  const firstPage = useApiData(loadFirstPage);

  // Further pages ("load more") belong to the search they were loaded for.
  const [more, setMore] = useState<{ key: string; items: ProductSearchItem[]; nextCursor: string | null }>({ key: '', items: [], nextCursor: null });
  const [moreLoading, setMoreLoading] = useState(false);
  const [moreError, setMoreError] = useState<unknown>(null);
  const extra = more.key === paramsKey ? more : null;
  const items = [...(firstPage.data?.items ?? []), ...(extra?.items ?? [])];
  const nextCursor = extra ? extra.nextCursor : (firstPage.data?.nextCursor ?? null);

  async function loadMore() {
    if (!nextCursor) return;
    setMoreLoading(true);
    setMoreError(null);
    try {
      const page = await api.get<Page<ProductSearchItem>>('/api/v1/catalog/products', { query: toQuery(filters, nextCursor) });
      setMore({ key: paramsKey, items: [...(extra?.items ?? []), ...page.items], nextCursor: page.nextCursor });
    } catch (error) {
      setMoreError(error);
    } finally {
      setMoreLoading(false);
    }
  }

  function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    let faceValue = '';
    if (draft.faceValue.trim()) {
      const fen = parseMoney(draft.faceValue);
      if (fen === null || fen === 0) {
        setFaceValueError([t('catalog.faceValueInvalid')]);
        return;
      }
      faceValue = String(fen);
    }
    setFaceValueError(undefined);
    const next = new URLSearchParams();
    if (draft.q.trim()) next.set('q', draft.q.trim());
    if (draft.category) next.set('category', draft.category);
    if (draft.brandId) next.set('brandId', draft.brandId);
    if (faceValue) next.set('faceValue', faceValue);
    if (draft.inStock) next.set('inStock', 'true');
    setParams(next);
  }

  function onReset() {
    setDraft({ q: '', category: '', brandId: '', faceValue: '', inStock: false });
    setFaceValueError(undefined);
    setParams(new URLSearchParams());
  }

  return (
    <>
      <PageHeader title={t('nav.merchant.catalog')} />
      <form className="filters" role="search" aria-label={t('catalog.filters')} onSubmit={onSubmit} noValidate>
        <TextField
          className="filters__q"
          label={t('catalog.q')}
          hint={t('catalog.qHint')}
          type="search"
          name="q"
          value={draft.q}
          onChange={(event) => setDraft({ ...draft, q: event.target.value })}
        />
        <SelectField label={t('catalog.category')} name="category" value={draft.category} onChange={(event) => setDraft({ ...draft, category: event.target.value })}>
          <option value="">{t('catalog.allCategories')}</option>
          {flatCategories.map((c) => (
            <option key={c.code} value={c.code}>
              {`${'\u3000'.repeat(c.depth)}${c.name}`}
            </option>
          ))}
        </SelectField>
        <SelectField label={t('catalog.brand')} name="brandId" value={draft.brandId} onChange={(event) => setDraft({ ...draft, brandId: event.target.value })}>
          <option value="">{t('catalog.allBrands')}</option>
          {(brands.data ?? []).map((b) => (
            <option key={b.id} value={b.id}>
              {b.name}
            </option>
          ))}
        </SelectField>
        <TextField
          label={t('catalog.faceValue')}
          name="faceValue"
          inputMode="decimal"
          value={draft.faceValue}
          errors={faceValueError}
          onChange={(event) => setDraft({ ...draft, faceValue: event.target.value })}
        />
        <CheckboxField label={t('catalog.inStock')} name="inStock" checked={draft.inStock} onChange={(event) => setDraft({ ...draft, inStock: event.target.checked })} />
        <div className="filters__actions">
          <button type="submit" className="button button--primary">
            {t('common.search')}
          </button>
          <button type="button" className="button button--secondary" onClick={onReset}>
            {t('common.reset')}
          </button>
        </div>
      </form>

      <ErrorAlert error={categories.error ?? brands.error} />

      <section aria-labelledby="catalog-results" aria-busy={firstPage.loading}>
        <h2 id="catalog-results" className="visually-hidden">
          {t('catalog.results', { count: items.length })}
        </h2>
        {firstPage.loading && !firstPage.data ? <Loading /> : null}
        {firstPage.error ? <ErrorAlert error={firstPage.error} onRetry={firstPage.reload} /> : null}
        {firstPage.data && items.length === 0 && !firstPage.loading ? <EmptyState title={t('catalog.empty')} hint={t('catalog.emptyHint')} /> : null}
        {items.length > 0 ? (
          <>
            <p className="muted" aria-live="polite">
              {t('catalog.results', { count: number(items.length) })}
            </p>
            <ul className="product-list" data-testid="product-list">
              {items.map((product) => (
                <li key={product.id} className="product-card">
                  <div className="product-card__main">
                    <h3 className="product-card__name">
                      <Link to={`/merchant/catalog/${product.id}`}>{product.name}</Link>
                    </h3>
                    <p className="product-card__meta">
                      {product.brand.name} · {categoryName.get(product.categoryCode) ?? product.categoryCode} · {t('catalog.region', { region: product.region })}
                    </p>
                  </div>
                  <dl className="product-card__facts">
                    <div>
                      <dt>{t('catalog.col.faceValue')}</dt>
                      <dd>{formatMoney(product.faceValue, product.currency)}</dd>
                    </div>
                    <div>
                      <dt>{t('catalog.col.lowestPrice')}</dt>
                      <dd className="money">{product.offers.lowestUnitPrice === null ? t('catalog.noOffers') : formatMoney(product.offers.lowestUnitPrice, product.currency)}</dd>
                    </div>
                    <div>
                      <dt>{t('catalog.col.stock')}</dt>
                      <dd>{number(product.offers.available)}</dd>
                    </div>
                    <div>
                      <dt>{t('catalog.col.offers')}</dt>
                      <dd>{t('catalog.offersCount', { count: number(product.offers.activeOffers) })}</dd>
                    </div>
                  </dl>
                  <Link className="button button--secondary product-card__action" to={`/merchant/catalog/${product.id}`}>
                    {t('catalog.compare')}
                  </Link>
                </li>
              ))}
            </ul>
            <ErrorAlert error={moreError} />
            {nextCursor ? (
              <button type="button" className="button button--secondary button--block" onClick={loadMore} disabled={moreLoading}>
                {moreLoading ? t('common.loading') : t('common.loadMore')}
              </button>
            ) : null}
          </>
        ) : null}
      </section>
    </>
  );
}
