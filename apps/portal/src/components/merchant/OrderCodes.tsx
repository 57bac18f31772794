import { useCallback, useState } from 'react';
import { api } from '../../api';
import type { DeliveredCode, OrderCodesPage } from '../../pages/merchant/types';
import { saveBlob } from '../../lib/csv';
import { useApiData } from '../../lib/useApiData';
import { EmptyState, ErrorAlert, Loading } from '../ui';
import { useI18n } from '../../i18n/i18n';
import { CopyButton, StatusBadge } from './common';
import { DisputeForm } from './DisputeForm';

const PAGE_SIZE = 50;

/**
 * A delivered order's codes: a paged table (each code with a copy button and "report a problem"),
 * and the whole order as CSV (fetched with the session's token, saved through a Blob URL).
 */
export function OrderCodes({ orderId }: { orderId: string }) {
  const { t, date, number } = useI18n();
  // cursors[i] is the cursor of page i (undefined: the first page).
  const [cursors, setCursors] = useState<(string | undefined)[]>([undefined]);
  const pageIndex = cursors.length - 1;
  const cursor = cursors[pageIndex];
  const load = useCallback(
    (signal: AbortSignal) => api.get<OrderCodesPage>(`/api/v1/orders/${orderId}/codes`, { query: { limit: PAGE_SIZE, cursor }, signal }),
    [orderId, cursor],
  );
  const page = useApiData(load);
  const [downloading, setDownloading] = useState(false);
  const [downloadError, setDownloadError] = useState<unknown>(null);
  const [disputing, setDisputing] = useState<DeliveredCode | null>(null);

  async function onDownload() {
    setDownloading(true);
    setDownloadError(null);
    try {
      const blob = await api.get<Blob>(`/api/v1/orders/${orderId}/codes.csv`, { responseType: 'blob', headers: { accept: 'text/csv' } });
      saveBlob(blob, `order-${orderId}-codes.csv`);
    } catch (error) {
      setDownloadError(error);
    } finally {
      setDownloading(false);
    }
  }

  const items = page.data?.items ?? [];
  const hasPin = items.some((c) => c.pin);
  const hasSerial = items.some((c) => c.serial);

  return (
    <section className="card" aria-labelledby="codes-title" aria-busy={page.loading}>
      <div className="card__header">
        <h2 id="codes-title" className="card__title">
          {t('merchant.codes.title')}
        </h2>
        <button type="button" className="button button--primary" onClick={onDownload} disabled={downloading}>
          {downloading ? t('merchant.codes.downloading') : t('merchant.codes.download')}
        </button>
      </div>
      <p className="muted">{t('merchant.codes.note')}</p>
      <ErrorAlert error={downloadError} />
      {page.error ? <ErrorAlert error={page.error} onRetry={page.reload} /> : null}
      {!page.data && page.loading ? <Loading /> : null}
      {page.data && items.length === 0 ? <EmptyState title={t('merchant.codes.empty')} /> : null}
      {disputing ? <DisputeForm code={disputing} onClose={() => setDisputing(null)} /> : null}
      {items.length > 0 ? (
        <>
          <div className="table-scroll">
            <table className="table" data-testid="codes">
              <thead>
                <tr>
                  <th scope="col" className="num">
                    #
                  </th>
                  <th scope="col">{t('merchant.codes.col.code')}</th>
                  {hasPin ? <th scope="col">{t('merchant.codes.col.pin')}</th> : null}
                  {hasSerial ? <th scope="col">{t('merchant.codes.col.serial')}</th> : null}
                  <th scope="col">{t('merchant.codes.col.expires')}</th>
                  <th scope="col">{t('merchant.codes.col.actions')}</th>
                </tr>
              </thead>
              <tbody>
                {items.map((c, i) => (
                  <tr key={c.codeId}>
                    <td className="num muted">{number(pageIndex * PAGE_SIZE + i + 1)}</td>
                    <td className="m-code">{c.code}</td>
                    {hasPin ? <td className="m-code">{c.pin ?? ''}</td> : null}
                    {hasSerial ? <td className="m-code">{c.serial ?? ''}</td> : null}
                    <td>{c.expiresAt ? date(c.expiresAt) : t('merchant.codes.noExpiry')}</td>
                    <td>
                      <div className="m-actions" style={{ marginTop: 0, flexWrap: 'nowrap' }}>
                        <CopyButton value={c.pin ? `${c.code} ${c.pin}` : c.code} label={t('merchant.codes.copy', { code: c.code })} />
                        {c.dispute ? (
                          // Disputed once, for good: its status instead of a second report.
                          <StatusBadge prefix="merchant.disputeStatus" status={c.dispute.status} />
                        ) : (
                          <button type="button" className="button button--ghost button--small" onClick={() => setDisputing(c)} aria-label={t('merchant.codes.disputeOne', { code: c.code })}>
                            {t('merchant.codes.dispute')}
                          </button>
                        )}
                      </div>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <nav className="m-pager" aria-label={t('merchant.codes.pages')}>
            <button type="button" className="button button--secondary" disabled={pageIndex === 0 || page.loading} onClick={() => setCursors(cursors.slice(0, -1))}>
              {t('merchant.codes.previous')}
            </button>
            <span className="muted">{t('merchant.codes.page', { page: number(pageIndex + 1) })}</span>
            <button
              type="button"
              className="button button--secondary"
              disabled={!page.data?.nextCursor || page.loading}
              onClick={() => page.data?.nextCursor && setCursors([...cursors, page.data.nextCursor])}
            >
              {t('merchant.codes.next')}
            </button>
          </nav>
        </>
      ) : null}
    </section>
  );
}
