import { useCallback, useEffect, useState, type FormEvent } from 'react';
import { api, ApiError } from '../../api';
import type { Topup, Wallet } from '../../api/types';
import { EmptyState, ErrorAlert, Loading, Notice, PageHeader, SelectField, TextField } from '../../components/ui';
import { formatMoney } from '../../i18n/format';
import { useI18n } from '../../i18n/i18n';
import { wordsOr } from '../../i18n/messages';
import { isAbort, sleep } from '../../lib/async';
import { saveBlob } from '../../lib/csv';
import { lastDays, parseStatement } from '../../lib/statement';
import { useTopUpForm } from '../../lib/topup';
import { useApiData } from '../../lib/useApiData';
import { useLatestTask } from '../../lib/useLatestTask';
import { ListStates } from '../../components/list';

const CURRENCY = 'CNY';
const CHANNELS = ['standard', 'restricted'] as const;
const LEDGER_DAYS = 30;
const LEDGER_ROWS = 50;

/**
 * Merchant wallet: the balance, a top-up through the sandbox payment provider (create the intent,
 * "pay" it, wait for the provider's notification to credit the wallet), and the last 30 days of
 * ledger entries with the statement CSV to download. A payer who left before paying finds the
 * newest intent still pending (and not expired) waiting here again.
 */
