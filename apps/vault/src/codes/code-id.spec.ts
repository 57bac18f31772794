import { ValidationFailedError } from '@kami/platform';
import { distinctIds, isStorableCodeId, ParseCodeIdPipe } from './code-id';

describe('code ids', () => {
  it('accepts decimal ids up to bigint, and nothing else', () => {
    expect(isStorableCodeId('1')).toBe(true);
    expect(isStorableCodeId('9223372036854775807')).toBe(true);
    expect(isStorableCodeId('9223372036854775808')).toBe(false);
    expect(isStorableCodeId('9999999999999999999')).toBe(false);
    for (const bad of ['0', '01', '-1', '1.5', '', ' 1', '1e3']) expect(isStorableCodeId(bad)).toBe(false);
  });

  it('keeps each id once, in the order given', () => {
    expect(distinctIds(['3', '1', '3', '2', '1'])).toEqual(['3', '1', '2']);
  });

  it('refuses a malformed path id with 400 validation_failed', () => {
    const pipe = new ParseCodeIdPipe();
    expect(pipe.transform('42')).toBe('42');
    expect(() => pipe.transform('042')).toThrow(ValidationFailedError);
    expect(() => pipe.transform('abc')).toThrow(ValidationFailedError);
  });
});
