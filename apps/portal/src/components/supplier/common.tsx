import { useCallback, useState } from 'react';
import { api } from '../../api';
import type { Page } from '../../api/types';
import { useI18n } from '../../i18n/i18n';
import { wordsOr } from '../../i18n/messages';
import type { Offer } from './types';
import { StatusBadge as SharedStatusBadge } from '../StatusBadge';
import './supplier-operator.css';

export type Tone = 'good' | 'warn' | 'bad' | 'info' | 'neutral';

const TONES: Record<string, Tone> = {
  active: 'good',
  approved: 'good',
  completed: 'good',
  replaced: 'good',
  refunded: 'good',
  up: 'good',
  ok: 'good',
  draft: 'neutral',
  paused: 'warn',
  pending: 'warn',
  proposed: 'warn',
  receiving: 'info',
  held: 'warn',
  open: 'warn',
  contested: 'warn',
  replacing: 'info',
  refunding: 'info',
  delisted: 'neutral',
  retired: 'neutral',
  expired: 'neutral',
  rejected: 'bad',
  revoked: 'bad',
  failed: 'bad',
  replacement_failed: 'bad',
  refund_refused: 'bad',
  down: 'bad',
  degraded: 'bad',
};

/** A supplier/operator status badge (`so.status.<value>`), coloured by what it means for the user. */
export function StatusBadge({ value, testId }: { value: string; testId?: string }) {
  return <SharedStatusBadge prefix="so.status" status={value} className={`status status--${TONES[value] ?? 'neutral'}`} testId={testId} />;
}

/** `so.<group>.<value>` in words, or the raw value when the dictionaries have none. */
export function useLabel() {
  const { t } = useI18n();
  return useCallback((group: string, value: string) => wordsOr(t, `so.${group}`, value), [t]);
}

/** Every page of a cursor-paginated list (up to `max` items). */
export async function fetchAll<T>(path: string, signal: AbortSignal, query: Record<string, string | number | undefined> = {}, max = 500): Promise<T[]> {
  const items: T[] = [];
  let cursor: string | null | undefined;
  do {
    const page: Page<T> = await api.get<Page<T>>(path, { query: { ...query, limit: 100, cursor: cursor ?? undefined }, signal });
    items.push(...page.items);
    cursor = page.nextCursor;
  } while (cursor && items.length < max);
  return items;
}

/** The supplier's own offers (the catalog answers a supplier only its own). */
export const loadOwnOffers = (signal: AbortSignal) => fetchAll<Offer>('/api/v1/catalog/offers', signal);

export function offerLabel(offer: Offer): string {
  return `${offer.product.name} · ${offer.sku}`;
}

/** A number stat in a small box. */
export function Stat({ label, value, testId }: { label: string; value: string; testId?: string }) {
  return (
    <div className="stat">
      <span className="stat__label">{label}</span>
      <span className="stat__value" data-testid={testId}>
        {value}
      </span>
    </div>
  );
}

/** Previous / next over a cursor-paginated list: keeps the cursors it has been through. */
export function useCursorPager() {
  const [stack, setStack] = useState<(string | null)[]>([null]);
  const cursor = stack[stack.length - 1] ?? null;
  return {
    cursor,
    page: stack.length,
    next: (nextCursor: string) => setStack((s) => [...s, nextCursor]),
    previous: () => setStack((s) => (s.length > 1 ? s.slice(0, -1) : s)),
    reset: () => setStack([null]),
  };
}

export function Pager({ hasNext, hasPrevious, onNext, onPrevious, page }: { hasNext: boolean; hasPrevious: boolean; onNext: () => void; onPrevious: () => void; page: number }) {
  const { t } = useI18n();
  if (!hasNext && !hasPrevious) return null;
  return (
    <nav className="pager" aria-label={t('so.pager.label')}>
      <button type="button" className="button button--secondary" onClick={onPrevious} disabled={!hasPrevious}>
        {t('so.pager.previous')}
      </button>
      <span className="muted">{t('so.pager.page', { page })}</span>
      <button type="button" className="button button--secondary" onClick={onNext} disabled={!hasNext}>
        {t('so.pager.next')}
      </button>
    </nav>
  );
}
