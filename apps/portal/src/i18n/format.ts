/**
 * Pure formatting helpers. Money is always an integer number of minor units (fen): it is never
 * divided as a float, so ¥0.10 + ¥0.20 shows as ¥0.30, and amounts the user types are parsed
 * from their digits.
 */
export type Language = 'zh' | 'en';

export const LOCALES: Record<Language, string> = { zh: 'zh-CN', en: 'en-GB' };

const SYMBOLS: Record<string, string> = { CNY: '¥' };

/** `formatMoney(123456)` → `¥1,234.56`; `-5` → `-¥0.05`; other currencies as `USD 12.00`. */
export function formatMoney(fen: number | bigint, currency = 'CNY'): string {
  const value = typeof fen === 'bigint' ? fen : BigInt(Math.trunc(fen));
  const negative = value < 0n;
  const abs = negative ? -value : value;
  const whole = (abs / 100n).toString().replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  const cents = (abs % 100n).toString().padStart(2, '0');
  const symbol = SYMBOLS[currency];
  const amount = symbol ? `${symbol}${whole}.${cents}` : `${currency} ${whole}.${cents}`;
  return negative ? `-${amount}` : amount;
}

/**
 * Parses an amount typed in yuan (`500`, `99.5`, `1,000.00`, `¥12`) to fen; `null` when it is not
 * a positive-or-zero amount with at most two decimals.
 */
export function parseMoney(input: string): number | null {
  const text = input.trim().replace(/^¥/, '').replace(/,/g, '').trim();
  const match = /^(\d{1,13})(?:\.(\d{0,2}))?$/.exec(text);
  if (!match) return null;
  const whole = Number(match[1]);
  const cents = Number((match[2] ?? '').padEnd(2, '0'));
  return whole * 100 + cents;
}

/** Date and time in the user's language: `2026年5月3日 14:05` / `3 May 2026, 14:05`. */
export function formatDateTime(iso: string | Date, language: Language): string {
  const date = typeof iso === 'string' ? new Date(iso) : iso;
  if (Number.isNaN(date.getTime())) return String(iso);
  return new Intl.DateTimeFormat(LOCALES[language], { dateStyle: 'medium', timeStyle: 'short' }).format(date);
}

export function formatDate(iso: string | Date, language: Language): string {
  const date = typeof iso === 'string' ? new Date(iso) : iso;
  if (Number.isNaN(date.getTime())) return String(iso);
  return new Intl.DateTimeFormat(LOCALES[language], { dateStyle: 'medium' }).format(date);
}

export function formatNumber(value: number, language: Language): string {
  return new Intl.NumberFormat(LOCALES[language]).format(value);
}

/** Fills `{name}` placeholders; unknown ones stay as they are. */
export function interpolate(template: string, params?: Record<string, string | number>): string {
  if (!params) return template;
  return template.replace(/\{(\w+)\}/g, (whole, name: string) => (name in params ? String(params[name]) : whole));
}

/** Fen as the user would type it back into a form: `10000` → `100`, `990` → `9.90`. */
export function moneyInputValue(fen: number): string {
  const whole = Math.trunc(fen / 100);
  const cents = Math.abs(fen % 100);
  return cents === 0 ? String(whole) : `${whole}.${String(cents).padStart(2, '0')}`;
}
