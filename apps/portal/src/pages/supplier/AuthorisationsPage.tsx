import { useCallback, useState, type FormEvent } from 'react';
import { api, ApiError, newIdempotencyKey } from '../../api';
import type { Brand } from '../../api/types';
import { fetchAll, StatusBadge } from '../../components/supplier/common';
import type { BrandAuthorisation } from '../../components/supplier/types';
import { fileToBase64 } from '../../components/supplier/upload';
import { EmptyState, ErrorAlert, Loading, Notice, PageHeader, SelectField, TextField } from '../../components/ui';
import { useI18n } from '../../i18n/i18n';
import { useApiData } from '../../lib/useApiData';
import { ListStates } from '../../components/list';

const PROOF_TYPES = ['application/pdf', 'image/png', 'image/jpeg'];
const MAX_PROOF_BYTES = 5 * 1024 * 1024;

const loadAuthorisations = (signal: AbortSignal) => fetchAll<BrandAuthorisation>('/api/v1/catalog/brand-authorisations', signal);
const loadBrands = (signal: AbortSignal) => api.get<Brand[] | { items: Brand[] }>('/api/v1/catalog/brands', { signal }).then((b) => (Array.isArray(b) ? b : b.items));

/**
 * Brand authorisations: the supplier's applications and their status (an approved one until its
 * expiry), and a form to apply for a brand with a proof document (PDF, PNG or JPEG, sent base64).
 */
export function AuthorisationsPage() {
  const { t, date, dateTime } = useI18n();
  const authorisations = useApiData(loadAuthorisations);
  const brands = useApiData(loadBrands);
  const [brandId, setBrandId] = useState('');
  const [note, setNote] = useState('');
  const [file, setFile] = useState<File | null>(null);
  const [errors, setErrors] = useState<{ brand?: string[]; proof?: string[] }>({});
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const [notice, setNotice] = useState<string | null>(null);
  const [idempotencyKey, setIdempotencyKey] = useState(newIdempotencyKey);

  const onApply = useCallback(
    async (event: FormEvent<HTMLFormElement>) => {
      event.preventDefault();
      const local: { brand?: string[]; proof?: string[] } = {};
      if (!brandId) local.brand = [t('so.auth.brandRequired')];
      if (!file) local.proof = [t('so.auth.proofRequired')];
      else if (!PROOF_TYPES.includes(file.type)) local.proof = [t('so.auth.proofType')];
      else if (file.size > MAX_PROOF_BYTES) local.proof = [t('so.auth.proofSize')];
      setErrors(local);
      if (local.brand || local.proof || !file) return;
      setBusy(true);
      setError(null);
      setNotice(null);
      try {
        const contentBase64 = await fileToBase64(file);
        await api.post('/api/v1/catalog/brand-authorisations', { brandId, note: note.trim() || undefined, proof: { fileName: file.name, contentType: file.type, contentBase64 } }, { idempotencyKey });
        setIdempotencyKey(newIdempotencyKey());
        setNotice(t('so.auth.applied'));
        setNote('');
        authorisations.reload();
      } catch (failure) {
        setError(failure);
      } finally {
        setBusy(false);
      }
    },
    [brandId, file, note, idempotencyKey, t, authorisations],
  );

  const apiErrors = (field: string) => (error instanceof ApiError && error.fieldMessages(field).length > 0 ? error.fieldMessages(field) : undefined);

  return (
    <>
      <PageHeader title={t('nav.supplier.authorisations')} />
      <section className="card" aria-labelledby="apply-title">
        <h2 id="apply-title" className="card__title">
          {t('so.auth.applyTitle')}
        </h2>
        <p className="section-note">{t('so.auth.applyNote')}</p>
        {brands.error ? <ErrorAlert error={brands.error} onRetry={brands.reload} /> : null}
        {!brands.data && brands.loading ? <Loading /> : null}
        {brands.data ? (
          <form onSubmit={onApply} noValidate>
            <SelectField label={t('so.auth.brand')} name="brandId" value={brandId} onChange={(e) => setBrandId(e.target.value)} errors={errors.brand ?? apiErrors('brandId')}>
              <option value="">{t('so.auth.chooseBrand')}</option>
              {brands.data.map((b) => (
                <option key={b.id} value={b.id}>
                  {b.name}
                </option>
              ))}
            </SelectField>
            <TextField label={t('so.auth.proof')} hint={t('so.auth.proofHint')} type="file" name="proof" accept="application/pdf,image/png,image/jpeg" onChange={(e) => setFile(e.target.files?.[0] ?? null)} errors={errors.proof ?? apiErrors('proof.contentBase64') ?? apiErrors('proof')} />
            <TextField label={t('so.auth.note')} hint={t('so.auth.noteHint')} name="note" value={note} onChange={(e) => setNote(e.target.value)} errors={apiErrors('note')} />
            <ErrorAlert error={error} />
            {notice ? <Notice>{notice}</Notice> : null}
            <button type="submit" className="button button--primary" disabled={busy}>
              {busy ? t('so.auth.applying') : t('so.auth.apply')}
            </button>
          </form>
        ) : null}
      </section>

      <section className="card" aria-labelledby="auths-title" aria-busy={authorisations.loading}>
        <h2 id="auths-title" className="card__title">
          {t('so.auth.listTitle')}
        </h2>
        <ListStates of={authorisations} count={authorisations.data?.length ?? 0} empty={<EmptyState title={t('so.auth.none')} hint={t('so.auth.noneHint')} />}>
          <div className="table-scroll">
            <table className="table" data-testid="authorisations">
              <thead>
                <tr>
                  <th scope="col">{t('so.auth.col.brand')}</th>
                  <th scope="col">{t('so.col.status')}</th>
                  <th scope="col">{t('so.auth.col.applied')}</th>
                  <th scope="col">{t('so.auth.col.expires')}</th>
                  <th scope="col">{t('so.auth.col.decision')}</th>
                </tr>
              </thead>
              <tbody>
                {authorisations.data?.map((a) => (
                  <tr key={a.id}>
                    <td>{a.brand.name}</td>
                    <td>
                      <StatusBadge value={a.status} testId="authorisation-status" />
                    </td>
                    <td>{dateTime(a.createdAt)}</td>
                    <td>{a.expiresAt ? date(a.expiresAt) : '—'}</td>
                    <td>{a.decisionReason ?? (a.decidedAt ? dateTime(a.decidedAt) : '—')}</td>
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
