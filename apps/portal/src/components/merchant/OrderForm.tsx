import { useState, type FormEvent } from 'react';
import { useNavigate } from 'react-router';
import { api, ApiError, newIdempotencyKey } from '../../api';
import type { Order, OrderQuote, SupplierRef } from '../../pages/merchant/types';
import { ErrorAlert, Notice, SelectField, TextField } from '../ui';
import { formatMoney, parseMoney } from '../../i18n/format';
import { useI18n } from '../../i18n/i18n';
import { ShortId } from './common';

const MAX_QUANTITY = 100_000;

/**
 * The bulk order form of a product: quantity, optional max unit price (yuan → fen), fulfilment.
 * "Get quote" asks ordering what the order would be now (the split across suppliers, the total,
 * whether the balance covers it); "Confirm order" places exactly those lines with an
 * Idempotency-Key made for this quote (a retried click answers the same order), then opens it.
 */
export function OrderForm({ productId, suppliers, onQuantity }: { productId: string; suppliers: Map<string, SupplierRef>; onQuantity?: (quantity: number) => void }) {
  const { t, number } = useI18n();
  const navigate = useNavigate();
  const [quantity, setQuantity] = useState('');
  const [maxPrice, setMaxPrice] = useState('');
  const [fulfilment, setFulfilment] = useState<'codes' | 'stock'>('codes');
  const [fieldErrors, setFieldErrors] = useState<{ quantity?: string[]; maxPrice?: string[] }>({});
  const [quoting, setQuoting] = useState(false);
  const [quoteError, setQuoteError] = useState<unknown>(null);
  const [quote, setQuote] = useState<{ quote: OrderQuote; body: { lines: { productId: string; quantity: number; maxUnitPrice?: number }[] }; key: string } | null>(null);
  const [placing, setPlacing] = useState(false);
  const [placeError, setPlaceError] = useState<unknown>(null);

  function changed() {
    // A quote belongs to the values it was asked for.
    setQuote(null);
    setPlaceError(null);
  }

  async function onQuote(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const errors: typeof fieldErrors = {};
    const qty = /^\d+$/.test(quantity.trim()) ? Number(quantity.trim()) : NaN;
    if (!Number.isInteger(qty) || qty < 1 || qty > MAX_QUANTITY) errors.quantity = [t('merchant.order.quantityInvalid', { max: number(MAX_QUANTITY) })];
    let maxUnitPrice: number | undefined;
    if (maxPrice.trim()) {
      const fen = parseMoney(maxPrice);
      if (fen === null || fen <= 0) errors.maxPrice = [t('merchant.order.maxPriceInvalid')];
      else maxUnitPrice = fen;
    }
    setFieldErrors(errors);
    if (errors.quantity || errors.maxPrice) return;
    onQuantity?.(qty);
    const body = { lines: [{ productId, quantity: qty, ...(maxUnitPrice !== undefined ? { maxUnitPrice } : {}) }] };
    setQuoting(true);
    setQuoteError(null);
    setPlaceError(null);
    setQuote(null);
    try {
      const answer = await api.post<OrderQuote>('/api/v1/orders/quote', body);
      setQuote({ quote: answer, body, key: newIdempotencyKey() });
    } catch (error) {
      setQuoteError(error);
      if (error instanceof ApiError) {
        const q = error.fieldMessages('lines.0.quantity');
        const p = error.fieldMessages('lines.0.maxUnitPrice');
        if (q.length || p.length) setFieldErrors({ quantity: q.length ? q : undefined, maxPrice: p.length ? p : undefined });
      }
    } finally {
      setQuoting(false);
    }
  }

  async function onConfirm() {
    if (!quote) return;
    setPlacing(true);
    setPlaceError(null);
    try {
      const order = await api.post<Order>('/api/v1/orders', { ...quote.body, ...(fulfilment === 'stock' ? { fulfilment } : {}) }, { idempotencyKey: quote.key });
      navigate(`/merchant/orders/${order.id}`);
    } catch (error) {
      setPlaceError(error);
      setPlacing(false);
    }
  }

  const supplierName = (id: string) => suppliers.get(id)?.name ?? t('merchant.supplier.unnamed', { id: id.slice(0, 8) });
  const q = quote?.quote;

  return (
    <section className="card" aria-labelledby="order-form-title">
      <h2 id="order-form-title" className="card__title">
        {t('merchant.order.title')}
      </h2>
      <form onSubmit={onQuote} noValidate aria-label={t('merchant.order.title')}>
        <div className="m-form-row">
          <TextField
            label={t('merchant.order.quantity')}
            name="quantity"
            inputMode="numeric"
            autoComplete="off"
            required
            value={quantity}
            errors={fieldErrors.quantity}
            onChange={(e) => {
              setQuantity(e.target.value);
              changed();
            }}
          />
          <TextField
            label={t('merchant.order.maxUnitPrice')}
            hint={t('merchant.order.maxUnitPriceHint')}
            name="maxUnitPrice"
            inputMode="decimal"
            autoComplete="off"
            value={maxPrice}
            errors={fieldErrors.maxPrice}
            onChange={(e) => {
              setMaxPrice(e.target.value);
              changed();
            }}
          />
          <SelectField label={t('merchant.order.fulfilment')} name="fulfilment" value={fulfilment} onChange={(e) => setFulfilment(e.target.value as 'codes' | 'stock')}>
            <option value="codes">{t('merchant.order.fulfilment.codes')}</option>
            <option value="stock">{t('merchant.order.fulfilment.stock')}</option>
          </SelectField>
        </div>
        <ErrorAlert error={quoteError} />
        <button type="submit" className="button button--secondary" disabled={quoting}>
          {quoting ? t('merchant.order.quoting') : t('merchant.order.getQuote')}
        </button>
      </form>

      {q ? (
        <div className="quote" data-testid="quote" aria-live="polite">
          <h3>{t('merchant.order.quoteTitle')}</h3>
          <div className="table-scroll">
            <table className="table">
              <thead>
                <tr>
                  <th scope="col">{t('merchant.order.col.offer')}</th>
                  <th scope="col">{t('merchant.order.col.supplier')}</th>
                  <th scope="col" className="num">
                    {t('merchant.order.col.quantity')}
                  </th>
                  <th scope="col" className="num">
                    {t('merchant.order.col.unitPrice')}
                  </th>
                  <th scope="col" className="num">
                    {t('merchant.order.col.lineTotal')}
                  </th>
                </tr>
              </thead>
              <tbody>
                {q.lines.map((line) => (
                  <tr key={line.offerId}>
                    <td>
                      <ShortId id={line.offerId} />
                    </td>
                    <td>{supplierName(line.supplierId)}</td>
                    <td className="num">{number(line.quantity)}</td>
                    <td className="num money">{formatMoney(line.unitPrice, q.currency)}</td>
                    <td className="num money">{formatMoney(line.lineTotal, q.currency)}</td>
                  </tr>
                ))}
              </tbody>
              <tfoot>
                <tr>
                  <th scope="row" colSpan={4}>
                    {t('merchant.order.total')}
                  </th>
                  <td className="num money m-total" data-testid="quote-total">
                    {formatMoney(q.total, q.currency)}
                  </td>
                </tr>
              </tfoot>
            </table>
          </div>
          {q.lines.length > 1 ? <p className="muted">{t('merchant.order.splitNote', { count: q.lines.length })}</p> : null}
          {q.covered === true ? <Notice>{t('merchant.order.covered', { balance: formatMoney(q.balance ?? 0, q.currency) })}</Notice> : null}
          {q.covered === false ? (
            <div className="alert alert--error" role="alert">
              {t('merchant.order.notCovered', { balance: formatMoney(q.balance ?? 0, q.currency) })}
            </div>
          ) : null}
          {q.covered === null ? <Notice tone="info">{t('merchant.order.balanceUnknown')}</Notice> : null}
          <ErrorAlert error={placeError} />
          <div className="m-actions">
            <button type="button" className="button button--primary" onClick={onConfirm} disabled={placing || q.covered === false}>
              {placing ? t('merchant.order.placing') : t('merchant.order.confirm')}
            </button>
          </div>
        </div>
      ) : null}
    </section>
  );
}
