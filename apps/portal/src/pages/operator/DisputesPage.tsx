import { DisputesList } from '../../components/supplier/DisputesList';
import { PageHeader } from '../../components/ui';
import { useI18n } from '../../i18n/i18n';

/** Disputes an operator resolves: contested by the supplier, or a replacement or refund that failed. */
export function OperatorDisputesPage() {
  const { t } = useI18n();
  return (
    <>
      <PageHeader title={t('nav.operator.disputes')} />
      <p className="section-note">{t('so.disputes.operatorNote')}</p>
      <DisputesList role="operator" initialStatus="contested" />
    </>
  );
}
