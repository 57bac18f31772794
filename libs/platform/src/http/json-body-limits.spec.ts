import { assertJsonDepth, jsonNestingDepth, MAX_JSON_DEPTH } from './json-body-limits';

const bytes = (text: string): Buffer => Buffer.from(text, 'utf8');
const nested = (levels: number): string => `${'{"a":'.repeat(levels)}1${'}'.repeat(levels)}`;

describe('JSON nesting depth', () => {
  it('counts objects and arrays, not brackets inside strings or escaped quotes', () => {
    expect(jsonNestingDepth(bytes('{"lines":[{"quantity":1}]}'))).toBe(3);
    expect(jsonNestingDepth(bytes('{"name":"[[[{{{","note":"a \\"[[[\\" b"}'))).toBe(1);
    expect(jsonNestingDepth(bytes('"just a string"'))).toBe(0);
    expect(jsonNestingDepth(bytes(nested(2_000)))).toBe(2_000);
  });

  it('stops reading once the limit is passed', () => {
    expect(jsonNestingDepth(bytes(nested(2_000)), 40)).toBe(41);
  });

  it('accepts a body at the limit and refuses one past it with 400 body_too_deep', () => {
    expect(() => assertJsonDepth(bytes(nested(MAX_JSON_DEPTH)))).not.toThrow();
    expect(() => assertJsonDepth(bytes(nested(MAX_JSON_DEPTH + 1)))).toThrow(expect.objectContaining({ status: 400, code: 'body_too_deep' }));
    expect(() => assertJsonDepth(bytes(`[${nested(2_000)}]`))).toThrow(expect.objectContaining({ code: 'body_too_deep' }));
  });
});
