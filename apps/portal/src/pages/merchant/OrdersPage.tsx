import { useCallback, useEffect, useState } from 'react';
import { Link } from 'react-router';
import { api } from '../../api';
import type { Page } from '../../api/types';
import { ShortId, StatusBadge } from '../../components/merchant/common';
import { useProducts } from '../../lib/productNames';
import { EmptyState, PageHeader, SelectField } from '../../components/ui';
import { formatMoney } from '../../i18n/format';
import { useI18n } from '../../i18n/i18n';
import { ENDED_STATUSES, ORDER_STATUSES, type Order } from './types';
import { ListStates, LoadMore, useCursorList, useSearchParamChoice } from '../../components/list';

/** How often the list re-reads its first page while an order on it is still under way. */
const LIVE_REFRESH_MS = 3_000;

/** The newer of two reads of one order: the later `updatedAt`, else the later status (statuses only move forward). */
const newer = (a: Order, b: Order | undefined): Order => {
  if (!b) return a;
  const byTime = Date.parse(b.updatedAt) - Date.parse(a.updatedAt);
  return byTime > 0 || (byTime === 0 && ORDER_STATUSES.indexOf(b.status) > ORDER_STATUSES.indexOf(a.status)) ? b : a;
};

/**
 * The merchant's orders, newest first, filtered by status (kept in the URL), "load more". Live:
 * while an order shown is under way, the first page is read again every few seconds and its
 * orders' newer states shown in place (without dropping the pages loaded with "load more").
 */
export function OrdersPage() {
  const { t, dateTime, number } = useI18n();
  const [status, setStatus] = useSearchParamChoice('status', ORDER_STATUSES);

  const loadPage = useCallback(
    (cursor: string | undefined, signal?: AbortSignal) => api.get<Page<Order>>('/api/v1/orders', { query: { status, limit: 25, cursor }, signal }),
    [status],
  );
  const list = useCursorList(loadPage);
  const [fresher, setFresher] = useState<Map<string, Order>>(new Map());
  const orders = list.items.map((o) => newer(o, fresher.get(o.id)));
  const underWay = orders.some((o) => !ENDED_STATUSES.includes(o.status));
  useEffect(() => {
    if (!underWay) return;
    const controller = new AbortController();
    const timer = setTimeout(() => {
      loadPage(undefined, controller.signal)
        .then((page) => setFresher((known) => new Map([...known, ...page.items.map((o): [string, Order] => [o.id, newer(o, known.get(o.id))])])))
        // A failed read only waits for the next tick (a new map re-arms it); the list shows real errors itself.
        .catch(() => !controller.signal.aborted && setFresher((known) => new Map(known)));
    }, LIVE_REFRESH_MS);
    return () => {
      clearTimeout(timer);
      controller.abort();
    };
  }, [underWay, fresher, loadPage]);
  const products = useProducts(list.items.flatMap((o) => o.lines.map((l) => l.productId)));

  return (
    <>
      <PageHeader title={t('nav.merchant.orders')}>
        <Link className="button button--primary" to="/merchant/catalog">
          {t('merchant.orders.new')}
        </Link>
      </PageHeader>
      <form className="filters" role="search" aria-label={t('merchant.orders.filters')} onSubmit={(e) => e.preventDefault()}>
        <SelectField
          label={t('merchant.orders.status')}
          name="status"
          value={status}
          onChange={(e) => setStatus(e.target.value)}
        >
          <option value="">{t('merchant.orders.allStatuses')}</option>
          {ORDER_STATUSES.map((s) => (
            <option key={s} value={s}>
              {t(`merchant.orderStatus.${s}` as const)}
            </option>
          ))}
        </SelectField>
      </form>
      <section aria-label={t('nav.merchant.orders')} aria-busy={list.loading}>
        <ListStates of={list} count={list.items.length} empty={(
          <EmptyState title={t('merchant.orders.empty')} hint={t('merchant.orders.emptyHint')}>
            <Link to="/merchant/catalog">{t('nav.merchant.catalog')}</Link>
          </EmptyState>
        )}>
          <div className="table-scroll">
            <table className="table" data-testid="orders">
              <thead>
                <tr>
                  <th scope="col">{t('merchant.orders.col.order')}</th>
                  <th scope="col">{t('merchant.orders.col.placed')}</th>
                  <th scope="col">{t('merchant.orders.col.product')}</th>
                  <th scope="col" className="num">
                    {t('merchant.order.col.quantity')}
                  </th>
                  <th scope="col" className="num">
                    {t('merchant.order.total')}
                  </th>
                  <th scope="col">{t('merchant.orders.status')}</th>
                </tr>
              </thead>
              <tbody>
                {orders.map((order) => {
                  const productIds = [...new Set(order.lines.map((l) => l.productId))];
                  return (
                    <tr key={order.id}>
                      <td>
                        <Link to={`/merchant/orders/${order.id}`} aria-label={t('merchant.orders.open', { id: order.id.slice(0, 8) })}>
                          <ShortId id={order.id} />
                        </Link>
                      </td>
                      <td>{dateTime(order.createdAt)}</td>
                      <td className="truncate">{productIds.map((id) => products.get(id)?.name ?? id.slice(0, 8)).join('、')}</td>
                      <td className="num">{number(order.lines.reduce((sum, l) => sum + l.quantity, 0))}</td>
                      <td className="num money">{formatMoney(order.total, order.currency)}</td>
                      <td>
                        <StatusBadge prefix="merchant.orderStatus" status={order.status} />
                      </td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          </div>
        </ListStates>
        <LoadMore list={list} />
      </section>
    </>
  );
}
