import { formatDateTime, formatMoney, interpolate, moneyInputValue, parseMoney } from './format';

describe('formatMoney', () => {
  it('shows integer fen as yuan with two decimals and thousands separators', () => {
    expect(formatMoney(0)).toBe('¥0.00');
    expect(formatMoney(5)).toBe('¥0.05');
    expect(formatMoney(123456)).toBe('¥1,234.56');
    expect(formatMoney(100_000_000_00)).toBe('¥100,000,000.00');
    expect(formatMoney(-1500)).toBe('-¥15.00');
    expect(formatMoney(10n ** 15n)).toBe('¥10,000,000,000,000.00');
  });

  it('names other currencies by code', () => {
    expect(formatMoney(1999, 'USD')).toBe('USD 19.99');
  });
});

describe('parseMoney', () => {
  it('reads yuan as typed into fen without floating point', () => {
    expect(parseMoney('500')).toBe(50000);
    expect(parseMoney('99.5')).toBe(9950);
    expect(parseMoney('0.29')).toBe(29);
    expect(parseMoney(' ¥1,000.01 ')).toBe(100001);
    expect(parseMoney('12.')).toBe(1200);
  });

  it('refuses what is not an amount', () => {
    for (const bad of ['', 'abc', '1.234', '-5', '1e3', '12,34.5.6']) expect(parseMoney(bad)).toBeNull();
  });

  it('round-trips with moneyInputValue', () => {
    for (const fen of [0, 5, 990, 10000, 123456]) expect(parseMoney(moneyInputValue(fen))).toBe(fen);
    expect(moneyInputValue(10000)).toBe('100');
    expect(moneyInputValue(990)).toBe('9.90');
  });
});

describe('dates and templates', () => {
  it('formats a date in each language', () => {
    const iso = '2026-05-03T06:05:00.000Z';
    expect(formatDateTime(iso, 'zh')).toMatch(/2026/);
    expect(formatDateTime(iso, 'zh')).toMatch(/5月3日/);
    expect(formatDateTime(iso, 'en')).toMatch(/3 May 2026/);
    expect(formatDateTime('not a date', 'en')).toBe('not a date');
  });

  it('fills placeholders and leaves unknown ones', () => {
    expect(interpolate('{a} of {b} {c}', { a: 1, b: 'two' })).toBe('1 of two {c}');
  });
});
