import { createValidationPipe, prototypeKeyPaths } from './validation';
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