export function WalletPage() {
  const { t, dateTime } = useI18n();

  const loadWallet = useCallback((signal: AbortSignal) => api.get<Wallet>('/api/v1/settlement/wallet', { signal }), []);
  const wallet = useApiData(loadWallet);
  const loadLedger = useCallback(
    (signal: AbortSignal) =>
      api.get<string>('/api/v1/settlement/statements', { query: lastDays(LEDGER_DAYS), signal, responseType: 'text' }).then((csv) => parseStatement(csv).filter((e) => e.accountKind === 'merchant_wallet')),
    [],
  );
  const ledger = useApiData(loadLedger);
  const balance = wallet.data?.balances.find((b) => b.currency === CURRENCY)?.balance ?? 0;

  // Top-up form: create the intent, then "pay" it in the sandbox and follow it until credited.
  const { amount, setAmount, amountError, checkedAmount, createTopup } = useTopUpForm();
  const [channel, setChannel] = useState<(typeof CHANNELS)[number]>('standard');
  const [creating, setCreating] = useState(false);
  const [createError, setCreateError] = useState<unknown>(null);
  const [topup, setTopup] = useState<Topup | null>(null);
  const [paying, setPaying] = useState(false);
  const [payError, setPayError] = useState<unknown>(null);
  const [outcome, setOutcome] = useState<{ status: Topup['status'] | 'timeout'; amount: number } | null>(null);
  const [downloadError, setDownloadError] = useState<unknown>(null);
  const startPolling = useLatestTask();

  useEffect(() => {
    const controller = new AbortController();
    api
      .get<{ items: Topup[] }>('/api/v1/settlement/topups', { query: { status: 'pending', purpose: 'wallet', limit: '1' }, signal: controller.signal })
      .then(({ items }) => {
        const waiting = items.find((t) => Date.parse(t.expiresAt) > Date.now());
        if (waiting) setTopup((current) => current ?? waiting);
      })
      .catch(() => undefined); // only a convenience: the form works without it
    return () => controller.abort();
  }, []);

  async function onCreate(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const fen = checkedAmount();
    if (fen === null) return;
    setCreating(true);
    setCreateError(null);
    setOutcome(null);
    try {
      const created = await createTopup(fen, channel);
      setTopup(created);
      setPayError(null);
      setAmount('');
    } catch (error) {
      setCreateError(error);
    } finally {
      setCreating(false);
    }
  }

  async function onPay() {
    if (!topup) return;
    const controller = startPolling();
    setPaying(true);
    setPayError(null);
    try {
      await api.post(`/api/v1/settlement/topups/${topup.id}/sandbox-pay`);
      // The provider's signed notification credits the wallet asynchronously: follow the top-up.
      let current = topup;
      for (let attempt = 0; attempt < 30 && current.status === 'pending'; attempt += 1) {
        await sleep(attempt < 5 ? 300 : 1000, controller.signal);
        current = await api.get<Topup>(`/api/v1/settlement/topups/${topup.id}`, { signal: controller.signal });
      }
      setOutcome({ status: current.status === 'pending' ? 'timeout' : current.status, amount: current.amount });
      if (current.status !== 'pending') setTopup(null);
      wallet.reload();
      ledger.reload();
    } catch (error) {
      if (isAbort(error)) return;
      setPayError(error);
      if (error instanceof ApiError && (error.code === 'topup_expired' || error.code === 'topup_not_pending')) setTopup(null);
    } finally {
      if (!controller.signal.aborted) setPaying(false);
    }
  }

  async function onDownload() {
    const period = lastDays(LEDGER_DAYS);
    setDownloadError(null);
    try {
      const blob = await api.get<Blob>('/api/v1/settlement/statements', { query: period, responseType: 'blob' });
      saveBlob(blob, `kami-statement-${period.to.slice(0, 10)}.csv`);
    } catch (error) {
      setDownloadError(error);
    }
  }

  const createApiError = createError instanceof ApiError ? createError : null;
  const kindLabel = (kind: string) => wordsOr(t, 'ledger.kind', kind);

  return (
    <>
      <PageHeader title={t('nav.merchant.wallet')} />

      <section className="card balance-card" aria-labelledby="wallet-balance-label" aria-busy={wallet.loading}>
        <h2 id="wallet-balance-label" className="card__title">
          {t('wallet.balance')}
        </h2>
        {wallet.error ? (
          <ErrorAlert error={wallet.error} onRetry={wallet.reload} />
        ) : wallet.data ? (
          <p className="balance-card__amount money" data-testid="wallet-balance">
            {formatMoney(balance, CURRENCY)}
          </p>
        ) : (
          <Loading />
        )}
      </section>

      <div className="grid-2">
        <section className="card" aria-labelledby="topup-title">
          <h2 id="topup-title" className="card__title">
            {t('wallet.topup.title')}
          </h2>
          <form onSubmit={onCreate} noValidate>
            <TextField
              label={t('wallet.topup.amount')}
              hint={t('wallet.topup.amountHint')}
              name="amount"
              inputMode="decimal"
              autoComplete="off"
              required
              value={amount}
              onChange={(event) => setAmount(event.target.value)}
              errors={amountError ?? (createApiError?.fieldMessages('amount').length ? createApiError.fieldMessages('amount') : undefined)}
            />
            <SelectField label={t('wallet.topup.channel')} name="channel" value={channel} onChange={(event) => setChannel(event.target.value as (typeof CHANNELS)[number])} errors={createApiError?.fieldMessages('channel').length ? createApiError.fieldMessages('channel') : undefined}>
              {CHANNELS.map((c) => (
                <option key={c} value={c}>
                  {t(`wallet.channel.${c}` as const)}
                </option>
              ))}
            </SelectField>
            <ErrorAlert error={createError} />
            <button type="submit" className="button button--primary" disabled={creating}>
              {creating ? t('wallet.topup.creating') : t('wallet.topup.submit')}
            </button>
          </form>
        </section>

        <section className="card" aria-labelledby="pending-title" aria-live="polite">
          <h2 id="pending-title" className="card__title">
            {t('wallet.topup.pendingTitle')}
          </h2>
          {outcome?.status === 'succeeded' ? <Notice>{t('wallet.topup.succeeded', { amount: formatMoney(outcome.amount, CURRENCY) })}</Notice> : null}
          {outcome?.status === 'failed' ? <Notice tone="info">{t('wallet.topup.failed')}</Notice> : null}
          {outcome?.status === 'expired' ? <Notice tone="info">{t('wallet.topup.expired')}</Notice> : null}
          {outcome?.status === 'timeout' ? <Notice tone="info">{t('wallet.topup.stillPending')}</Notice> : null}
          <ErrorAlert error={payError} />
          {topup ? (
            <div className="topup" data-testid="pending-topup">
              <p className="topup__amount money">{formatMoney(topup.amount, topup.currency)}</p>
              <p>
                <span className="badge">{t(`wallet.topup.status.${topup.status}` as const)}</span> {t(topup.channel === 'restricted' ? 'wallet.channel.restricted' : 'wallet.channel.standard')}
              </p>
              <p className="muted">{t('wallet.topup.expiresAt', { time: dateTime(topup.expiresAt) })}</p>
              <button type="button" className="button button--primary" onClick={onPay} disabled={paying}>
                {paying ? t('wallet.topup.paying') : t('wallet.topup.pay')}
              </button>
            </div>
          ) : !outcome && !payError ? (
            <EmptyState title={t('wallet.topup.none')} />
          ) : null}
        </section>
      </div>

      <section className="card" aria-labelledby="ledger-title" aria-busy={ledger.loading}>
        <div className="card__header">
          <h2 id="ledger-title" className="card__title">
            {t('wallet.ledger.title')}
          </h2>
          <button type="button" className="button button--secondary" onClick={onDownload}>
            {t('wallet.ledger.download')}
          </button>
        </div>
        <ErrorAlert error={downloadError} />
        <ListStates of={ledger} count={ledger.data?.length ?? 0} empty={<EmptyState title={t('wallet.ledger.empty')} />}>
          <div className="table-scroll">
            <table className="table" data-testid="ledger">
              <thead>
                <tr>
                  <th scope="col">{t('wallet.ledger.col.time')}</th>
                  <th scope="col">{t('wallet.ledger.col.kind')}</th>
                  <th scope="col">{t('wallet.ledger.col.reference')}</th>
                  <th scope="col" className="num">
                    {t('wallet.ledger.col.amount')}
                  </th>
                  <th scope="col" className="num">
                    {t('wallet.ledger.col.balanceAfter')}
                  </th>
                </tr>
              </thead>
              <tbody>
                {ledger.data?.slice(0, LEDGER_ROWS).map((entry) => (
                  <tr key={entry.entryId}>
                    <td>{dateTime(entry.postedAt)}</td>
                    <td>{kindLabel(entry.transactionKind)}</td>
                    <td className="mono truncate" title={entry.reference}>
                      {entry.reference.slice(0, 8)}
                    </td>
                    <td className={`num money ${entry.amount < 0 ? 'money--out' : 'money--in'}`}>
                      {entry.amount > 0 ? '+' : ''}
                      {formatMoney(entry.amount, entry.currency)}
                    </td>
                    <td className="num money">{formatMoney(entry.balanceAfter, entry.currency)}</td>
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
