import { DisputesList } from '../../components/supplier/DisputesList';
import { PageHeader } from '../../components/ui';
import { useI18n } from '../../i18n/i18n';

/** Disputes about the supplier's codes: replace, refund or contest (reject) each open one. */
export function SupplierDisputesPage() {
  const { t } = useI18n();
  return (
    <>
      <PageHeader title={t('nav.supplier.disputes')} />
      <p className="section-note">{t('so.disputes.supplierNote')}</p>
      <DisputesList role="supplier" />
    </>
  );
}
