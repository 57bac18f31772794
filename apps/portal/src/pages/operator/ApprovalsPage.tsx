import { useCallback, useState } from 'react';
import { api } from '../../api';
import type { ProductSearchItem } from '../../api/types';
import { fetchAll, StatusBadge } from '../../components/supplier/common';
import type { BrandAuthorisation } from '../../components/supplier/types';
import { EmptyState, ErrorAlert, Notice, PageHeader, TextField } from '../../components/ui';
import { formatMoney } from '../../i18n/format';
import { useI18n } from '../../i18n/i18n';
import { saveBlob } from '../../lib/csv';
import { useApiData } from '../../lib/useApiData';
import { useOrganisationNames } from '../../lib/organisationNames';
import { ListStates } from '../../components/list';

const loadPendingAuthorisations = (signal: AbortSignal) => fetchAll<BrandAuthorisation>('/api/v1/catalog/brand-authorisations', signal, { status: 'pending' });
const loadProposedProducts = (signal: AbortSignal) => fetchAll<ProductSearchItem>('/api/v1/catalog/products', signal, { status: 'proposed' });

const inOneYear = () => new Date(Date.now() + 365 * 86_400_000).toISOString().slice(0, 10);

/**
 * What waits for an operator: suppliers' brand authorisations (the whitelist that lets a supplier
 * sell a brand — approved until an expiry date, or rejected with a reason the supplier reads) and
 * products suppliers proposed. Suppliers themselves are created by operators (POST
 * /identity/organisations) and need no separate approval.
 */
export function ApprovalsPage() {
  const { t } = useI18n();
  const authorisations = useApiData(loadPendingAuthorisations);
  const products = useApiData(loadProposedProducts);
  const supplierNames = useOrganisationNames(authorisations.data?.map((a) => a.supplierId) ?? []);
  const [notice, setNotice] = useState<string | null>(null);

  return (
    <>
      <PageHeader title={t('nav.operator.approvals')} />
      {notice ? <Notice>{notice}</Notice> : null}
      <section className="card" aria-labelledby="auth-title" aria-busy={authorisations.loading}>
        <div className="card__header">
          <h2 id="auth-title" className="card__title">
            {t('so.approvals.authTitle')}
          </h2>
          <button type="button" className="button button--secondary" onClick={authorisations.reload}>
            {t('common.refresh')}
          </button>
        </div>
        <p className="section-note">{t('so.approvals.authNote')}</p>
        <ListStates of={authorisations} count={authorisations.data?.length ?? 0} empty={<EmptyState title={t('so.approvals.noAuth')} />}>
          <ul className="approval-list" data-testid="pending-authorisations">
            {authorisations.data?.map((a) => (
              <AuthorisationItem
                key={a.id}
                authorisation={a}
                supplierName={supplierNames.get(a.supplierId) ?? a.supplierId.slice(0, 8)}
                onDone={(message) => {
                  setNotice(message);
                  authorisations.reload();
                }}
              />
            ))}
          </ul>
        </ListStates>
      </section>

      <section className="card" aria-labelledby="products-title" aria-busy={products.loading}>
        <div className="card__header">
          <h2 id="products-title" className="card__title">
            {t('so.approvals.productsTitle')}
          </h2>
          <button type="button" className="button button--secondary" onClick={products.reload}>
            {t('common.refresh')}
          </button>
        </div>
        <ListStates of={products} count={products.data?.length ?? 0} empty={<EmptyState title={t('so.approvals.noProducts')} />}>
          <ul className="approval-list" data-testid="proposed-products">
            {products.data?.map((p) => (
              <ProductItem
                key={p.id}
                product={p}
                onDone={(message) => {
                  setNotice(message);
                  products.reload();
                }}
              />
            ))}
          </ul>
        </ListStates>
      </section>
    </>
  );
}

