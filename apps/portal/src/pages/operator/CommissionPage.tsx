import { useCallback, useState, type FormEvent } from 'react';
import { api, ApiError } from '../../api';
import type { Organisation, Page } from '../../api/types';
import { fetchAll, useLabel } from '../../components/supplier/common';
import type { CommissionRate, CommissionRateChange, CommissionRates } from '../../components/supplier/types';
import { EmptyState, ErrorAlert, Loading, Notice, PageHeader, SelectField, TextField } from '../../components/ui';
import { useI18n } from '../../i18n/i18n';
import { useApiData } from '../../lib/useApiData';
import { useOrganisationNames } from '../../lib/organisationNames';
import { ListStates } from '../../components/list';

const loadRates = (signal: AbortSignal) => api.get<CommissionRates>('/api/v1/settlement/commission-rates', { signal });
const loadSuppliers = (signal: AbortSignal) => fetchAll<Organisation>('/api/v1/identity/organisations', signal, { type: 'supplier' });
const loadChanges = (signal: AbortSignal) => api.get<Page<CommissionRateChange>>('/api/v1/settlement/commission-rates/changes', { query: { limit: 20 }, signal });

/** Basis points as a percentage: 500 → 5%, 125 → 1.25%. */
const percent = (bps: number) => `${(bps / 100).toFixed(2).replace(/\.?0+$/, '')}%`;

/** Parses a percentage typed by the operator (`5`, `1.25`, `5%`) to basis points, null when not 0–100 with ≤ 2 decimals. */
function parsePercent(text: string): number | null {
  const match = /^(\d{1,3})(?:\.(\d{1,2}))?\s*%?$/.exec(text.trim());
  if (!match) return null;
  const bps = Number(match[1]) * 100 + Number((match[2] ?? '').padEnd(2, '0'));
  return bps <= 10_000 ? bps : null;
}

/**
 * Commission: the platform default (COMMISSION_RATE_BPS, set in the configuration), the supplier
 * and category rates that override it (set or remove), and the audit of changes.
 */
