import { Link } from 'react-router';
import { EmptyState, PageHeader } from '../../components/ui';
import { useI18n } from '../../i18n/i18n';

export function NotFoundPage() {
  const { t } = useI18n();
  return (
    <>
      <PageHeader title={t('notFound.title')} />
      <EmptyState title={t('notFound.body')}>
        <Link className="button button--secondary" to="/">
          {t('notFound.home')}
        </Link>
      </EmptyState>
    </>
  );
}
