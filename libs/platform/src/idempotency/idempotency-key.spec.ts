import { DomainError } from '../errors/domain-error';
import { toProblem } from '../errors/problem-details.filter';
import { IdempotencyErrorCodes, idempotencyRequestInProgress, parseIdempotencyKey } from './idempotency-key';

const refusal = (header: string | string[]): unknown => {
  try {
    parseIdempotencyKey(header);
  } catch (error) {
    return error;
  }
  return undefined;
};

describe('parseIdempotencyKey', () => {
  it('has no key when the header is absent', () => {
    expect(parseIdempotencyKey(undefined)).toBeUndefined();
  });

  it.each([
    ['a UUID', '8e03978e-40d5-43e8-bc93-6894a57f9324', '8e03978e-40d5-43e8-bc93-6894a57f9324'],
    ['one character', 'x', 'x'],
    ['255 characters', 'k'.repeat(255), 'k'.repeat(255)],
    ['printable punctuation and inner spaces', 'order #42 / retry: {a=b}~', 'order #42 / retry: {a=b}~'],
    ['surrounding whitespace (trimmed)', '  abc  ', 'abc'],
    ['the draft\'s structured-field string', '"8e03978e-40d5"', '8e03978e-40d5'],
    ['a structured-field string with escapes', '"say \\"hi\\" \\\\ bye"', 'say "hi" \\ bye'],
    ['a one-element header list', ['abc'], 'abc'],
  ])('accepts %s', (_case, header, key) => {
    expect(parseIdempotencyKey(header)).toBe(key);
  });

  it.each([
    ['an empty value', ''],
    ['a blank value', '   '],
    ['an empty structured-field string', '""'],
    ['256 characters', 'k'.repeat(256)],
    ['a structured-field string of 256 characters', `"${'k'.repeat(256)}"`],
    ['non-ASCII characters', 'clé-🔑'],
    ['a control character', 'abc\u0007def'],
    ['a tab', 'abc\tdef'],
    ['DEL', 'abc\u007f'],
    ['a bad escape in a structured-field string', '"a\\nb"'],
    ['a bare quote in a structured-field string', '"a"b"'],
    ['several header lines', ['a', 'b']],
  ])('refuses %s with 400 invalid_idempotency_key, without echoing it', (_case, header) => {
    const error = refusal(header);
    expect(error).toBeInstanceOf(DomainError);
    expect(error).toMatchObject({ code: IdempotencyErrorCodes.InvalidKey, status: 400 });
    if (typeof header === 'string' && header.trim().length > 2) expect((error as DomainError).detail).not.toContain(header.trim());
  });
});

describe('idempotency errors as problem+json', () => {
  it('in progress is a 409 that tells the client when to retry', () => {
    expect(toProblem(idempotencyRequestInProgress(1))).toMatchObject({
      status: 409,
      code: 'idempotency_request_in_progress',
      retryAfterSeconds: 1,
    });
  });
});
