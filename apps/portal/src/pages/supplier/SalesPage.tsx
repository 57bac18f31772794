import { useCallback, useMemo, useState, type FormEvent } from 'react';
import { api, ApiError } from '../../api';
import { Stat, StatusBadge, useLabel } from '../../components/supplier/common';
import { LineChart } from '../../components/supplier/LineChart';
import type { Deposit, LedgerAccount } from '../../components/supplier/types';
import { isAbort, sleep } from '../../lib/async';
import { EmptyState, ErrorAlert, Loading, Notice, PageHeader, TextField } from '../../components/ui';
import { formatMoney } from '../../i18n/format';
import { useI18n } from '../../i18n/i18n';
import { saveBlob } from '../../lib/csv';
import { lastDays, parseStatement } from '../../lib/statement';
import { useTopUpForm } from '../../lib/topup';
import { useApiData } from '../../lib/useApiData';
import { useLatestTask } from '../../lib/useLatestTask';
import { ListStates } from '../../components/list';

const CURRENCY = 'CNY';
const CHART_DAYS = 30;
const DAY_MS = 86_400_000;

const loadDeposit = (signal: AbortSignal) => api.get<Deposit>('/api/v1/settlement/deposit', { signal });
const loadAccounts = (signal: AbortSignal) => api.get<{ accounts: LedgerAccount[] }>('/api/v1/settlement/accounts', { signal }).then((a) => a.accounts);
const loadStatement = (signal: AbortSignal) => api.get<string>('/api/v1/settlement/statements', { query: lastDays(CHART_DAYS), signal, responseType: 'text' }).then(parseStatement);

const isoDay = (d: Date) => d.toISOString().slice(0, 10);

/**
 * Sales and settlements: the deposit (保证金) against the platform's minimum, with a top-up
 * through the sandbox provider; the ledger accounts (what the platform owes the supplier); a chart
 * of sales released to the payable per day over the last 30 days (from the statement's entries);
 * and the statement CSV of any period.
 */
