import { isMessageKey, type Translate } from '../i18n/messages';
import { ApiError } from './client';

/**
 * An error in words a shop owner understands, in the current language: the API's stable `code`
 * looked up as `errors.<code>` in the dictionaries, a wait time for rate limits, and a generic
 * sentence for anything unknown (never the server's English `detail`).
 */
export function errorMessage(error: unknown, t: Translate): string {
  if (error instanceof ApiError) {
    if (error.code === 'rate_limited' && error.retryAfterSeconds !== undefined) return t('errors.rate_limited_wait', { seconds: error.retryAfterSeconds });
    const key = `errors.${error.code}`;
    if (isMessageKey(key)) return t(key);
    if (error.status >= 500) return t('errors.server');
    if (error.status === 400) return t('errors.bad_request');
    return t('errors.generic');
  }
  return t('errors.generic');
}

/** The reference to quote when asking for help (the server's request id), if any. */
export function errorReference(error: unknown): string | undefined {
  return error instanceof ApiError ? error.requestId : undefined;
}
