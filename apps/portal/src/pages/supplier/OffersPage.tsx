import { useState, type FormEvent } from 'react';
import { Link } from 'react-router';
import { api, ApiError, newIdempotencyKey } from '../../api';
import type { ProductSearchItem } from '../../api/types';
import { fetchAll, loadOwnOffers, StatusBadge, useLabel } from '../../components/supplier/common';
import type { Offer } from '../../components/supplier/types';
import { EmptyState, ErrorAlert, Notice, PageHeader, SelectField, TextField } from '../../components/ui';
import { formatMoney, moneyInputValue, parseMoney } from '../../i18n/format';
import { useI18n } from '../../i18n/i18n';
import { useApiData } from '../../lib/useApiData';
import { ListStates } from '../../components/list';

interface TierInput {
  minQuantity: string;
  unitPrice: string;
}

interface Draft {
  /** null: a new offer */
  offerId: string | null;
  productId: string;
  sku: string;
  tiers: TierInput[];
  minOrderQuantity: string;
  lowStockThreshold: string;
}

const emptyDraft = (productId = ''): Draft => ({ offerId: null, productId, sku: '', tiers: [{ minQuantity: '1', unitPrice: '' }], minOrderQuantity: '1', lowStockThreshold: '0' });

const loadProducts = (signal: AbortSignal) => fetchAll<ProductSearchItem>('/api/v1/catalog/products', signal, {}, 300);

/**
 * The supplier's offers: each with its status, tier prices and stock; a form to create one or
 * change its prices (typed in yuan, sent in fen); activate and pause. A deposit that does not
 * cover the minimum is said in words, with the way to the deposit top-up.
 */
