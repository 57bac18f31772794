import { en } from './en';
import { interpolate, type Language } from './format';
import { zh, type MessageKey, type Messages } from './zh';

export type { Language, MessageKey, Messages };

export const DICTIONARIES: Record<Language, Messages> = { zh, en };

export type Translate = (key: MessageKey, params?: Record<string, string | number>) => string;

export function isMessageKey(key: string): key is MessageKey {
  return Object.prototype.hasOwnProperty.call(zh, key);
}

/** `<prefix>.<value>` in words when the dictionaries have it, else the raw value (a code the server added later). */
export function wordsOr(t: Translate, prefix: string, value: string): string {
  const key = `${prefix}.${value}`;
  return isMessageKey(key) ? t(key) : value;
}

/** `t` for one language (pure: also used by unit tests). */
export function translator(language: Language): Translate {
  const messages = DICTIONARIES[language];
  return (key, params) => interpolate(messages[key], params);
}
