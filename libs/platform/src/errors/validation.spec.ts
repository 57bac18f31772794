import { createValidationPipe, refusedFields } from './validation';

const prototypeKeyPaths = (value: unknown): string[] => refusedFields(value, { prototypeKeys: true }).map((f) => f.field);
const unstorableTextPaths = (value: unknown): string[] => refusedFields(value, { prototypeKeys: false }).map((f) => f.field);
import { ValidationFailedError } from './domain-error';

describe('prototype keys in request bodies', () => {
  it('finds __proto__, constructor and prototype as own keys at any depth, as JSON.parse leaves them', () => {
    const body = JSON.parse('{"__proto__":{"a":1},"lines":[{"q":1,"constructor":{}}],"x":{"y":{"prototype":null}}}') as unknown;
    expect(prototypeKeyPaths(body)).toEqual(['__proto__', 'lines.0.constructor', 'x.y.prototype']);
    expect(prototypeKeyPaths(JSON.parse('{"proto":1,"constructors":[1]}'))).toEqual([]);
  });

  it('makes the validation pipe refuse such a body, whatever type the route declares', async () => {
    const pipe = createValidationPipe();
    const body = JSON.parse('{"__proto__":{"admin":true}}') as unknown;
    await expect(pipe.transform(body, { type: 'body', metatype: Object })).rejects.toBeInstanceOf(ValidationFailedError);
    await expect(pipe.transform({ ok: 1 }, { type: 'body', metatype: Object })).resolves.toEqual({ ok: 1 });
  });
});

describe('text no database can store', () => {
  it('finds lone surrogates and NUL characters in keys and values at any depth, and leaves real Unicode alone', () => {
    const body = JSON.parse('{"legalName":"\\ud800","lines":[{"note":"a\\u0000b"}],"ok":"漢字 😀","pair":"\\ud83d\\ude00","\\udc00":1}') as unknown;
    expect(unstorableTextPaths(body)).toEqual(['legalName', 'lines.0.note', '\udc00']);
  });

  it('makes the validation pipe refuse it in a body, a query and a path parameter with 400 validation_failed naming the field', async () => {
    const pipe = createValidationPipe();
    await expect(pipe.transform(JSON.parse('{"legalName":"\\ud800"}'), { type: 'body', metatype: Object })).rejects.toMatchObject({
      status: 400,
      code: 'validation_failed',
      fields: [{ field: 'legalName', messages: ['legalName must be Unicode text without NUL characters'] }],
    });
    await expect(pipe.transform({ q: 'x\u0000' }, { type: 'query', metatype: Object })).rejects.toMatchObject({ fields: [{ field: 'q' }] });
    await expect(pipe.transform('\ud800', { type: 'param', data: 'productId', metatype: String })).rejects.toMatchObject({ fields: [{ field: 'productId' }] });
    await expect(pipe.transform({ name: 'Steam 充值卡 😀' }, { type: 'body', metatype: Object })).resolves.toEqual({ name: 'Steam 充值卡 😀' });
  });
});