function AuthorisationItem({ authorisation: a, supplierName, onDone }: { authorisation: BrandAuthorisation; supplierName: string; onDone: (message: string) => void }) {
  const { t, dateTime } = useI18n();
  const [expiry, setExpiry] = useState(inOneYear);
  const [reason, setReason] = useState('');
  const [errors, setErrors] = useState<{ expiry?: string[]; reason?: string[] }>({});
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);

  const decide = useCallback(
    async (decision: 'approve' | 'reject') => {
      const local: { expiry?: string[]; reason?: string[] } = {};
      if (decision === 'approve' && (!/^\d{4}-\d{2}-\d{2}$/.test(expiry) || new Date(`${expiry}T23:59:59Z`).getTime() <= Date.now())) local.expiry = [t('so.approvals.expiryInvalid')];
      if (decision === 'reject' && !reason.trim()) local.reason = [t('so.approvals.reasonRequired')];
      setErrors(local);
      if (local.expiry || local.reason) return;
      setBusy(true);
      setError(null);
      try {
        if (decision === 'approve') await api.post(`/api/v1/catalog/brand-authorisations/${a.id}/approve`, { expiresAt: new Date(`${expiry}T23:59:59Z`).toISOString() });
        else await api.post(`/api/v1/catalog/brand-authorisations/${a.id}/reject`, { reason: reason.trim() });
        onDone(t(decision === 'approve' ? 'so.approvals.authApproved' : 'so.approvals.authRejected', { brand: a.brand.name }));
      } catch (failure) {
        setError(failure);
      } finally {
        setBusy(false);
      }
    },
    [a, expiry, reason, onDone, t],
  );

  async function downloadProof() {
    setError(null);
    try {
      const blob = await api.get<Blob>(`/api/v1/catalog/brand-authorisations/${a.id}/proof`, { responseType: 'blob' });
      saveBlob(blob, a.proof.fileName);
    } catch (failure) {
      setError(failure);
    }
  }

  return (
    <li className="card approval" data-authorisation-id={a.id}>
      <p>
        <strong>{a.brand.name}</strong> <StatusBadge value={a.status} />
      </p>
      <p className="muted">
        {t('so.approvals.supplier', { name: supplierName })} · {t('so.approvals.appliedAt', { time: dateTime(a.createdAt) })}
      </p>
      {a.note ? <p>{a.note}</p> : null}
      <p>
        <button type="button" className="button button--ghost" onClick={downloadProof}>
          {t('so.approvals.proof', { file: a.proof.fileName })}
        </button>
      </p>
      <div className="inline-form">
        <TextField label={t('so.approvals.expiry')} type="date" name={`expiry-${a.id}`} value={expiry} onChange={(e) => setExpiry(e.target.value)} errors={errors.expiry} />
        <button type="button" className="button button--primary" disabled={busy} onClick={() => decide('approve')} aria-label={t('so.approvals.approveOf', { brand: a.brand.name })}>
          {t('so.approvals.approve')}
        </button>
      </div>
      <div className="inline-form">
        <TextField label={t('so.approvals.reason')} name={`reason-${a.id}`} value={reason} onChange={(e) => setReason(e.target.value)} errors={errors.reason} />
        <button type="button" className="button button--secondary" disabled={busy} onClick={() => decide('reject')} aria-label={t('so.approvals.rejectOf', { brand: a.brand.name })}>
          {t('so.approvals.reject')}
        </button>
      </div>
      <ErrorAlert error={error} />
    </li>
  );
}

function ProductItem({ product: p, onDone }: { product: ProductSearchItem; onDone: (message: string) => void }) {
  const { t } = useI18n();
  const [note, setNote] = useState('');
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);

  async function decide(decision: 'approve' | 'reject') {
    setBusy(true);
    setError(null);
    try {
      await api.post(`/api/v1/catalog/products/${p.id}/${decision}`, note.trim() ? { note: note.trim() } : {});
      onDone(t(decision === 'approve' ? 'so.approvals.productApproved' : 'so.approvals.productRejected', { name: p.name }));
    } catch (failure) {
      setError(failure);
    } finally {
      setBusy(false);
    }
  }

  return (
    <li className="card approval">
      <p>
        <strong>{p.name}</strong> <StatusBadge value={p.status} />
      </p>
      <p className="muted">
        {p.brand.name} · {p.categoryCode} · {formatMoney(p.faceValue, p.currency)} · {p.region}
      </p>
      <div className="inline-form">
        <TextField label={t('so.approvals.note')} name={`note-${p.id}`} value={note} onChange={(e) => setNote(e.target.value)} />
        <button type="button" className="button button--primary" disabled={busy} onClick={() => decide('approve')} aria-label={t('so.approvals.approveOf', { brand: p.name })}>
          {t('so.approvals.approve')}
        </button>
        <button type="button" className="button button--secondary" disabled={busy} onClick={() => decide('reject')} aria-label={t('so.approvals.rejectOf', { brand: p.name })}>
          {t('so.approvals.reject')}
        </button>
      </div>
      <ErrorAlert error={error} />
    </li>
  );
}
