import { ApiKeysSection } from '../../components/merchant/ApiKeysSection';
import { WebhooksSection } from '../../components/merchant/WebhooksSection';
import { PageHeader } from '../../components/ui';
import { useI18n } from '../../i18n/i18n';

/** API keys and webhook endpoints (secrets shown once), with the webhook deliveries. */
export function IntegrationsPage() {
  const { t } = useI18n();
  return (
    <>
      <PageHeader title={t('nav.merchant.integrations')} />
      <ApiKeysSection />
      <WebhooksSection />
    </>
  );
}
