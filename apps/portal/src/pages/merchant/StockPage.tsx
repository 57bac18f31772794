import { useCallback, useState } from 'react';
import { Link } from 'react-router';
import { api } from '../../api';
import type { Page } from '../../api/types';
import { useProducts } from '../../lib/productNames';
import { StockSettings } from '../../components/merchant/StockSettings';
import { EmptyState, PageHeader } from '../../components/ui';
import { useI18n } from '../../i18n/i18n';
import type { StockLevel } from './types';
import { ListStates, LoadMore, useCursorList } from '../../components/list';

/** Purchased stock: levels per product (low ones as alerts), and per product its alert level and auto-restock rule. */
export function PurchasedStockPage() {
  const { t, number } = useI18n();
  const loadPage = useCallback((cursor: string | undefined, signal?: AbortSignal) => api.get<Page<StockLevel>>('/api/v1/stock', { query: { limit: 100, cursor }, signal }), []);
  const list = useCursorList(loadPage);
  const products = useProducts(list.items.map((s) => s.productId));
  const [selected, setSelected] = useState<string | null>(null);
  const low = list.items.filter((s) => s.low);
  const name = (id: string) => products.get(id)?.name ?? id.slice(0, 8);

  return (
    <>
      <PageHeader title={t('nav.merchant.stock')} />
      <p className="muted">{t('merchant.stock.intro')}</p>
      {low.length > 0 ? (
        <div className="alert alert--error" role="alert" data-testid="stock-alerts">
          <p>{t('merchant.stock.alerts', { count: number(low.length) })}</p>
          <ul>
            {low.map((s) => (
              <li key={s.productId}>
                {name(s.productId)}: {number(s.available)} / {number(s.lowStockThreshold ?? 0)}
              </li>
            ))}
          </ul>
        </div>
      ) : null}
      <section aria-label={t('nav.merchant.stock')} aria-busy={list.loading}>
        <ListStates of={list} count={list.items.length} empty={(
          <EmptyState title={t('merchant.stock.empty')} hint={t('merchant.stock.emptyHint')}>
            <Link to="/merchant/catalog">{t('nav.merchant.catalog')}</Link>
          </EmptyState>
        )}>
          <div className="table-scroll">
            <table className="table" data-testid="stock">
              <thead>
                <tr>
                  <th scope="col">{t('merchant.stock.col.product')}</th>
                  <th scope="col" className="num">
                    {t('merchant.stock.col.available')}
                  </th>
                  <th scope="col" className="num">
                    {t('merchant.stock.col.threshold')}
                  </th>
                  <th scope="col">{t('merchant.stock.col.status')}</th>
                  <th scope="col">
                    <span className="visually-hidden">{t('merchant.stock.manage')}</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {list.items.map((s) => (
                  <tr key={s.productId} className={s.low ? 'm-row--alert' : selected === s.productId ? 'm-row--selected' : undefined}>
                    <td>
                      <Link to={`/merchant/catalog/${s.productId}`}>{name(s.productId)}</Link>
                    </td>
                    <td className="num">{number(s.available)}</td>
                    <td className="num">{s.lowStockThreshold ? number(s.lowStockThreshold) : t('merchant.stock.noThreshold')}</td>
                    <td>{s.low ? <span className="badge badge--bad">{t('merchant.stock.low')}</span> : <span className="badge badge--ok">{t('merchant.stock.ok')}</span>}</td>
                    <td>
                      <button
                        type="button"
                        className="button button--secondary button--small"
                        aria-expanded={selected === s.productId}
                        aria-label={t('merchant.stock.manageOne', { product: name(s.productId) })}
                        onClick={() => setSelected(selected === s.productId ? null : s.productId)}
                      >
                        {t('merchant.stock.manage')}
                      </button>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </ListStates>
        <LoadMore list={list} />
      </section>
      {selected ? (
        <StockSettings
          key={selected}
          productId={selected}
          productName={name(selected)}
          threshold={list.items.find((s) => s.productId === selected)?.lowStockThreshold ?? 0}
          hasRule={list.items.find((s) => s.productId === selected)?.autoRestock ?? false}
          onSaved={list.reload}
        />
      ) : null}
    </>
  );
}
