/**
 * The portal's small shared components. Every page uses them so loading, empty and error states
 * look and read the same everywhere, and every form control has its <label>.
 */
import { useEffect, useId, type InputHTMLAttributes, type ReactNode, type SelectHTMLAttributes } from 'react';
import { ApiError, errorMessage, errorReference } from '../api';
import { useI18n } from '../i18n/i18n';

/** The page's <h1>, which also names the browser tab. */
export function PageHeader({ title, children }: { title: string; children?: ReactNode }) {
  const { t } = useI18n();
  const appName = t('app.name');
  useEffect(() => {
    document.title = `${title} · ${appName}`;
  }, [title, appName]);
  return (
    <div className="page-header">
      <h1>{title}</h1>
      {children ? <div className="page-header__actions">{children}</div> : null}
    </div>
  );
}

export function Loading({ label }: { label?: string }) {
  const { t } = useI18n();
  return (
    <p className="loading" role="status" aria-live="polite">
      <span className="spinner" aria-hidden="true" />
      {label ?? t('common.loading')}
    </p>
  );
}

export function EmptyState({ title, hint, children }: { title: string; hint?: string; children?: ReactNode }) {
  return (
    <div className="empty-state">
      <p className="empty-state__title">{title}</p>
      {hint ? <p className="empty-state__hint">{hint}</p> : null}
      {children}
    </div>
  );
}

/**
 * An API error in words (role="alert"), with the reference to quote and, when `showFields`, the
 * per-field problems of a validation_failed the form does not show beside its fields.
 */
export function ErrorAlert({ error, onRetry, showFields = false }: { error: unknown; onRetry?: () => void; showFields?: boolean }) {
  const { t } = useI18n();
  if (!error) return null;
  const reference = errorReference(error);
  const fields = showFields && error instanceof ApiError ? error.fieldErrors : [];
  return (
    <div className="alert alert--error" role="alert">
      <p>{errorMessage(error, t)}</p>
      {fields.length > 0 ? (
        <ul>
          {fields.map((f) => (
            <li key={f.field}>
              <code>{f.field}</code>: {f.messages.join('; ')}
            </li>
          ))}
        </ul>
      ) : null}
      {reference ? <p className="alert__reference">{t('common.reference', { id: reference })}</p> : null}
      {onRetry ? (
        <button type="button" className="button button--secondary" onClick={onRetry}>
          {t('common.retry')}
        </button>
      ) : null}
    </div>
  );
}

export function Notice({ children, tone = 'success' }: { children: ReactNode; tone?: 'success' | 'info' }) {
  return (
    <div className={`alert alert--${tone}`} role="status" aria-live="polite">
      {children}
    </div>
  );
}

interface FieldProps {
  label: string;
  hint?: string;
  /** Messages for this field (e.g. `apiError.fieldMessages('amount')` or a local check). */
  errors?: string[];
}

function useFieldIds(errors: string[] | undefined, hint: string | undefined) {
  const id = useId();
  const hintId = hint ? `${id}-hint` : undefined;
  const errorId = errors && errors.length > 0 ? `${id}-error` : undefined;
  return { id, hintId, errorId, describedBy: [hintId, errorId].filter(Boolean).join(' ') || undefined };
}

function FieldMessages({ hint, hintId, errors, errorId }: { hint?: string; hintId?: string; errors?: string[]; errorId?: string }) {
  return (
    <>
      {hint ? (
        <p className="field__hint" id={hintId}>
          {hint}
        </p>
      ) : null}
      {errorId && errors ? (
        <p className="field__error" id={errorId}>
          {errors.join(' ')}
        </p>
      ) : null}
    </>
  );
}

/** A labelled <input>; the label, hint and error are tied to it (htmlFor, aria-describedby). */
export function TextField({ label, hint, errors, className, ...input }: FieldProps & InputHTMLAttributes<HTMLInputElement>) {
  const ids = useFieldIds(errors, hint);
  return (
    <div className={`field ${className ?? ''}`}>
      <label htmlFor={ids.id}>{label}</label>
      <input id={ids.id} aria-describedby={ids.describedBy} aria-invalid={ids.errorId ? true : undefined} {...input} />
      <FieldMessages hint={hint} hintId={ids.hintId} errors={errors} errorId={ids.errorId} />
    </div>
  );
}

/** A labelled <select>. */
export function SelectField({ label, hint, errors, className, children, ...select }: FieldProps & SelectHTMLAttributes<HTMLSelectElement>) {
  const ids = useFieldIds(errors, hint);
  return (
    <div className={`field ${className ?? ''}`}>
      <label htmlFor={ids.id}>{label}</label>
      <select id={ids.id} aria-describedby={ids.describedBy} aria-invalid={ids.errorId ? true : undefined} {...select}>
        {children}
      </select>
      <FieldMessages hint={hint} hintId={ids.hintId} errors={errors} errorId={ids.errorId} />
    </div>
  );
}

/** A labelled checkbox (label after the box). */
export function CheckboxField({ label, className, ...input }: { label: string } & Omit<InputHTMLAttributes<HTMLInputElement>, 'type'>) {
  const id = useId();
  return (
    <div className={`field field--checkbox ${className ?? ''}`}>
      <input id={id} type="checkbox" {...input} />
      <label htmlFor={id}>{label}</label>
    </div>
  );
}
