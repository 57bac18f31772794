import { EmptyState, PageHeader } from '../../components/ui';
import { useI18n, type MessageKey } from '../../i18n/i18n';

/** A page whose content is still to be built: its title and an empty state. */
export function PlaceholderPage({ titleKey }: { titleKey: MessageKey }) {
  const { t } = useI18n();
  return (
    <>
      <PageHeader title={t(titleKey)} />
      <EmptyState title={t('page.placeholder.empty')} hint={t('page.placeholder.hint')} />
    </>
  );
}