export function OffersPage() {
  const { t, number } = useI18n();
  const label = useLabel();
  const offers = useApiData(loadOwnOffers);
  const products = useApiData(loadProducts);
  const [draft, setDraft] = useState<Draft | null>(null);
  const [draftErrors, setDraftErrors] = useState<Record<string, string[]>>({});
  const [saveError, setSaveError] = useState<unknown>(null);
  const [saving, setSaving] = useState(false);
  const [idempotencyKey, setIdempotencyKey] = useState(newIdempotencyKey);
  const [actionError, setActionError] = useState<{ offerId: string; error: unknown } | null>(null);
  const [acting, setActing] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);

  const activeProducts = (products.data ?? []).filter((p) => p.status === 'active');

  function startNew() {
    setDraft(emptyDraft(activeProducts[0]?.id ?? ''));
    setDraftErrors({});
    setSaveError(null);
    setNotice(null);
  }

  function startEdit(offer: Offer) {
    setDraft({
      offerId: offer.id,
      productId: offer.product.id,
      sku: offer.sku,
      tiers: offer.priceTiers.map((tier) => ({ minQuantity: String(tier.minQuantity), unitPrice: moneyInputValue(tier.unitPrice) })),
      minOrderQuantity: String(offer.minOrderQuantity),
      lowStockThreshold: String(offer.lowStockThreshold),
    });
    setDraftErrors({});
    setSaveError(null);
    setNotice(null);
  }

  const updateTier = (index: number, patch: Partial<TierInput>) => setDraft((d) => (d ? { ...d, tiers: d.tiers.map((tier, i) => (i === index ? { ...tier, ...patch } : tier)) } : d));

  async function onSave(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    if (!draft) return;
    const errors: Record<string, string[]> = {};
    const isInt = (s: string, min: number) => /^\d+$/.test(s.trim()) && Number(s) >= min;
    if (!draft.offerId && !draft.productId) errors['productId'] = [t('so.offers.productRequired')];
    if (!draft.offerId && !draft.sku.trim()) errors['sku'] = [t('so.offers.skuRequired')];
    const tiers = draft.tiers.map((tier, i) => {
      const price = parseMoney(tier.unitPrice);
      if (!isInt(tier.minQuantity, 1)) errors[`priceTiers.${i}.minQuantity`] = [t('so.offers.quantityInvalid')];
      if (price === null || price <= 0) errors[`priceTiers.${i}.unitPrice`] = [t('so.offers.priceInvalid')];
      return { minQuantity: Number(tier.minQuantity), unitPrice: price ?? 0 };
    });
    if (!isInt(draft.minOrderQuantity, 1)) errors['minOrderQuantity'] = [t('so.offers.quantityInvalid')];
    if (!isInt(draft.lowStockThreshold, 0)) errors['lowStockThreshold'] = [t('so.offers.thresholdInvalid')];
    setDraftErrors(errors);
    if (Object.keys(errors).length > 0) return;
    const terms = { priceTiers: tiers, minOrderQuantity: Number(draft.minOrderQuantity), lowStockThreshold: Number(draft.lowStockThreshold) };
    setSaving(true);
    setSaveError(null);
    try {
      if (draft.offerId) {
        await api.patch<Offer>(`/api/v1/catalog/offers/${draft.offerId}`, terms);
        setNotice(t('so.offers.saved'));
      } else {
        await api.post<Offer>('/api/v1/catalog/offers', { productId: draft.productId, sku: draft.sku.trim(), ...terms }, { idempotencyKey });
        setIdempotencyKey(newIdempotencyKey());
        setNotice(t('so.offers.created'));
      }
      setDraft(null);
      offers.reload();
    } catch (error) {
      setSaveError(error);
    } finally {
      setSaving(false);
    }
  }

  async function act(offer: Offer, action: 'activate' | 'pause') {
    setActing(offer.id);
    setActionError(null);
    setNotice(null);
    try {
      await api.post<Offer>(`/api/v1/catalog/offers/${offer.id}/${action}`);
      offers.reload();
    } catch (error) {
      setActionError({ offerId: offer.id, error });
    } finally {
      setActing(null);
    }
  }

  const apiFieldErrors = (field: string) => {
    const local = draftErrors[field];
    if (local) return local;
    const messages = saveError instanceof ApiError ? saveError.fieldMessages(field) : [];
    return messages.length > 0 ? messages : undefined;
  };
  const actionApiError = actionError?.error instanceof ApiError ? actionError.error : null;

  return (
    <>
      <PageHeader title={t('nav.supplier.offers')}>
        <button type="button" className="button button--primary" onClick={startNew} disabled={!products.data}>
          {t('so.offers.new')}
        </button>
      </PageHeader>
      {notice ? <Notice>{notice}</Notice> : null}

      {draft ? (
        <section className="card" aria-labelledby="offer-form-title">
          <h2 id="offer-form-title" className="card__title">
            {draft.offerId ? t('so.offers.editTitle', { sku: draft.sku }) : t('so.offers.newTitle')}
          </h2>
          <form onSubmit={onSave} noValidate>
            {draft.offerId ? null : (
              <>
                {products.error ? <ErrorAlert error={products.error} onRetry={products.reload} /> : null}
                <SelectField label={t('so.offers.product')} name="productId" value={draft.productId} onChange={(e) => setDraft({ ...draft, productId: e.target.value })} errors={apiFieldErrors('productId')}>
                  {activeProducts.length === 0 ? <option value="">{t('so.offers.noProducts')}</option> : null}
                  {activeProducts.map((p) => (
                    <option key={p.id} value={p.id}>
                      {p.name} ({formatMoney(p.faceValue, p.currency)})
                    </option>
                  ))}
                </SelectField>
                <TextField label={t('so.offers.sku')} hint={t('so.offers.skuHint')} name="sku" autoComplete="off" value={draft.sku} onChange={(e) => setDraft({ ...draft, sku: e.target.value })} errors={apiFieldErrors('sku')} />
              </>
            )}
            <fieldset className="fieldset">
              <legend>{t('so.offers.tiers')}</legend>
              <p className="section-note">{t('so.offers.tiersHint')}</p>
              {draft.tiers.map((tier, i) => (
                <div className="tier-row" key={i}>
                  <TextField label={t('so.offers.tierFrom', { n: i + 1 })} name={`tier-${i}-min`} inputMode="numeric" value={tier.minQuantity} onChange={(e) => updateTier(i, { minQuantity: e.target.value })} errors={apiFieldErrors(`priceTiers.${i}.minQuantity`)} />
                  <TextField label={t('so.offers.tierPrice', { n: i + 1 })} name={`tier-${i}-price`} inputMode="decimal" value={tier.unitPrice} onChange={(e) => updateTier(i, { unitPrice: e.target.value })} errors={apiFieldErrors(`priceTiers.${i}.unitPrice`)} />
                  <button type="button" className="button button--ghost" disabled={draft.tiers.length === 1} onClick={() => setDraft({ ...draft, tiers: draft.tiers.filter((_, j) => j !== i) })} aria-label={t('so.offers.removeTier', { n: i + 1 })}>
                    {t('so.offers.remove')}
                  </button>
                </div>
              ))}
              <button type="button" className="button button--secondary" onClick={() => setDraft({ ...draft, tiers: [...draft.tiers, { minQuantity: '', unitPrice: '' }] })}>
                {t('so.offers.addTier')}
              </button>
              {apiFieldErrors('priceTiers') ? <p className="field__error">{apiFieldErrors('priceTiers')!.join(' ')}</p> : null}
            </fieldset>
            <div className="grid-2">
              <TextField label={t('so.offers.minOrder')} name="minOrderQuantity" inputMode="numeric" value={draft.minOrderQuantity} onChange={(e) => setDraft({ ...draft, minOrderQuantity: e.target.value })} errors={apiFieldErrors('minOrderQuantity')} />
              <TextField label={t('so.offers.lowStock')} hint={t('so.offers.lowStockHint')} name="lowStockThreshold" inputMode="numeric" value={draft.lowStockThreshold} onChange={(e) => setDraft({ ...draft, lowStockThreshold: e.target.value })} errors={apiFieldErrors('lowStockThreshold')} />
            </div>
            <ErrorAlert error={saveError} />
            {saveError instanceof ApiError && saveError.code === 'brand_not_authorised' ? (
              <p>
                <Link to="/supplier/authorisations">{t('so.offers.applyForBrand')}</Link>
              </p>
            ) : null}
            <div className="actions">
              <button type="submit" className="button button--primary" disabled={saving}>
                {saving ? t('so.offers.saving') : t('so.offers.save')}
              </button>
              <button type="button" className="button button--secondary" onClick={() => setDraft(null)}>
                {t('common.cancel')}
              </button>
            </div>
          </form>
        </section>
      ) : null}

      <section className="card" aria-labelledby="offers-title" aria-busy={offers.loading}>
        <h2 id="offers-title" className="card__title">
          {t('so.offers.listTitle')}
        </h2>
        {actionError ? (
          <div>
            <ErrorAlert error={actionError.error} />
            {actionApiError?.code === 'deposit_insufficient' ? (
              <p data-testid="deposit-hint">
                {t('so.offers.depositHint')} <Link to="/supplier/sales">{t('so.offers.depositLink')}</Link>
              </p>
            ) : null}
            {actionApiError?.code === 'brand_not_authorised' ? (
              <p>
                <Link to="/supplier/authorisations">{t('so.offers.applyForBrand')}</Link>
              </p>
            ) : null}
          </div>
        ) : null}
        <ListStates of={offers} count={offers.data?.length ?? 0} empty={<EmptyState title={t('so.offers.none')} hint={t('so.offers.noneHint')} />}>
          <div className="table-scroll">
            <table className="table table--cards" data-testid="offers">
              <thead>
                <tr>
                  <th scope="col">{t('so.offers.col.product')}</th>
                  <th scope="col">{t('so.offers.col.sku')}</th>
                  <th scope="col">{t('so.col.status')}</th>
                  <th scope="col">{t('so.offers.col.tiers')}</th>
                  <th scope="col" className="num">{t('so.offers.col.available')}</th>
                  <th scope="col">{t('so.col.actions')}</th>
                </tr>
              </thead>
              <tbody>
                {offers.data?.map((offer) => (
                  <tr key={offer.id} data-offer-id={offer.id}>
                    <td data-label={t('so.offers.col.product')}>{offer.product.name}</td>
                    <td className="mono" data-label={t('so.offers.col.sku')}>{offer.sku}</td>
                    <td data-label={t('so.col.status')}>
                      <StatusBadge value={offer.status} testId="offer-status" />
                      {offer.pausedReason && offer.status === 'paused' ? <div className="muted">{label('pausedReason', offer.pausedReason)}</div> : null}
                    </td>
                    <td data-label={t('so.offers.col.tiers')}>
                      <ul className="tiers">
                        {offer.priceTiers.map((tier) => (
                          <li key={tier.minQuantity}>{t('so.offers.tierLine', { from: number(tier.minQuantity), price: formatMoney(tier.unitPrice, offer.currency) })}</li>
                        ))}
                      </ul>
                    </td>
                    <td className="num" data-label={t('so.offers.col.available')}>
                      {number(offer.stock.available)}
                      {offer.stock.low ? <div className="muted">{t('so.offers.low')}</div> : null}
                    </td>
                    <td data-label={t('so.col.actions')}>
                      <div className="actions">
                        {offer.status === 'draft' || offer.status === 'paused' ? (
                          <button type="button" className="button button--primary" disabled={acting === offer.id} onClick={() => act(offer, 'activate')} aria-label={t('so.offers.activateOf', { sku: offer.sku })}>
                            {t('so.offers.activate')}
                          </button>
                        ) : null}
                        {offer.status === 'active' ? (
                          <button type="button" className="button button--secondary" disabled={acting === offer.id} onClick={() => act(offer, 'pause')} aria-label={t('so.offers.pauseOf', { sku: offer.sku })}>
                            {t('so.offers.pause')}
                          </button>
                        ) : null}
                        {offer.status !== 'delisted' ? (
                          <button type="button" className="button button--ghost" onClick={() => startEdit(offer)} aria-label={t('so.offers.editOf', { sku: offer.sku })}>
                            {t('so.offers.edit')}
                          </button>
                        ) : null}
                      </div>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </ListStates>
      </section>
    </>
  );
}
