/**
 * Small pieces shared by the merchant pages: a copy button, a labelled text area, a secret shown
 * once, status badges (the cursor list with "load more" is in ../list).
 */
import { useId, useState, type TextareaHTMLAttributes } from 'react';
import { useI18n } from '../../i18n/i18n';
import { wordsOr } from '../../i18n/messages';
import { StatusBadge as SharedStatusBadge } from '../StatusBadge';
import './merchant.css';

/** Copies `value` to the clipboard; says "Copied" for a moment (or that copying failed). */
export function CopyButton({ value, label, className }: { value: string; label: string; className?: string }) {
  const { t } = useI18n();
  const [state, setState] = useState<'idle' | 'copied' | 'failed'>('idle');
  async function onCopy() {
    try {
      await navigator.clipboard.writeText(value);
      setState('copied');
    } catch {
      setState('failed');
    }
    setTimeout(() => setState('idle'), 2000);
  }
  return (
    <button type="button" className={`button button--secondary button--small ${className ?? ''}`} onClick={onCopy} aria-label={label} aria-live="polite">
      {state === 'copied' ? t('merchant.copy.done') : state === 'failed' ? t('merchant.copy.failed') : t('merchant.copy')}
    </button>
  );
}

/** A labelled <textarea>. */
export function TextAreaField({ label, hint, errors, ...area }: { label: string; hint?: string; errors?: string[] } & TextareaHTMLAttributes<HTMLTextAreaElement>) {
  const id = useId();
  const hintId = hint ? `${id}-hint` : undefined;
  const errorId = errors && errors.length ? `${id}-error` : undefined;
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      <textarea id={id} className="m-textarea" aria-describedby={[hintId, errorId].filter(Boolean).join(' ') || undefined} aria-invalid={errorId ? true : undefined} {...area} />
      {hint ? (
        <p className="field__hint" id={hintId}>
          {hint}
        </p>
      ) : null}
      {errorId ? (
        <p className="field__error" id={errorId}>
          {errors!.join(' ')}
        </p>
      ) : null}
    </div>
  );
}

/** A secret (API key, signing secret) shown once, with a copy button and the warning. */
export function SecretOnce({ title, value, onDone }: { title: string; value: string; onDone: () => void }) {
  const { t } = useI18n();
  return (
    <div className="m-secret" role="region" aria-label={title}>
      <p>
        <strong>{title}</strong>
      </p>
      <code data-testid="secret-value">{value}</code>
      <p className="field__error">{t('merchant.secret.once')}</p>
      <div className="m-actions">
        <CopyButton value={value} label={t('merchant.secret.copy')} />
        <button type="button" className="button button--ghost button--small" onClick={onDone}>
          {t('merchant.secret.done')}
        </button>
      </div>
    </div>
  );
}

const TONES: Record<string, 'ok' | 'warn' | 'bad' | 'neutral'> = {
  delivered: 'ok',
  replaced: 'ok',
  refunded: 'ok',
  succeeded: 'ok',
  placed: 'neutral',
  reserved: 'neutral',
  paid: 'neutral',
  allocated: 'neutral',
  requested: 'neutral',
  open: 'warn',
  pending: 'warn',
  replacing: 'warn',
  refunding: 'warn',
  contested: 'warn',
  cancelled: 'bad',
  failed: 'bad',
  refused: 'bad',
  expired: 'bad',
  rejected: 'bad',
  replacement_failed: 'bad',
  refund_refused: 'bad',
};

/** A merchant status badge, coloured by how it went. */
export function StatusBadge({ prefix, status, testId }: { prefix: string; status: string; testId?: string }) {
  return <SharedStatusBadge prefix={prefix} status={status} className={`badge badge--${TONES[status] ?? 'neutral'}`} testId={testId} />;
}

/** A problem code (e.g. a refusal) in words when the dictionaries know it. */
export function useCodeInWords(): (code: string) => string {
  const { t } = useI18n();
  return (code) => wordsOr(t, 'errors', code);
}

/** `id` shortened for a table cell (the whole id in its title). */
export function ShortId({ id }: { id: string }) {
  return (
    <span className="mono" title={id}>
      {id.slice(0, 8)}
    </span>
  );
}
