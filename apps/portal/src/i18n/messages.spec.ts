import { en } from './en';
import { isMessageKey, translator } from './messages';
import { zh } from './zh';

const placeholders = (text: string) => [...text.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();

describe('dictionaries', () => {
  it('have the same keys, every message filled, with the same placeholders', () => {
    expect(Object.keys(en).sort()).toEqual(Object.keys(zh).sort());
    for (const key of Object.keys(zh) as (keyof typeof zh)[]) {
      expect(zh[key].trim()).not.toBe('');
      expect(en[key].trim()).not.toBe('');
      expect({ key, placeholders: placeholders(en[key]) }).toEqual({ key, placeholders: placeholders(zh[key]) });
    }
  });

  it('translate with parameters', () => {
    expect(translator('zh')('catalog.results', { count: 3 })).toBe('找到 3 个商品');
    expect(translator('en')('catalog.results', { count: 3 })).toBe('Products found: 3');
    expect(isMessageKey('errors.insufficient_balance')).toBe(true);
    expect(isMessageKey('errors.no_such_code')).toBe(false);
  });
});
