import { useEffect, useState } from 'react';
import { Link, useParams } from 'react-router';
import { api, ApiError } from '../../api';
import { ShortId, StatusBadge, useCodeInWords } from '../../components/merchant/common';
import { OrderCodes } from '../../components/merchant/OrderCodes';
import { useProducts } from '../../lib/productNames';
import { ErrorAlert, Loading, Notice, PageHeader } from '../../components/ui';
import { formatMoney } from '../../i18n/format';
import { useI18n } from '../../i18n/i18n';
import { isMessageKey } from '../../i18n/messages';
import { ENDED_STATUSES, type Order } from './types';

const LONG_POLL_SECONDS = 30;

const pause = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => {
      clearTimeout(timer);
      resolve();
    });
  });

/**
 * Follows an order live: loads it, then long-polls (GET /orders/{id}?wait=30) in a loop until it
 * has ended (delivered, cancelled, failed); a network failure waits a moment and tries again; the
 * loop is aborted when the page goes away.
 */
function useLiveOrder(orderId: string) {
  const [order, setOrder] = useState<Order | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [following, setFollowing] = useState(false);
  const [attempt, setAttempt] = useState(0);

  useEffect(() => {
    const controller = new AbortController();
    const { signal } = controller;
    setOrder(null);
    setError(null);
    void (async () => {
      let current: Order | null = null;
      let failures = 0;
      while (!signal.aborted) {
        try {
          current = await api.get<Order>(`/api/v1/orders/${orderId}`, { query: current ? { wait: LONG_POLL_SECONDS } : undefined, signal });
          if (signal.aborted) return;
          failures = 0;
          setOrder(current);
          setError(null);
          const ended = ENDED_STATUSES.includes(current.status);
          setFollowing(!ended);
          if (ended) return;
        } catch (failure) {
          if (signal.aborted) return;
          setError(failure);
          // Not found or not allowed will not get better by waiting.
          if (failure instanceof ApiError && failure.status >= 400 && failure.status < 500 && failure.status !== 429) {
            setFollowing(false);
            return;
          }
          failures += 1;
          await pause(Math.min(1000 * 2 ** failures, 15_000), signal);
        }
      }
    })();
    return () => controller.abort();
  }, [orderId, attempt]);

  return { order, error, following, retry: () => setAttempt((a) => a + 1) };
}

export function OrderDetailPage() {
  const { orderId = '' } = useParams();
  const { t, dateTime, number } = useI18n();
  const inWords = useCodeInWords();
  const { order, error, following, retry } = useLiveOrder(orderId);
  const products = useProducts(order?.lines.map((l) => l.productId) ?? []);
  const reasonText = (reason: string | null) => {
    if (!reason) return null;
    const key = `merchant.reason.${reason}`;
    if (isMessageKey(key)) return t(key);
    const known = inWords(reason);
    return known === reason ? t('merchant.order.reason', { reason }) : known;
  };

  return (
    <>
      <p>
        <Link to="/merchant/orders">← {t('merchant.order.back')}</Link>
      </p>
      <PageHeader title={t('merchant.order.detailTitle', { id: orderId.slice(0, 8) })} />
      {error ? <ErrorAlert error={error} onRetry={order ? undefined : retry} /> : null}
      {!order && !error ? <Loading /> : null}
      {order ? (
        <>
          <section className="card" aria-labelledby="order-status-title">
            <div className="card__header">
              <h2 id="order-status-title" className="card__title">
                {t('merchant.orders.status')}: <StatusBadge prefix="merchant.orderStatus" status={order.status} testId="order-status" />
              </h2>
              {following ? <span className="m-live">{t('merchant.order.live')}</span> : null}
            </div>
            {order.status === 'delivered' && order.fulfilment === 'stock' ? <Notice tone="info">{t('merchant.order.inStock')}</Notice> : null}
            {order.statusReason && order.status !== 'delivered' ? <p>{reasonText(order.statusReason)}</p> : null}
            <dl className="m-facts">
              <div>
                <dt>{t('merchant.orders.col.order')}</dt>
                <dd className="mono">{order.id}</dd>
              </div>
              <div>
                <dt>{t('merchant.orders.col.placed')}</dt>
                <dd>{dateTime(order.createdAt)}</dd>
              </div>
              <div>
                <dt>{t('merchant.order.total')}</dt>
                <dd className="money">{formatMoney(order.total, order.currency)}</dd>
              </div>
              <div>
                <dt>{t('merchant.order.fulfilment')}</dt>
                <dd>{t(order.fulfilment === 'stock' ? 'merchant.order.fulfilment.stock' : 'merchant.order.fulfilment.codes')}</dd>
              </div>
            </dl>
            <div className="table-scroll">
              <table className="table">
                <thead>
                  <tr>
                    <th scope="col">{t('merchant.orders.col.product')}</th>
                    <th scope="col">{t('merchant.order.col.offer')}</th>
                    <th scope="col" className="num">
                      {t('merchant.order.col.quantity')}
                    </th>
                    <th scope="col" className="num">
                      {t('merchant.order.col.unitPrice')}
                    </th>
                    <th scope="col" className="num">
                      {t('merchant.order.col.lineTotal')}
                    </th>
                    <th scope="col" className="num">
                      {t('merchant.order.col.allocated')}
                    </th>
                  </tr>
                </thead>
                <tbody>
                  {order.lines.map((line) => (
                    <tr key={line.id}>
                      <td>
                        <Link to={`/merchant/catalog/${line.productId}`}>{products.get(line.productId)?.name ?? line.productId.slice(0, 8)}</Link>
                      </td>
                      <td>
                        <ShortId id={line.offerId} />
                      </td>
                      <td className="num">{number(line.quantity)}</td>
                      <td className="num money">{formatMoney(line.unitPrice, order.currency)}</td>
                      <td className="num money">{formatMoney(line.lineTotal, order.currency)}</td>
                      <td className="num">{line.failed ? <span className="badge badge--bad">{t('merchant.order.lineFailed')}</span> : number(line.allocated)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          </section>

          <section className="card" aria-labelledby="timeline-title">
            <h2 id="timeline-title" className="card__title">
              {t('merchant.order.timeline')}
            </h2>
            <ol className="m-timeline" data-testid="timeline">
              {(order.transitions ?? []).map((tr, i) => (
                <li key={`${tr.to}-${i}`}>
                  <StatusBadge prefix="merchant.orderStatus" status={tr.to} />
                  {tr.reason ? <span className="muted"> · {reasonText(tr.reason)}</span> : null}
                  <time dateTime={tr.at}>{dateTime(tr.at)}</time>
                </li>
              ))}
            </ol>
          </section>

          {order.status === 'delivered' && order.fulfilment === 'codes' ? <OrderCodes orderId={order.id} /> : null}
        </>
      ) : null}
    </>
  );
}
