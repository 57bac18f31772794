import { decodeCursor, encodeCursor, toCursorPage } from './cursor-page';

describe('cursor pages', () => {
  it('round-trips a sort key through an opaque cursor', () => {
    const key = ['Steam Wallet ¥100', 9600, '4b1f0c9e-0000-4000-8000-000000000001'];
    expect(decodeCursor(encodeCursor(key), 3)).toEqual(key);
  });

  it('refuses a cursor it did not hand out with 400 invalid_cursor', () => {
    for (const bad of ['not-base64-json', encodeCursor(['a']), Buffer.from('{"a":1}').toString('base64url'), encodeCursor([{ x: 1 } as never, 1])]) {
      expect(() => decodeCursor(bad, 2)).toThrow(expect.objectContaining({ code: 'invalid_cursor', status: 400 }));
    }
  });

  it('gives a next cursor only when a further row exists', () => {
    const rows = [{ id: 'a' }, { id: 'b' }, { id: 'c' }];
    const first = toCursorPage(rows, 2, (r) => [r.id], (r) => r.id);
    expect(first.items).toEqual(['a', 'b']);
    expect(decodeCursor(first.nextCursor!, 1)).toEqual(['b']);
    expect(toCursorPage(rows, 3, (r) => [r.id], (r) => r.id).nextCursor).toBeNull();
  });
});
