import { codeFormatProblems, matchesPattern } from './code-format';

describe('code formats', () => {
  it('accepts patterns that compile and names each one that does not', () => {
    expect(codeFormatProblems({ codePattern: '[A-Z0-9]{5}(-[A-Z0-9]{5}){2}', pin: 'required', pinPattern: '\\d{6}' })).toEqual([]);
    expect(codeFormatProblems({ codePattern: '[A-Z', pin: 'optional', pinPattern: '(\\d' }).map((p) => p.field)).toEqual([
      'codeFormat.codePattern',
      'codeFormat.pinPattern',
    ]);
  });

  it('refuses a PIN pattern on a product whose codes carry no PIN', () => {
    expect(codeFormatProblems({ codePattern: '\\w+', pin: 'none', pinPattern: '\\d{4}' })).toEqual([
      { field: 'codeFormat.pinPattern', messages: ['must be empty when pin is none'] },
    ]);
  });

  it('matches the whole value, so a longer code with a valid prefix is refused', () => {
    expect(matchesPattern('\\d{16}', '1234567890123456')).toBe(true);
    expect(matchesPattern('\\d{16}', '12345678901234567')).toBe(false);
    expect(matchesPattern('a|b', 'ab')).toBe(false);
  });

  it('refuses patterns the vault cannot run in linear time or that escape the whole-value match', () => {
    expect(codeFormatProblems({ codePattern: 'x)|(?:', pin: 'optional', pinPattern: '(\\d)\\1' }).map((p) => p.field)).toEqual([
      'codeFormat.codePattern',
      'codeFormat.pinPattern',
    ]);
    expect(codeFormatProblems({ codePattern: '(?!0)\\d{16}', pin: 'none' }).map((p) => p.field)).toEqual(['codeFormat.codePattern']);
    expect(codeFormatProblems({ codePattern: '\\p{Script=Han}{2}-\\u{1F600}', pin: 'none' })).toEqual([]);
  });
});
