import { useCallback, useMemo, useState } from 'react';
import { Link, useParams } from 'react-router';
import { api } from '../../api';
import type { Page, ProductSearchItem } from '../../api/types';
import { OrderForm } from '../../components/merchant/OrderForm';
import { EmptyState, ErrorAlert, Loading, PageHeader } from '../../components/ui';
import { formatMoney } from '../../i18n/format';
import { useI18n } from '../../i18n/i18n';
import { useApiData } from '../../lib/useApiData';
import type { Comparison, Offer, SupplierRef } from './types';
import { ListStates } from '../../components/list';

/**
 * A product: its facts, every active offer compared (supplier, tier prices, stock, and the price
 * at the quantity the merchant asks for, from catalog's comparison), and the bulk order form.
 */
export function ProductPage() {
  const { productId = '' } = useParams();
  const { t, number } = useI18n();
  const [quantity, setQuantity] = useState(1);

  const loadProduct = useCallback((signal: AbortSignal) => api.get<ProductSearchItem>(`/api/v1/catalog/products/${productId}`, { signal }), [productId]);
  const loadOffers = useCallback((signal: AbortSignal) => api.get<Page<Offer>>('/api/v1/catalog/offers', { query: { productId, limit: 100 }, signal }), [productId]);
  const loadComparison = useCallback(
    (signal: AbortSignal) => api.get<Comparison>(`/api/v1/catalog/products/${productId}/offers`, { query: { quantity }, signal }),
    [productId, quantity],
  );
  const product = useApiData(loadProduct);
  const offers = useApiData(loadOffers);
  const comparison = useApiData(loadComparison);

  const atQuantity = useMemo(() => new Map((comparison.data?.offers ?? []).map((o) => [o.offerId, o])), [comparison.data]);
  const suppliers = useMemo(() => {
    const map = new Map<string, SupplierRef>();
    for (const o of offers.data?.items ?? []) map.set(o.supplier.id, o.supplier);
    return map;
  }, [offers.data]);
  const sorted = useMemo(
    () => [...(offers.data?.items ?? [])].sort((a, b) => (atQuantity.get(a.id)?.unitPrice ?? Infinity) - (atQuantity.get(b.id)?.unitPrice ?? Infinity) || b.stock.available - a.stock.available),
    [offers.data, atQuantity],
  );

  const p = product.data;
  const currency = p?.currency ?? 'CNY';

  return (
    <>
      <p>
        <Link to="/merchant/catalog">← {t('merchant.product.back')}</Link>
      </p>
      <PageHeader title={p?.name ?? t('page.productDetail')} />
      {product.error ? <ErrorAlert error={product.error} onRetry={product.reload} /> : null}
      {!p && product.loading ? <Loading /> : null}
      {p ? (
        <section className="card" aria-label={t('merchant.product.facts')}>
          <dl className="m-facts">
            <div>
              <dt>{t('catalog.brand')}</dt>
              <dd>{p.brand.name}</dd>
            </div>
            <div>
              <dt>{t('catalog.col.faceValue')}</dt>
              <dd className="money">{formatMoney(p.faceValue, p.currency)}</dd>
            </div>
            <div>
              <dt>{t('merchant.product.region')}</dt>
              <dd>{p.region}</dd>
            </div>
            <div>
              <dt>{t('catalog.col.lowestPrice')}</dt>
              <dd className="money">{p.offers.lowestUnitPrice === null ? t('catalog.noOffers') : formatMoney(p.offers.lowestUnitPrice, p.currency)}</dd>
            </div>
            <div>
              <dt>{t('catalog.col.stock')}</dt>
              <dd>{number(p.offers.available)}</dd>
            </div>
          </dl>
          {p.redemptionInstructions ? (
            <p className="muted">
              {t('merchant.product.instructions')}: {p.redemptionInstructions}
            </p>
          ) : null}
        </section>
      ) : null}

      <section className="card" aria-labelledby="offers-title" aria-busy={offers.loading || comparison.loading}>
        <div className="card__header">
          <h2 id="offers-title" className="card__title">
            {t('merchant.product.offers')}
          </h2>
          <span className="muted">{t('merchant.product.pricesAt', { quantity: number(quantity) })}</span>
        </div>
        <ListStates of={offers} count={sorted.length} empty={<EmptyState title={t('merchant.product.noOffers')} hint={t('merchant.product.noOffersHint')} />}>
          <div className="table-scroll">
            <table className="table" data-testid="offers">
              <thead>
                <tr>
                  <th scope="col">{t('merchant.order.col.supplier')}</th>
                  <th scope="col">{t('merchant.product.col.tiers')}</th>
                  <th scope="col" className="num">
                    {t('merchant.product.col.minMax')}
                  </th>
                  <th scope="col" className="num">
                    {t('catalog.col.stock')}
                  </th>
                  <th scope="col" className="num">
                    {t('merchant.product.col.unitAt', { quantity: number(quantity) })}
                  </th>
                  <th scope="col" className="num">
                    {t('merchant.product.col.totalAt', { quantity: number(quantity) })}
                  </th>
                </tr>
              </thead>
              <tbody>
                {sorted.map((offer, index) => {
                  const at = atQuantity.get(offer.id);
                  return (
                    <tr key={offer.id} className={index === 0 && at ? 'm-row--selected' : undefined}>
                      <td>
                        {offer.supplier.name ?? t('merchant.supplier.unnamed', { id: offer.supplier.id.slice(0, 8) })}
                        {index === 0 && at ? <span className="badge badge--ok"> {t('merchant.product.best')}</span> : null}
                      </td>
                      <td>
                        <ul className="m-tiers">
                          {offer.priceTiers.map((tier) => (
                            <li key={tier.minQuantity}>{t('merchant.product.tier', { min: number(tier.minQuantity), price: formatMoney(tier.unitPrice, offer.currency) })}</li>
                          ))}
                        </ul>
                      </td>
                      <td className="num">
                        {number(offer.minOrderQuantity)} – {offer.maxOrderQuantity === null ? '∞' : number(offer.maxOrderQuantity)}
                      </td>
                      <td className="num">
                        {number(offer.stock.available)}
                        {offer.stock.low ? <span className="badge badge--warn"> {t('merchant.product.low')}</span> : null}
                      </td>
                      <td className="num money">{at ? formatMoney(at.unitPrice, currency) : '—'}</td>
                      <td className="num money">{at ? formatMoney(at.total, currency) : '—'}</td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          </div>
        </ListStates>
        {comparison.error ? <ErrorAlert error={comparison.error} /> : null}
        {comparison.data?.split ? (
          <p className="muted" data-testid="split">
            {comparison.data.split.shortfall > 0
              ? t('merchant.product.shortfall', { shortfall: number(comparison.data.split.shortfall) })
              : t('merchant.product.split', { count: comparison.data.split.lines.length, total: formatMoney(comparison.data.split.total, currency) })}
          </p>
        ) : null}
      </section>

      {p ? <OrderForm productId={productId} suppliers={suppliers} onQuantity={setQuantity} /> : null}
    </>
  );
}