export function SalesPage() {
  const { t, date, number } = useI18n();
  const label = useLabel();
  const deposit = useApiData(loadDeposit);
  const accounts = useApiData(loadAccounts);
  const statement = useApiData(loadStatement);

  // Deposit top-up: the same sandbox flow as a merchant's wallet (settlement sends a supplier's to its deposit).
  const { amount, setAmount, amountError, checkedAmount, createTopup } = useTopUpForm();
  const [topupBusy, setTopupBusy] = useState(false);
  const [topupError, setTopupError] = useState<unknown>(null);
  const [topupNotice, setTopupNotice] = useState<string | null>(null);
  const startPolling = useLatestTask();

  async function onTopup(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const fen = checkedAmount();
    if (fen === null) return;
    setTopupBusy(true);
    setTopupError(null);
    setTopupNotice(null);
    const controller = startPolling();
    try {
      const before = deposit.data?.balance ?? 0;
      const topup = await createTopup(fen, 'standard');
      await api.post(`/api/v1/settlement/topups/${topup.id}/sandbox-pay`);
      let credited = false;
      for (let attempt = 0; attempt < 30 && !credited; attempt += 1) {
        await sleep(attempt < 5 ? 300 : 1000, controller.signal);
        const now = await api.get<Deposit>('/api/v1/settlement/deposit', { signal: controller.signal });
        credited = now.balance >= before + fen;
      }
      setTopupNotice(credited ? t('so.sales.topupDone', { amount: formatMoney(fen, CURRENCY) }) : t('wallet.topup.stillPending'));
      setAmount('');
      deposit.reload();
      accounts.reload();
      statement.reload();
    } catch (error) {
      if (!isAbort(error)) setTopupError(error);
    } finally {
      if (!controller.signal.aborted) setTopupBusy(false);
    }
  }

  // Statement download for a chosen period [from, to] (whole days, the user's dates).
  const [from, setFrom] = useState(() => isoDay(new Date(Date.now() - 30 * DAY_MS)));
  const [to, setTo] = useState(() => isoDay(new Date()));
  const [periodError, setPeriodError] = useState<string[] | undefined>();
  const [downloadError, setDownloadError] = useState<unknown>(null);
  const onDownload = useCallback(
    async (event: FormEvent<HTMLFormElement>) => {
      event.preventDefault();
      const start = new Date(`${from}T00:00:00`);
      const end = new Date(new Date(`${to}T00:00:00`).getTime() + DAY_MS);
      if (Number.isNaN(start.getTime()) || Number.isNaN(end.getTime()) || end <= start || end.getTime() - start.getTime() > 366 * DAY_MS) {
        setPeriodError([t('so.sales.periodInvalid')]);
        return;
      }
      setPeriodError(undefined);
      setDownloadError(null);
      try {
        const blob = await api.get<Blob>('/api/v1/settlement/statements', { query: { from: start.toISOString(), to: end.toISOString() }, responseType: 'blob' });
        saveBlob(blob, `kami-statement-${from}-${to}.csv`);
      } catch (error) {
        setDownloadError(error);
      }
    },
    [from, to, t],
  );

  // Sales per day: credits to the supplier payable (escrow released to the supplier, net of commission).
  const salesSeries = useMemo(() => {
    if (!statement.data) return [];
    const perDay = new Map<string, number>();
    for (let i = CHART_DAYS - 1; i >= 0; i -= 1) perDay.set(isoDay(new Date(Date.now() - i * DAY_MS)), 0);
    for (const e of statement.data) {
      if (e.accountKind !== 'supplier_payable' || e.amount <= 0) continue;
      const day = e.postedAt.slice(0, 10);
      if (perDay.has(day)) perDay.set(day, perDay.get(day)! + e.amount);
    }
    return [...perDay.entries()].map(([day, fen]) => ({ x: new Date(`${day}T00:00:00Z`).getTime(), y: fen }));
  }, [statement.data]);
  const salesTotal = salesSeries.reduce((sum, p) => sum + p.y, 0);

  const topupApiError = topupError instanceof ApiError ? topupError : null;

  return (
    <>
      <PageHeader title={t('nav.supplier.sales')} />
      <div className="grid-2">
        <section className="card" aria-labelledby="deposit-title" aria-busy={deposit.loading}>
          <h2 id="deposit-title" className="card__title">
            {t('so.sales.depositTitle')}
          </h2>
          {deposit.error ? <ErrorAlert error={deposit.error} onRetry={deposit.reload} /> : null}
          {!deposit.data && deposit.loading ? <Loading /> : null}
          {deposit.data ? (
            <>
              <div className="stats">
                <Stat label={t('so.sales.depositBalance')} value={formatMoney(deposit.data.balance, deposit.data.currency)} testId="deposit-balance" />
                <Stat label={t('so.sales.depositMinimum')} value={formatMoney(deposit.data.minimum, deposit.data.currency)} />
              </div>
              <p>
                <StatusBadge value={deposit.data.covered ? 'covered' : 'not_covered'} testId="deposit-covered" /> {deposit.data.covered ? t('so.sales.coveredText') : t('so.sales.notCoveredText', { shortfall: formatMoney(Math.max(0, deposit.data.minimum - deposit.data.balance), deposit.data.currency) })}
              </p>
            </>
          ) : null}
          <form onSubmit={onTopup} noValidate>
            <TextField label={t('so.sales.topupAmount')} hint={t('wallet.topup.amountHint')} name="depositAmount" inputMode="decimal" autoComplete="off" value={amount} onChange={(e) => setAmount(e.target.value)} errors={amountError ?? (topupApiError?.fieldMessages('amount').length ? topupApiError.fieldMessages('amount') : undefined)} />
            <ErrorAlert error={topupError} />
            {topupNotice ? <Notice>{topupNotice}</Notice> : null}
            <button type="submit" className="button button--primary" disabled={topupBusy}>
              {topupBusy ? t('so.sales.toppingUp') : t('so.sales.topup')}
            </button>
          </form>
        </section>

        <section className="card" aria-labelledby="accounts-title" aria-busy={accounts.loading}>
          <h2 id="accounts-title" className="card__title">
            {t('so.sales.accountsTitle')}
          </h2>
          <ListStates of={accounts} count={accounts.data?.length ?? 0} empty={<EmptyState title={t('so.sales.noAccounts')} />}>
            <table className="table" data-testid="accounts">
              <thead>
                <tr>
                  <th scope="col">{t('so.sales.col.account')}</th>
                  <th scope="col" className="num">{t('so.sales.col.balance')}</th>
                </tr>
              </thead>
              <tbody>
                {accounts.data?.map((a) => (
                  <tr key={`${a.kind}-${a.currency}`}>
                    <td>{label('account', a.kind)}</td>
                    <td className="num money">{formatMoney(a.balance, a.currency)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </ListStates>
        </section>
      </div>

      <section className="card" aria-labelledby="sales-chart-title" aria-busy={statement.loading}>
        <h2 id="sales-chart-title" className="card__title">
          {t('so.sales.chartTitle', { days: CHART_DAYS })}
        </h2>
        <p className="section-note">{t('so.sales.chartNote')}</p>
        {statement.error ? <ErrorAlert error={statement.error} onRetry={statement.reload} /> : null}
        {!statement.data && statement.loading ? <Loading /> : null}
        {statement.data && salesTotal === 0 ? <EmptyState title={t('so.sales.noSales')} hint={t('so.sales.noSalesHint')} /> : null}
        {statement.data && salesTotal > 0 ? (
          <>
            <p>{t('so.sales.total', { amount: formatMoney(salesTotal, CURRENCY), count: number(statement.data.filter((e) => e.accountKind === 'supplier_payable' && e.amount > 0).length) })}</p>
            <LineChart title={t('so.sales.chartTitle', { days: CHART_DAYS })} series={[{ label: t('so.sales.chartSeries'), points: salesSeries }]} formatX={(x) => date(new Date(x))} formatY={(y) => formatMoney(Math.round(y), CURRENCY)} />
          </>
        ) : null}
      </section>

      <section className="card" aria-labelledby="statement-title">
        <h2 id="statement-title" className="card__title">
          {t('so.sales.statementTitle')}
        </h2>
        <form className="inline-form" onSubmit={onDownload} noValidate>
          <TextField label={t('so.sales.from')} type="date" name="from" value={from} onChange={(e) => setFrom(e.target.value)} errors={periodError} />
          <TextField label={t('so.sales.to')} type="date" name="to" value={to} onChange={(e) => setTo(e.target.value)} />
          <button type="submit" className="button button--secondary">
            {t('so.sales.download')}
          </button>
        </form>
        <ErrorAlert error={downloadError} />
      </section>
    </>
  );
}