export function CommissionPage() {
  const { t, dateTime } = useI18n();
  const label = useLabel();
  const rates = useApiData(loadRates);
  const changes = useApiData(loadChanges);
  const suppliers = useApiData(loadSuppliers);
  const supplierNames = useOrganisationNames([
    ...(rates.data?.suppliers.map((r) => r.subject) ?? []),
    ...(changes.data?.items.filter((c) => c.scope === 'supplier').map((c) => c.subject) ?? []),
  ]);
  /** A supplier rate's subject by its name (the id stays in the title); a category code as it is. */
  const subjectName = (scope: 'supplier' | 'category', subj: string) =>
    scope === 'supplier' ? (supplierNames.get(subj) ?? suppliers.data?.find((s) => s.id === subj)?.name ?? subj) : subj;
  const [scope, setScope] = useState<'supplier' | 'category'>('category');
  const [subject, setSubject] = useState('');
  const [rate, setRate] = useState('');
  const [errors, setErrors] = useState<{ subject?: string[]; rate?: string[] }>({});
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const [notice, setNotice] = useState<string | null>(null);

  const path = (s: 'supplier' | 'category', subj: string) => `/api/v1/settlement/commission-rates/${s === 'supplier' ? 'suppliers' : 'categories'}/${encodeURIComponent(subj)}`;

  const onSet = useCallback(
    async (event: FormEvent<HTMLFormElement>) => {
      event.preventDefault();
      const bps = parsePercent(rate);
      const local: { subject?: string[]; rate?: string[] } = {};
      if (!subject.trim()) local.subject = [t('so.commission.subjectRequired')];
      if (bps === null) local.rate = [t('so.commission.rateInvalid')];
      setErrors(local);
      if (local.subject || local.rate || bps === null) return;
      setBusy(true);
      setError(null);
      setNotice(null);
      try {
        await api.put(path(scope, subject.trim()), { rateBps: bps });
        setNotice(t('so.commission.saved', { subject: subjectName(scope, subject.trim()), rate: percent(bps) }));
        setSubject('');
        setRate('');
        rates.reload();
        changes.reload();
      } catch (failure) {
        setError(failure);
      } finally {
        setBusy(false);
      }
    },
    // eslint-disable-next-line react-hooks/exhaustive-deps -- subjectName only formats the notice
    [rate, subject, scope, t, rates, changes],
  );

  async function remove(r: CommissionRate) {
    setError(null);
    setNotice(null);
    try {
      await api.delete(path(r.scope, r.subject));
      setNotice(t('so.commission.removed', { subject: subjectName(r.scope, r.subject) }));
      rates.reload();
      changes.reload();
    } catch (failure) {
      setError(failure);
    }
  }

  const apiError = error instanceof ApiError ? error : null;
  const table = (list: CommissionRate[], titleKey: 'so.commission.suppliers' | 'so.commission.categories') => (
    <div>
      <h3>{t(titleKey)}</h3>
      {list.length === 0 ? (
        <EmptyState title={t('so.commission.noRates')} />
      ) : (
        <div className="table-scroll">
          <table className="table">
            <thead>
              <tr>
                <th scope="col">{t('so.commission.col.subject')}</th>
                <th scope="col" className="num">{t('so.commission.col.rate')}</th>
                <th scope="col">{t('so.commission.col.updated')}</th>
                <th scope="col">{t('so.col.actions')}</th>
              </tr>
            </thead>
            <tbody>
              {list.map((r) => (
                <tr key={`${r.scope}-${r.subject}`}>
                  <td title={r.subject}>{subjectName(r.scope, r.subject)}</td>
                  <td className="num">{percent(r.rateBps)}</td>
                  <td>{dateTime(r.updatedAt)}</td>
                  <td>
                    <button type="button" className="button button--ghost" onClick={() => remove(r)} aria-label={t('so.commission.removeOf', { subject: subjectName(r.scope, r.subject) })}>
                      {t('so.commission.remove')}
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </div>
  );

  return (
    <>
      <PageHeader title={t('nav.operator.commission')} />
      {notice ? <Notice>{notice}</Notice> : null}
      <section className="card" aria-labelledby="rates-title" aria-busy={rates.loading}>
        <h2 id="rates-title" className="card__title">
          {t('so.commission.ratesTitle')}
        </h2>
        {rates.error ? <ErrorAlert error={rates.error} onRetry={rates.reload} /> : null}
        {!rates.data && rates.loading ? <Loading /> : null}
        {rates.data ? (
          <>
            <p data-testid="default-rate">{t('so.commission.default', { rate: percent(rates.data.defaultRateBps) })}</p>
            {table(rates.data.categories, 'so.commission.categories')}
            {table(rates.data.suppliers, 'so.commission.suppliers')}
          </>
        ) : null}
      </section>

      <section className="card" aria-labelledby="set-rate-title">
        <h2 id="set-rate-title" className="card__title">
          {t('so.commission.setTitle')}
        </h2>
        <form className="inline-form" onSubmit={onSet} noValidate>
          <SelectField label={t('so.commission.scope')} name="scope" value={scope} onChange={(e) => {
              setScope(e.target.value as 'supplier' | 'category');
              setSubject('');
            }}>
            <option value="category">{t('so.commission.scopeCategory')}</option>
            <option value="supplier">{t('so.commission.scopeSupplier')}</option>
          </SelectField>
          {scope === 'category' ? (
            <TextField label={t('so.commission.categoryCode')} name="subject" autoComplete="off" value={subject} onChange={(e) => setSubject(e.target.value)} errors={errors.subject} />
          ) : (
            <SelectField label={t('so.commission.supplier')} name="subject" value={subject} onChange={(e) => setSubject(e.target.value)} errors={errors.subject}>
              <option value="">{suppliers.loading ? t('so.commission.suppliersLoading') : t('so.commission.pickSupplier')}</option>
              {suppliers.data?.map((s) => (
                <option key={s.id} value={s.id}>
                  {s.name}
                </option>
              ))}
            </SelectField>
          )}
          <TextField label={t('so.commission.rate')} hint={t('so.commission.rateHint')} name="rate" inputMode="decimal" value={rate} onChange={(e) => setRate(e.target.value)} errors={errors.rate ?? (apiError?.fieldMessages('rateBps').length ? apiError.fieldMessages('rateBps') : undefined)} />
          <button type="submit" className="button button--primary" disabled={busy}>
            {t('so.commission.set')}
          </button>
        </form>
        <ErrorAlert error={error} />
      </section>

      <section className="card" aria-labelledby="changes-title" aria-busy={changes.loading}>
        <h2 id="changes-title" className="card__title">
          {t('so.commission.changesTitle')}
        </h2>
        <ListStates of={changes} count={changes.data?.items.length ?? 0} empty={<EmptyState title={t('so.commission.noChanges')} />}>
          <div className="table-scroll">
            <table className="table">
              <thead>
                <tr>
                  <th scope="col">{t('so.commission.col.when')}</th>
                  <th scope="col">{t('so.commission.scope')}</th>
                  <th scope="col">{t('so.commission.col.subject')}</th>
                  <th scope="col">{t('so.commission.col.change')}</th>
                </tr>
              </thead>
              <tbody>
                {changes.data?.items.map((c) => (
                  <tr key={c.id}>
                    <td>{dateTime(c.changedAt)}</td>
                    <td>{label('scope', c.scope)}</td>
                    <td title={c.subject}>{subjectName(c.scope, c.subject)}</td>
                    <td>
                      {c.oldRateBps === null ? '—' : percent(c.oldRateBps)} → {c.newRateBps === null ? t('so.commission.none') : percent(c.newRateBps)}
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
