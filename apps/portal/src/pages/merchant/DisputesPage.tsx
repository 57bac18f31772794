import { useCallback } from 'react';
import { Link } from 'react-router';
import { api } from '../../api';
import type { Page } from '../../api/types';
import { ShortId, StatusBadge } from '../../components/merchant/common';
import { useProducts } from '../../lib/productNames';
import { EmptyState, PageHeader, SelectField } from '../../components/ui';
import { formatMoney } from '../../i18n/format';
import { useI18n } from '../../i18n/i18n';
import { DISPUTE_STATUSES, type Dispute } from './types';
import { ListStates, LoadMore, useCursorList, useSearchParamChoice } from '../../components/list';

/** The merchant's own disputes with their status (a dispute is opened from an order's code row). */
export function DisputesPage() {
  const { t, dateTime } = useI18n();
  const [status, setStatus] = useSearchParamChoice('status', DISPUTE_STATUSES);
  const loadPage = useCallback(
    (cursor: string | undefined, signal?: AbortSignal) => api.get<Page<Dispute>>('/api/v1/disputes', { query: { status, limit: 25, cursor }, signal }),
    [status],
  );
  const list = useCursorList(loadPage);
  const products = useProducts(list.items.map((d) => d.productId));

  return (
    <>
      <PageHeader title={t('nav.merchant.disputes')}>
        <button type="button" className="button button--secondary" onClick={list.reload}>
          {t('common.refresh')}
        </button>
      </PageHeader>
      <form className="filters" role="search" aria-label={t('merchant.disputes.filters')} onSubmit={(e) => e.preventDefault()}>
        <SelectField label={t('merchant.disputes.status')} name="status" value={status} onChange={(e) => setStatus(e.target.value)}>
          <option value="">{t('merchant.disputes.allStatuses')}</option>
          {DISPUTE_STATUSES.map((s) => (
            <option key={s} value={s}>
              {t(`merchant.disputeStatus.${s}` as const)}
            </option>
          ))}
        </SelectField>
      </form>
      <section aria-label={t('nav.merchant.disputes')} aria-busy={list.loading}>
        <ListStates of={list} count={list.items.length} empty={<EmptyState title={t('merchant.disputes.empty')} hint={t('merchant.disputes.emptyHint')} />}>
          <div className="table-scroll">
            <table className="table" data-testid="disputes">
              <thead>
                <tr>
                  <th scope="col">{t('merchant.disputes.col.opened')}</th>
                  <th scope="col">{t('merchant.disputes.col.product')}</th>
                  <th scope="col">{t('merchant.disputes.col.code')}</th>
                  <th scope="col">{t('merchant.disputes.col.order')}</th>
                  <th scope="col">{t('merchant.disputes.col.reason')}</th>
                  <th scope="col">{t('merchant.disputes.status')}</th>
                  <th scope="col">{t('merchant.disputes.col.outcome')}</th>
                </tr>
              </thead>
              <tbody>
                {list.items.map((d) => (
                  <tr key={d.id}>
                    <td>{dateTime(d.createdAt)}</td>
                    <td>{products.get(d.productId)?.name ?? d.productId.slice(0, 8)}</td>
                    <td className="mono">{d.codeId}</td>
                    <td>
                      <Link to={`/merchant/orders/${d.orderId}`}>
                        <ShortId id={d.orderId} />
                      </Link>
                    </td>
                    <td title={d.evidence}>{t(`merchant.disputeReason.${d.reason}` as const)}</td>
                    <td>
                      <StatusBadge prefix="merchant.disputeStatus" status={d.status} />
                    </td>
                    <td>{d.refundAmount !== undefined ? t('merchant.disputes.refunded', { amount: formatMoney(d.refundAmount, d.refundCurrency ?? 'CNY') }) : ''}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </ListStates>
        <LoadMore list={list} />
      </section>
    </>
  );
}
