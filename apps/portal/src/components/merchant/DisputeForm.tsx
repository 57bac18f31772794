import { useState, type FormEvent } from 'react';
import { Link } from 'react-router';
import { api, ApiError, newIdempotencyKey } from '../../api';
import { DISPUTE_REASONS, type DeliveredCode, type Dispute, type DisputeReason } from '../../pages/merchant/types';
import { ErrorAlert, Notice, SelectField } from '../ui';
import { useI18n } from '../../i18n/i18n';
import { TextAreaField } from './common';

const MAX_EVIDENCE = 2000;

/** Opens a dispute about one delivered code (reason + evidence), POST /api/v1/disputes. */
export function DisputeForm({ code, onClose }: { code: DeliveredCode; onClose: () => void }) {
  const { t } = useI18n();
  const [reason, setReason] = useState<DisputeReason>('code_invalid');
  const [evidence, setEvidence] = useState('');
  const [key] = useState(newIdempotencyKey);
  const [sending, setSending] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [created, setCreated] = useState<Dispute | null>(null);

  async function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    if (evidence.length > MAX_EVIDENCE) return;
    setSending(true);
    setError(null);
    try {
      setCreated(await api.post<Dispute>('/api/v1/disputes', { codeId: code.codeId, reason, ...(evidence.trim() ? { evidence: evidence.trim() } : {}) }, { idempotencyKey: key }));
    } catch (failure) {
      setError(failure);
    } finally {
      setSending(false);
    }
  }

  const apiError = error instanceof ApiError ? error : null;
  return (
    <div className="card" role="region" aria-label={t('merchant.dispute.title', { code: code.code })}>
      <h3 className="card__title">{t('merchant.dispute.title', { code: code.code })}</h3>
      {created ? (
        <>
          <Notice>
            {t('merchant.dispute.created')} <Link to="/merchant/disputes">{t('nav.merchant.disputes')}</Link>
          </Notice>
          <button type="button" className="button button--secondary" onClick={onClose}>
            {t('common.close')}
          </button>
        </>
      ) : (
        <form onSubmit={onSubmit} noValidate>
          <SelectField label={t('merchant.dispute.reason')} name="reason" value={reason} onChange={(e) => setReason(e.target.value as DisputeReason)} errors={apiError?.fieldMessages('reason').length ? apiError.fieldMessages('reason') : undefined}>
            {DISPUTE_REASONS.map((r) => (
              <option key={r} value={r}>
                {t(`merchant.disputeReason.${r}` as const)}
              </option>
            ))}
          </SelectField>
          <TextAreaField
            label={t('merchant.dispute.evidence')}
            hint={t('merchant.dispute.evidenceHint', { max: MAX_EVIDENCE, used: evidence.length })}
            name="evidence"
            value={evidence}
            maxLength={MAX_EVIDENCE}
            onChange={(e) => setEvidence(e.target.value)}
            errors={apiError?.fieldMessages('evidence').length ? apiError.fieldMessages('evidence') : undefined}
          />
          <ErrorAlert error={error} />
          <div className="m-actions">
            <button type="submit" className="button button--primary" disabled={sending}>
              {sending ? t('merchant.dispute.sending') : t('merchant.dispute.submit')}
            </button>
            <button type="button" className="button button--secondary" onClick={onClose}>
              {t('common.cancel')}
            </button>
          </div>
        </form>
      )}
    </div>
  );
}
