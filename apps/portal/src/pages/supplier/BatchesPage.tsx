import { useCallback, useEffect, useMemo, useState, type FormEvent } from 'react';
import { api, newIdempotencyKey } from '../../api';
import type { Page } from '../../api/types';
import { fetchAll, loadOwnOffers, offerLabel, Pager, Stat, StatusBadge, useCursorPager, useLabel } from '../../components/supplier/common';
import { REFUSAL_REASONS, type Batch, type Refusal } from '../../components/supplier/types';
import { countCsvLines, putWithProgress } from '../../components/supplier/upload';
import { isAbort, sleep } from '../../lib/async';
import { EmptyState, ErrorAlert, Loading, PageHeader, SelectField, TextField } from '../../components/ui';
import { useI18n } from '../../i18n/i18n';
import { useApiData } from '../../lib/useApiData';
import { useLatestTask } from '../../lib/useLatestTask';
import { ListStates } from '../../components/list';

const REFUSALS_PER_PAGE = 50;
const POLL_MS = 400;

type Phase = 'idle' | 'counting' | 'uploading' | 'ingesting' | 'done' | 'failed';

/**
 * Code uploads: choose an offer and a CSV file; the file is sent with a real progress bar (bytes
 * sent, from XMLHttpRequest's upload progress), the vault's ingest is followed by polling the
 * batch (lines checked so far against the file's line count), then the per-line report: accepted,
 * refused by reason, the refused lines page by page. Below: the past uploads.
 */
