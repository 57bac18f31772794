import { useCallback, useState } from 'react';
import { api } from '../../api';
import type { Page } from '../../api/types';
import { EmptyState, ErrorAlert, SelectField } from '../ui';
import { useI18n } from '../../i18n/i18n';
import { useProducts } from '../../lib/productNames';
import { useApiData } from '../../lib/useApiData';
import { Pager, StatusBadge, useCursorPager, useLabel } from './common';
import { DISPUTE_STATUSES, type Dispute, type DisputeStatus } from './types';
import { ListStates } from '../list';

type Decision = 'replace' | 'refund' | 'reject';

/** What each side may decide in each status (README, delivery: disputes). */
const ALLOWED: Record<'supplier' | 'operator', Partial<Record<DisputeStatus, Decision[]>>> = {
  supplier: { open: ['replace', 'refund', 'reject'], replacement_failed: ['refund', 'replace'], refund_refused: ['refund'] },
  operator: { open: ['replace', 'refund', 'reject'], contested: ['replace', 'refund', 'reject'], replacement_failed: ['replace', 'refund', 'reject'], refund_refused: ['replace', 'refund', 'reject'] },
};

/**
 * Disputes as the supplier (about its codes: replace, refund or contest) or an operator (resolve
 * contested and failed ones) sees them, filtered by status, paged, with the decisions the status allows.
 */
export function DisputesList({ role, initialStatus = '' }: { role: 'supplier' | 'operator'; initialStatus?: DisputeStatus | '' }) {
  const { t, dateTime } = useI18n();
  const label = useLabel();
  const [status, setStatus] = useState<DisputeStatus | ''>(initialStatus);
  const pager = useCursorPager();
  const { cursor } = pager;
  const load = useCallback((signal: AbortSignal) => api.get<Page<Dispute>>('/api/v1/disputes', { query: { status: status || undefined, limit: 25, cursor: cursor ?? undefined }, signal }), [status, cursor]);
  const disputes = useApiData(load);
  const products = useProducts(disputes.data?.items.map((d) => d.productId) ?? []);
  const [acting, setActing] = useState<string | null>(null);
  const [actionError, setActionError] = useState<unknown>(null);

  async function decide(dispute: Dispute, decision: Decision) {
    // A refund moves money and a rejection ends the buyer's claim: both are asked once more.
    if (decision !== 'replace' && !window.confirm(t(`so.disputes.confirm.${decision}`, { code: dispute.codeId }))) return;
    setActing(dispute.id);
    setActionError(null);
    try {
      if (role === 'operator') await api.post(`/api/v1/disputes/${dispute.id}/resolve`, { decision });
      else await api.post(`/api/v1/disputes/${dispute.id}/${decision}`);
      disputes.reload();
    } catch (error) {
      setActionError(error);
    } finally {
      setActing(null);
    }
  }

  return (
    <section className="card" aria-labelledby="disputes-title" aria-busy={disputes.loading}>
      <div className="card__header">
        <h2 id="disputes-title" className="card__title">
          {t(role === 'operator' ? 'so.disputes.operatorTitle' : 'so.disputes.supplierTitle')}
        </h2>
        <button type="button" className="button button--secondary" onClick={disputes.reload}>
          {t('common.refresh')}
        </button>
      </div>
      <SelectField
        label={t('so.disputes.filter')}
        name="status"
        value={status}
        onChange={(e) => {
          setStatus(e.target.value as DisputeStatus | '');
          pager.reset();
        }}
      >
        <option value="">{t('so.disputes.all')}</option>
        {DISPUTE_STATUSES.map((s) => (
          <option key={s} value={s}>
            {label('status', s)}
          </option>
        ))}
      </SelectField>
      <ErrorAlert error={actionError} />
      <ListStates of={disputes} count={disputes.data?.items.length ?? 0} empty={<EmptyState title={t('so.disputes.none')} />}>
        <div className="table-scroll">
          <table className="table" data-testid="disputes">
            <thead>
              <tr>
                <th scope="col">{t('so.disputes.col.opened')}</th>
                <th scope="col">{t('so.disputes.col.product')}</th>
                <th scope="col">{t('so.disputes.col.code')}</th>
                <th scope="col">{t('so.disputes.col.reason')}</th>
                <th scope="col">{t('so.col.status')}</th>
                <th scope="col">{t('so.col.actions')}</th>
              </tr>
            </thead>
            <tbody>
              {disputes.data?.items.map((d) => (
                <tr key={d.id}>
                  <td>{dateTime(d.createdAt)}</td>
                  <td>{products.get(d.productId)?.name ?? d.productId.slice(0, 8)}</td>
                  <td className="mono">{d.codeId}</td>
                  <td>
                    {label('disputeReason', d.reason)}
                    {d.evidence ? <div className="muted">{d.evidence}</div> : null}
                  </td>
                  <td>
                    <StatusBadge value={d.status} testId="dispute-status" />
                    {d.failureCode ? <div className="muted">{label('failure', d.failureCode)}</div> : null}
                  </td>
                  <td>
                    <div className="actions">
                      {(ALLOWED[role][d.status] ?? []).map((decision) => (
                        <button key={decision} type="button" className={`button ${decision === 'reject' ? 'button--ghost' : 'button--secondary'}`} disabled={acting === d.id} onClick={() => decide(d, decision)}>
                          {label('decision', decision)}
                        </button>
                      ))}
                    </div>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </ListStates>
      <Pager page={pager.page} hasPrevious={pager.page > 1} hasNext={!!disputes.data?.nextCursor} onPrevious={pager.previous} onNext={() => disputes.data?.nextCursor && pager.next(disputes.data.nextCursor)} />
    </section>
  );
}
