import { useCallback, useState, type FormEvent } from 'react';
import { Link } from 'react-router';
import { api, ApiError } from '../../api';
import type { RestockRule } from '../../pages/merchant/types';
import { formatMoney, moneyInputValue, parseMoney } from '../../i18n/format';
import { useI18n } from '../../i18n/i18n';
import { useApiData } from '../../lib/useApiData';
import { ErrorAlert, Loading, Notice, TextField } from '../ui';
import { ShortId, StatusBadge, useCodeInWords } from './common';

const wholeNumber = (text: string, min: number): number | null => (/^\d+$/.test(text.trim()) && Number(text.trim()) >= min ? Number(text.trim()) : null);

/**
 * One product's low-stock threshold and auto-restock rule (with its latest request). The rule is
 * read only when the stock level says there is one (`autoRestock`): asking for a rule that does
 * not exist is a 404, which the browser logs as a console error.
 */
export function StockSettings({ productId, productName, threshold, hasRule, onSaved }: { productId: string; productName: string; threshold: number; hasRule: boolean; onSaved: () => void }) {
  const { t, dateTime, number } = useI18n();
  const inWords = useCodeInWords();
  const [thresholdText, setThresholdText] = useState(String(threshold));
  const [thresholdError, setThresholdError] = useState<string[] | undefined>();
  const [thresholdState, setThresholdState] = useState<{ saving: boolean; error: unknown; saved: boolean }>({ saving: false, error: null, saved: false });

  const [ruleExists, setRuleExists] = useState(hasRule);
  const loadRule = useCallback(
    (signal: AbortSignal) =>
      ruleExists
        ? api.get<RestockRule>(`/api/v1/stock/${productId}/restock-rule`, { signal }).catch((error: unknown) => {
            // Deleted meanwhile (another tab): as if there were none.
            if (error instanceof ApiError && error.code === 'restock_rule_not_found') return null;
            throw error;
          })
        : Promise.resolve(null),
    [productId, ruleExists],
  );
  const rule = useApiData(loadRule);
  const [draft, setDraft] = useState<{ below: string; order: string; price: string } | null>(null);
  const values = draft ?? (rule.data ? { below: String(rule.data.belowQuantity), order: String(rule.data.orderQuantity), price: moneyInputValue(rule.data.maxUnitPrice) } : { below: '', order: '', price: '' });
  const [ruleErrors, setRuleErrors] = useState<{ below?: string[]; order?: string[]; price?: string[] }>({});
  const [ruleState, setRuleState] = useState<{ saving: boolean; error: unknown; notice: string | null }>({ saving: false, error: null, notice: null });

  async function onThreshold(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const value = wholeNumber(thresholdText, 0);
    if (value === null) {
      setThresholdError([t('merchant.stock.thresholdInvalid')]);
      return;
    }
    setThresholdError(undefined);
    setThresholdState({ saving: true, error: null, saved: false });
    try {
      await api.put(`/api/v1/stock/${productId}/settings`, { lowStockThreshold: value });
      setThresholdState({ saving: false, error: null, saved: true });
      onSaved();
    } catch (error) {
      setThresholdState({ saving: false, error, saved: false });
    }
  }

  async function onRule(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const below = wholeNumber(values.below, 1);
    const order = wholeNumber(values.order, 1);
    const price = parseMoney(values.price);
    const errors = {
      below: below === null ? [t('merchant.stock.rule.invalid')] : undefined,
      order: order === null ? [t('merchant.stock.rule.invalid')] : undefined,
      price: price === null ? [t('merchant.stock.rule.priceInvalid')] : undefined,
    };
    setRuleErrors(errors);
    if (below === null || order === null || price === null) return;
    setRuleState({ saving: true, error: null, notice: null });
    try {
      await api.put(`/api/v1/stock/${productId}/restock-rule`, { belowQuantity: below, orderQuantity: order, maxUnitPrice: price });
      setDraft(null);
      setRuleState({ saving: false, error: null, notice: t('merchant.stock.saved') });
      setRuleExists(true);
      rule.reload();
      onSaved();
    } catch (error) {
      setRuleState({ saving: false, error, notice: null });
    }
  }

  async function onDelete() {
    setRuleState({ saving: true, error: null, notice: null });
    try {
      await api.delete(`/api/v1/stock/${productId}/restock-rule`);
      setDraft({ below: '', order: '', price: '' });
      setRuleState({ saving: false, error: null, notice: t('merchant.stock.rule.deleted') });
      setRuleExists(false);
      onSaved();
    } catch (error) {
      setRuleState({ saving: false, error, notice: null });
    }
  }

  const last = rule.data?.lastRequest;
  return (
    <section className="card" aria-labelledby="stock-settings-title">
      <h2 id="stock-settings-title" className="card__title">
        {t('merchant.stock.manageTitle', { product: productName })}
      </h2>
      <form onSubmit={onThreshold} noValidate>
        <TextField label={t('merchant.stock.threshold')} hint={t('merchant.stock.thresholdHint')} name="lowStockThreshold" inputMode="numeric" value={thresholdText} errors={thresholdError} onChange={(e) => setThresholdText(e.target.value)} />
        <ErrorAlert error={thresholdState.error} />
        {thresholdState.saved ? <Notice>{t('merchant.stock.saved')}</Notice> : null}
        <button type="submit" className="button button--secondary" disabled={thresholdState.saving}>
          {t('merchant.stock.saveThreshold')}
        </button>
      </form>

      <h3>{t('merchant.stock.rule.title')}</h3>
      <p className="muted">{t('merchant.stock.rule.intro')}</p>
      {rule.error ? <ErrorAlert error={rule.error} onRetry={rule.reload} /> : null}
      {rule.loading && rule.data === undefined ? <Loading /> : null}
      {rule.data === null && !draft ? <p>{t('merchant.stock.rule.none')}</p> : null}
      <form onSubmit={onRule} noValidate>
        <div className="m-form-row">
          <TextField label={t('merchant.stock.rule.below')} name="belowQuantity" inputMode="numeric" value={values.below} errors={ruleErrors.below} onChange={(e) => setDraft({ ...values, below: e.target.value })} />
          <TextField label={t('merchant.stock.rule.order')} name="orderQuantity" inputMode="numeric" value={values.order} errors={ruleErrors.order} onChange={(e) => setDraft({ ...values, order: e.target.value })} />
          <TextField label={t('merchant.stock.rule.maxPrice')} name="maxUnitPrice" inputMode="decimal" value={values.price} errors={ruleErrors.price} onChange={(e) => setDraft({ ...values, price: e.target.value })} />
        </div>
        <ErrorAlert error={ruleState.error} showFields />
        {ruleState.notice ? <Notice>{ruleState.notice}</Notice> : null}
        <div className="m-actions">
          <button type="submit" className="button button--primary" disabled={ruleState.saving}>
            {t('merchant.stock.rule.save')}
          </button>
          {rule.data ? (
            <button type="button" className="button button--secondary" onClick={onDelete} disabled={ruleState.saving}>
              {t('merchant.stock.rule.delete')}
            </button>
          ) : null}
        </div>
      </form>
      {rule.data ? (
        <div data-testid="restock-last">
          <h3>{t('merchant.stock.rule.last')}</h3>
          {last ? (
            <p>
              <StatusBadge prefix="merchant.restockStatus" status={last.status} /> {number(last.quantity)} × ≤{formatMoney(last.maxUnitPrice)} · {dateTime(last.updatedAt)}
              {last.refusalCode ? <> · {t('merchant.stock.rule.refused', { reason: inWords(last.refusalCode) })}</> : null}
              {last.orderId ? (
                <>
                  {' '}
                  · <Link to={`/merchant/orders/${last.orderId}`}>{t('merchant.stock.rule.order.link')} <ShortId id={last.orderId} /></Link>
                </>
              ) : null}
            </p>
          ) : (
            <p className="muted">{t('merchant.stock.rule.noRequest')}</p>
          )}
          {rule.data.retryAfter ? <p className="muted">{t('merchant.stock.rule.retryAfter', { time: dateTime(rule.data.retryAfter) })}</p> : null}
        </div>
      ) : null}
    </section>
  );
}
