import { useI18n } from '../i18n/i18n';
import { wordsOr } from '../i18n/messages';

/**
 * A status in words (`<prefix>.<status>` in the dictionaries, else the raw status) in a coloured
 * badge. Each side keeps its own colours (`className`): merchant `badge--*`, supplier `status--*`.
 */
export function StatusBadge({ prefix, status, className, testId }: { prefix: string; status: string; className: string; testId?: string }) {
  const { t } = useI18n();
  return (
    <span className={className} data-testid={testId} data-status={status}>
      {wordsOr(t, prefix, status)}
    </span>
  );
}
