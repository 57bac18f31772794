import { useCallback, useMemo } from 'react';
import { api } from '../../api';
import { fetchAll, loadOwnOffers, offerLabel, StatusBadge } from '../../components/supplier/common';
import { LineChart, type ChartSeries } from '../../components/supplier/LineChart';
import type { Batch, Offer, OfferStock, OfferStockHistory } from '../../components/supplier/types';
import { EmptyState, ErrorAlert, Loading, PageHeader } from '../../components/ui';
import { useI18n } from '../../i18n/i18n';
import { useApiData } from '../../lib/useApiData';

const BATCH_DETAILS = 20;
/** The chart draws the offers with the most codes uploaded, this many at most (one colour each). */
const CHART_OFFERS = 4;

interface StockData {
  offers: Offer[];
  levels: Map<string, OfferStock>;
  batches: Batch[];
  histories: OfferStockHistory[];
}

/**
 * Stock per offer (the vault's counts: available, reserved, sold, void) and per batch (the newest
 * batches, with their codes by state), and a chart of each main offer's available codes over the
 * last 7 days (the vault's stock history, to the current level).
 */
export function StockPage() {
  const { t, number, dateTime } = useI18n();
  const load = useCallback(async (signal: AbortSignal): Promise<StockData> => {
    const [offers, batchList] = await Promise.all([loadOwnOffers(signal), fetchAll<Batch>('/api/v1/vault/batches', signal, {}, 200)]);
    const levels = await Promise.all(
      offers.map((o) =>
        api.get<OfferStock>(`/api/v1/vault/offers/${o.id}/stock`, { signal }).catch((error: unknown) => {
          if ((error as { code?: string }).code === 'offer_not_found') return null; // the vault has not heard of it yet
          throw error;
        }),
      ),
    );
    const known = levels.filter((l): l is OfferStock => l !== null);
    const charted = known
      .filter((l) => l.uploaded > 0)
      .sort((a, b) => b.uploaded - a.uploaded)
      .slice(0, CHART_OFFERS);
    const [detailed, histories] = await Promise.all([
      Promise.all(batchList.slice(0, BATCH_DETAILS).map((b) => (b.status === 'completed' ? api.get<Batch>(`/api/v1/vault/batches/${b.id}`, { signal }) : Promise.resolve(b)))),
      Promise.all(charted.map((l) => api.get<OfferStockHistory>(`/api/v1/vault/offers/${l.offerId}/stock/history`, { signal }))),
    ]);
    return { offers, levels: new Map(known.map((l) => [l.offerId, l])), batches: [...detailed, ...batchList.slice(BATCH_DETAILS)], histories };
  }, []);
  const data = useApiData(load);
  const offerName = useMemo(() => new Map((data.data?.offers ?? []).map((o) => [o.id, offerLabel(o)])), [data.data]);

  const series = useMemo<ChartSeries[]>(() => {
    if (!data.data) return [];
    const { histories, levels } = data.data;
    return histories.map((h) => {
      const points = h.points.map((p) => ({ x: Date.parse(p.at), y: p.available }));
      // From nothing before the first upload in the period, and on to the level now.
      if (points.length === 0 || Date.parse(h.points[0]!.at) > Date.parse(h.from)) points.unshift({ x: Date.parse(h.from), y: 0 });
      points.push({ x: Date.parse(h.to), y: levels.get(h.offerId)?.available ?? points.at(-1)!.y });
      return { label: offerName.get(h.offerId) ?? h.offerId.slice(0, 8), points };
    });
  }, [data.data, offerName]);

  return (
    <>
      <PageHeader title={t('nav.supplier.stock')}>
        <button type="button" className="button button--secondary" onClick={data.reload}>
          {t('common.refresh')}
        </button>
      </PageHeader>
      {data.error ? <ErrorAlert error={data.error} onRetry={data.reload} /> : null}
      <section className="card" aria-labelledby="offer-stock-title" aria-busy={data.loading}>
        <h2 id="offer-stock-title" className="card__title">
          {t('so.stock.perOffer')}
        </h2>
        {!data.data && data.loading ? <Loading /> : null}
        {data.data && data.data.offers.length === 0 ? <EmptyState title={t('so.offers.none')} hint={t('so.offers.noneHint')} /> : null}
        {data.data && data.data.offers.length > 0 ? (
          <div className="table-scroll">
            <table className="table" data-testid="offer-stock">
              <thead>
                <tr>
                  <th scope="col">{t('so.stock.col.offer')}</th>
                  <th scope="col">{t('so.col.status')}</th>
                  <th scope="col" className="num">{t('so.stock.uploaded')}</th>
                  <th scope="col" className="num">{t('so.stock.available')}</th>
                  <th scope="col" className="num">{t('so.stock.reserved')}</th>
                  <th scope="col" className="num">{t('so.stock.sold')}</th>
                  <th scope="col" className="num">{t('so.stock.void')}</th>
                </tr>
              </thead>
              <tbody>
                {data.data.offers.map((o) => {
                  const level = data.data!.levels.get(o.id);
                  return (
                    <tr key={o.id}>
                      <td>{offerLabel(o)}</td>
                      <td>
                        <StatusBadge value={o.status} />
                      </td>
                      <td className="num">{level ? number(level.uploaded) : '—'}</td>
                      <td className="num">{level ? number(level.available) : '—'}</td>
                      <td className="num">{level ? number(level.reserved) : '—'}</td>
                      <td className="num">{level ? number(level.sold) : '—'}</td>
                      <td className="num">{level ? number(level.void) : '—'}</td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          </div>
        ) : null}
      </section>

      <section className="card" aria-labelledby="stock-chart-title">
        <h2 id="stock-chart-title" className="card__title">
          {t('so.stock.chartTitle')}
        </h2>
        <p className="section-note">{t('so.stock.chartNote')}</p>
        {data.data && series.length === 0 ? <EmptyState title={t('so.stock.chartEmpty')} /> : null}
        {series.length > 0 ? <LineChart title={t('so.stock.chartTitle')} series={series} step formatX={(x) => dateTime(new Date(x))} formatY={(y) => number(Math.round(y))} /> : null}
      </section>

      <section className="card" aria-labelledby="batch-stock-title" aria-busy={data.loading}>
        <h2 id="batch-stock-title" className="card__title">
          {t('so.stock.perBatch')}
        </h2>
        <p className="section-note">{t('so.stock.perBatchNote', { count: BATCH_DETAILS })}</p>
        {data.data && data.data.batches.length === 0 ? <EmptyState title={t('so.batches.none')} /> : null}
        {data.data && data.data.batches.length > 0 ? (
          <div className="table-scroll">
            <table className="table" data-testid="batch-stock">
              <thead>
                <tr>
                  <th scope="col">{t('so.batches.col.created')}</th>
                  <th scope="col">{t('so.stock.col.offer')}</th>
                  <th scope="col">{t('so.col.status')}</th>
                  <th scope="col" className="num">{t('so.stock.available')}</th>
                  <th scope="col" className="num">{t('so.stock.reserved')}</th>
                  <th scope="col" className="num">{t('so.stock.sold')}</th>
                  <th scope="col" className="num">{t('so.stock.void')}</th>
                </tr>
              </thead>
              <tbody>
                {data.data.batches.slice(0, BATCH_DETAILS).map((b) => (
                  <tr key={b.id}>
                    <td>{dateTime(b.createdAt)}</td>
                    <td>{offerName.get(b.offerId) ?? b.offerId.slice(0, 8)}</td>
                    <td>
                      <StatusBadge value={b.status} />
                    </td>
                    <td className="num">{b.codes ? number(b.codes.available) : '—'}</td>
                    <td className="num">{b.codes ? number(b.codes.reserved) : '—'}</td>
                    <td className="num">{b.codes ? number(b.codes.sold) : '—'}</td>
                    <td className="num">{b.codes ? number(b.codes.void) : '—'}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        ) : null}
      </section>
    </>
  );
}
