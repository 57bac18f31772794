import { CodePatternSyntaxError, codePatternProblem, compileCodePattern } from './code-pattern';

const matches = (pattern: string, value: string): boolean => compileCodePattern(pattern).matches(value);

describe('code patterns', () => {
  it('match the whole value, so a longer code with a valid prefix is refused', () => {
    expect(matches('\\d{16}', '1234567890123456')).toBe(true);
    expect(matches('\\d{16}', '12345678901234567')).toBe(false);
    expect(matches('a|b', 'ab')).toBe(false);
    expect(matches('a|b', 'b')).toBe(true);
    // Anchors a supplier wrote themselves are harmless.
    expect(matches('^[A-Z0-9]{16}$', 'ABCDEFGHJKLMNPQR')).toBe(true);
  });

  it('cannot be escaped by closing the anchoring group: such a pattern does not compile', () => {
    expect(() => compileCodePattern('x)|(?:')).toThrow(CodePatternSyntaxError);
    expect(codePatternProblem('x)|(?:')).toMatch(/unexpected \)/);
    expect(codePatternProblem(')|.*|(')).not.toBeNull();
  });

  it('runs in linear time: catastrophic backtracking patterns answer at once', () => {
    // A backtracking engine takes hours on this line; RE2 reads it once.
    const pattern = compileCodePattern('([A-Z0-9]+)+-X');
    expect(pattern.matches('A1B2C3D4E5F6G7H8J9K0L1M2N3P4Q5R6S7T8U9V0')).toBe(false);
    expect(pattern.matches('A1B2C3D4E5F6G7H8J9K0-X')).toBe(true);
    expect(compileCodePattern('(a|aa)*b').matches('a'.repeat(256))).toBe(false);
    expect(compileCodePattern('(.*a){20}').matches('a'.repeat(19))).toBe(false);
  });

  it('refuses what a linear-time engine cannot run (back-references, look-around) and what does not parse', () => {
    for (const pattern of ['(a)\\1', '(?=a)a', '(?!a)b', '[A-Z', '(\\d', 'a{1001}']) {
      expect(codePatternProblem(pattern)).toEqual(expect.any(String));
    }
    expect(codePatternProblem('[A-Z0-9]{5}(-[A-Z0-9]{5}){2}')).toBeNull();
  });

  it('reads unicode the way JavaScript patterns write it', () => {
    expect(matches('\\p{Script=Han}{2}', '卡密')).toBe(true);
    expect(matches('\\p{sc=Han}{2}', 'ab')).toBe(false);
    expect(matches('\\p{Han}+', '兑换码')).toBe(true);
    expect(matches('\\p{Lu}\\p{General_Category=Decimal_Number}\\p{gc=Ll}\\p{Letter}', 'A1bZ')).toBe(true);
    expect(matches('[\\u4e00-\\u9fff]{2}-\\u0041', '卡密-A')).toBe(true);
    expect(matches('\\u{1F600}', '😀')).toBe(true);
    // A surrogate pair written as two escapes is the one character, as in JavaScript's unicode mode.
    expect(matches('\\uD83D\\uDE00', '😀')).toBe(true);
    expect(matches('.', '😀')).toBe(true);
    // An escaped backslash before `u` stays a backslash and a `u`.
    expect(matches('\\\\u0041', '\\u0041')).toBe(true);
    expect(codePatternProblem('\\p{Script=NoSuchScript}')).toEqual(expect.any(String));
  });
});