export function BatchesPage() {
  const { t, dateTime, number } = useI18n();
  const label = useLabel();
  const offers = useApiData(loadOwnOffers);
  const loadBatches = useCallback((signal: AbortSignal) => fetchAll<Batch>('/api/v1/vault/batches', signal, {}, 100), []);
  const batches = useApiData(loadBatches);
  const offerName = useMemo(() => new Map((offers.data ?? []).map((o) => [o.id, offerLabel(o)])), [offers.data]);
  const uploadable = (offers.data ?? []).filter((o) => o.status !== 'delisted');

  const [offerId, setOfferId] = useState('');
  const [file, setFile] = useState<File | null>(null);
  const [fieldErrors, setFieldErrors] = useState<{ offer?: string[]; file?: string[] }>({});
  const [idempotencyKey, setIdempotencyKey] = useState(newIdempotencyKey);
  const [phase, setPhase] = useState<Phase>('idle');
  const [sent, setSent] = useState({ loaded: 0, total: 0 });
  const [expectedLines, setExpectedLines] = useState(0);
  const [linesChecked, setLinesChecked] = useState(0);
  const [error, setError] = useState<unknown>(null);
  const [reportId, setReportId] = useState<string | null>(null);
  const startRun = useLatestTask();

  useEffect(() => {
    if (!offerId && uploadable.length > 0) setOfferId(uploadable[0]!.id);
  }, [offerId, uploadable]);

  async function onUpload(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const errors: { offer?: string[]; file?: string[] } = {};
    if (!offerId) errors.offer = [t('so.batches.offerRequired')];
    if (!file) errors.file = [t('so.batches.fileRequired')];
    else if (file.size === 0) errors.file = [t('so.batches.fileEmpty')];
    setFieldErrors(errors);
    if (errors.offer || errors.file || !file) return;

    const controller = startRun();
    setError(null);
    setReportId(null);
    setSent({ loaded: 0, total: file.size });
    setLinesChecked(0);
    setPhase('counting');
    try {
      const lines = await countCsvLines(file);
      setExpectedLines(lines);
      const batch = await api.post<Batch>('/api/v1/vault/batches', { offerId, source: 'csv', fileName: file.name }, { idempotencyKey, signal: controller.signal });
      setIdempotencyKey(newIdempotencyKey());
      setPhase('uploading');
      let finished: Batch | null = null;
      const upload = putWithProgress<Batch>(`/api/v1/vault/batches/${batch.id}/content`, file, 'text/csv', (p) => {
        setSent(p);
        if (p.loaded >= p.total) setPhase((current) => (current === 'uploading' ? 'ingesting' : current));
      }, controller.signal).then((answer) => {
        finished = answer;
        return answer;
      });
      // Follow the ingest while the file streams in: the vault checks lines as they arrive.
      const follow = (async () => {
        while (!finished && !controller.signal.aborted) {
          await sleep(POLL_MS, controller.signal);
          if (finished) break;
          const current = await api.get<Batch>(`/api/v1/vault/batches/${batch.id}`, { signal: controller.signal });
          setLinesChecked(current.linesReceived);
          if (current.status !== 'receiving') break;
        }
      })().catch((e: unknown) => {
        if (!isAbort(e)) throw e;
      });
      const result = await upload;
      await follow.catch(() => undefined);
      setSent({ loaded: file.size, total: file.size });
      setLinesChecked(result.linesReceived);
      setExpectedLines((n) => Math.max(n, result.linesReceived));
      if (result.status === 'failed') {
        setPhase('failed');
        setError(result.failure);
      } else {
        setPhase('done');
      }
      setReportId(result.id);
      batches.reload();
    } catch (failure) {
      if (isAbort(failure)) return;
      setPhase('failed');
      setError(failure);
    }
  }

  const busy = phase === 'counting' || phase === 'uploading' || phase === 'ingesting';
  const sentPercent = sent.total > 0 ? Math.min(100, Math.round((sent.loaded / sent.total) * 100)) : 0;
  const checkedMax = Math.max(expectedLines, 1);
  const checkedValue = Math.min(linesChecked, checkedMax);
  const failure = error && typeof error === 'object' && 'code' in error && !(error instanceof Error) ? (error as { code: string }) : null;

  return (
    <>
      <PageHeader title={t('nav.supplier.batches')} />

      <section className="card" aria-labelledby="upload-title">
        <h2 id="upload-title" className="card__title">
          {t('so.batches.uploadTitle')}
        </h2>
        <p className="section-note">{t('so.batches.formatHint')}</p>
        <ListStates of={offers} count={uploadable.length} empty={<EmptyState title={t('so.batches.noOffers')} hint={t('so.batches.noOffersHint')} />}>
          <form onSubmit={onUpload} noValidate>
            <SelectField label={t('so.batches.offer')} name="offerId" value={offerId} onChange={(e) => setOfferId(e.target.value)} errors={fieldErrors.offer} disabled={busy}>
              {uploadable.map((o) => (
                <option key={o.id} value={o.id}>
                  {offerLabel(o)}
                </option>
              ))}
            </SelectField>
            <TextField
              label={t('so.batches.file')}
              hint={t('so.batches.fileHint')}
              name="file"
              type="file"
              accept=".csv,text/csv,text/plain"
              disabled={busy}
              onChange={(e) => setFile(e.target.files?.[0] ?? null)}
              errors={fieldErrors.file}
            />
            <button type="submit" className="button button--primary" disabled={busy}>
              {busy ? t('so.batches.uploading') : t('so.batches.upload')}
            </button>
          </form>
        </ListStates>

        {phase !== 'idle' ? (
          <div aria-live="polite" data-testid="upload-status" data-phase={phase}>
            <div className="progress-field">
              <label htmlFor="upload-progress">{t('so.batches.progressSend')}</label>
              <progress id="upload-progress" data-testid="upload-progress" max={100} value={sentPercent} aria-valuemin={0} aria-valuemax={100} aria-valuenow={sentPercent} />
              <p className="progress-field__text">{t('so.batches.sentText', { percent: sentPercent, size: formatBytes(sent.total) })}</p>
            </div>
            <div className="progress-field">
              <label htmlFor="ingest-progress">{t('so.batches.progressCheck')}</label>
              <progress id="ingest-progress" data-testid="ingest-progress" max={checkedMax} value={checkedValue} aria-valuemin={0} aria-valuemax={checkedMax} aria-valuenow={checkedValue} />
              <p className="progress-field__text">{phase === 'counting' ? t('so.batches.counting') : t('so.batches.checkedText', { checked: number(checkedValue), total: number(expectedLines) })}</p>
            </div>
          </div>
        ) : null}
        {failure ? <div className="alert alert--error" role="alert">{label('batchFailure', failure.code)}</div> : <ErrorAlert error={error} showFields />}
      </section>

      {reportId ? <BatchReport key={reportId} batchId={reportId} offerName={offerName} /> : null}

      <section className="card" aria-labelledby="batches-title" aria-busy={batches.loading}>
        <div className="card__header">
          <h2 id="batches-title" className="card__title">
            {t('so.batches.pastTitle')}
          </h2>
          <button type="button" className="button button--secondary" onClick={batches.reload}>
            {t('common.refresh')}
          </button>
        </div>
        <ListStates of={batches} count={batches.data?.length ?? 0} empty={<EmptyState title={t('so.batches.none')} />}>
          <div className="table-scroll">
            <table className="table" data-testid="batches">
              <thead>
                <tr>
                  <th scope="col">{t('so.batches.col.created')}</th>
                  <th scope="col">{t('so.batches.col.file')}</th>
                  <th scope="col">{t('so.batches.col.offer')}</th>
                  <th scope="col">{t('so.col.status')}</th>
                  <th scope="col" className="num">{t('so.batches.col.lines')}</th>
                  <th scope="col" className="num">{t('so.batches.col.accepted')}</th>
                  <th scope="col" className="num">{t('so.batches.col.refused')}</th>
                  <th scope="col">{t('so.col.actions')}</th>
                </tr>
              </thead>
              <tbody>
                {batches.data?.map((b) => (
                  <tr key={b.id}>
                    <td>{dateTime(b.createdAt)}</td>
                    <td className="truncate">{b.fileName ?? t(b.source === 'json' ? 'so.batches.sourceApi' : 'so.batches.sourceCsv')}</td>
                    <td>{offerName.get(b.offerId) ?? b.offerId.slice(0, 8)}</td>
                    <td>
                      <StatusBadge value={b.status} />
                    </td>
                    <td className="num">{number(b.linesReceived)}</td>
                    <td className="num">{number(b.accepted)}</td>
                    <td className="num">{number(REFUSAL_REASONS.reduce((sum, r) => sum + (b.refused[r] ?? 0), 0))}</td>
                    <td>
                      <button type="button" className="button button--ghost" onClick={() => setReportId(b.id)} aria-label={t('so.batches.viewReportOf', { time: dateTime(b.createdAt) })}>
                        {t('so.batches.viewReport')}
                      </button>
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

function formatBytes(bytes: number): string {
  if (bytes >= 1024 * 1024) return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
  if (bytes >= 1024) return `${(bytes / 1024).toFixed(0)} KB`;
  return `${bytes} B`;
}

/** One batch's per-line report: the counts, refusals by reason, and the refused lines paged. */
function BatchReport({ batchId, offerName }: { batchId: string; offerName: Map<string, string> }) {
  const { t, number, dateTime } = useI18n();
  const label = useLabel();
  const pager = useCursorPager();
  const loadBatch = useCallback((signal: AbortSignal) => api.get<Batch>(`/api/v1/vault/batches/${batchId}`, { signal }), [batchId]);
  const batch = useApiData(loadBatch);
  const { cursor } = pager;
  const loadRefusals = useCallback(
    (signal: AbortSignal) => api.get<Page<Refusal>>(`/api/v1/vault/batches/${batchId}/refusals`, { query: { limit: REFUSALS_PER_PAGE, cursor: cursor ?? undefined }, signal }),
    [batchId, cursor],
  );
  const refusals = useApiData(loadRefusals);
  const b = batch.data;
  const refusedTotal = b ? REFUSAL_REASONS.reduce((sum, r) => sum + (b.refused[r] ?? 0), 0) : 0;

  return (
    <section className="card" aria-labelledby="report-title" aria-busy={batch.loading} data-testid="batch-report">
      <h2 id="report-title" className="card__title">
        {t('so.report.title')}
      </h2>
      {batch.error ? <ErrorAlert error={batch.error} onRetry={batch.reload} /> : null}
      {!b && batch.loading ? <Loading /> : null}
      {b ? (
        <>
          <p className="muted">
            {b.fileName ?? b.id.slice(0, 8)} · {offerName.get(b.offerId) ?? b.offerId.slice(0, 8)} · {dateTime(b.createdAt)} · <StatusBadge value={b.status} />
          </p>
          {b.failure ? <div className="alert alert--error" role="alert">{label('batchFailure', b.failure.code)}</div> : null}
          <div className="stats">
            <Stat label={t('so.report.lines')} value={number(b.linesReceived)} testId="report-lines" />
            <Stat label={t('so.report.accepted')} value={number(b.accepted)} testId="report-accepted" />
            <Stat label={t('so.report.refused')} value={number(refusedTotal)} testId="report-refused" />
            {REFUSAL_REASONS.map((r) => (
              <Stat key={r} label={label('refusal', r)} value={number(b.refused[r] ?? 0)} testId={`report-refused-${r}`} />
            ))}
          </div>
          {b.codes ? (
            <p className="section-note">
              {t('so.report.codesNow', { available: number(b.codes.available), reserved: number(b.codes.reserved), sold: number(b.codes.sold), void: number(b.codes.void) })}
            </p>
          ) : null}
          <h3>{t('so.report.refusalsTitle')}</h3>
          <ListStates of={refusals} count={refusals.data?.items.length ?? 0} empty={pager.page === 1 ? <EmptyState title={t('so.report.noRefusals')} /> : null}>
            <div className="table-scroll">
              <table className="table" data-testid="refusals">
                <thead>
                  <tr>
                    <th scope="col" className="num">{t('so.report.col.line')}</th>
                    <th scope="col">{t('so.report.col.reason')}</th>
                    <th scope="col">{t('so.report.col.detail')}</th>
                  </tr>
                </thead>
                <tbody>
                  {refusals.data?.items.map((r) => (
                    <tr key={r.line}>
                      <td className="num">{r.line}</td>
                      <td>{label('refusal', r.reason)}</td>
                      <td>
                        {r.field ? t('so.report.field', { field: label('field', r.field) }) : null}
                        {r.firstLine ? t('so.report.firstLine', { line: r.firstLine }) : null}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          </ListStates>
          <Pager page={pager.page} hasPrevious={pager.page > 1} hasNext={!!refusals.data?.nextCursor} onPrevious={pager.previous} onNext={() => refusals.data?.nextCursor && pager.next(refusals.data.nextCursor)} />
        </>
      ) : null}
    </section>
  );
}
