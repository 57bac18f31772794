import { MAX_QUANTITY, offerKeys, ReservationCoreError } from '../src';
import { assertCodeIds, assertId, assertQuantity, splitCodes } from '../src/validation';

describe('reservation core argument checks and key names', () => {
  it('accepts uuids and rejects ids that would break the hash tag or the key layout', () => {
    expect(() => assertId('offerId', '0b4f4a3e-8f0e-4c5a-9a57-1d2c3b4a5f60')).not.toThrow();
    for (const bad of ['', 'a{b', 'a}b', 'a b', 'a,b', 'x'.repeat(129), 42, undefined]) {
      expect(() => assertId('offerId', bad)).toThrow(ReservationCoreError);
    }
  });

  it('takes quantities from 1 to the maximum, integers only', () => {
    expect(() => assertQuantity(1)).not.toThrow();
    expect(() => assertQuantity(MAX_QUANTITY)).not.toThrow();
    for (const bad of [0, -1, 1.5, MAX_QUANTITY + 1, Number.NaN, '3']) expect(() => assertQuantity(bad)).toThrow(ReservationCoreError);
  });

  it('takes decimal code ids only (they are joined with commas in Redis)', () => {
    expect(() => assertCodeIds('ids', ['1', '9223372036854775807'])).not.toThrow();
    for (const bad of [['1,2'], ['-1'], [''], [1], 'nope']) expect(() => assertCodeIds('ids', bad)).toThrow(ReservationCoreError);
  });

  it('splits the stored code list', () => {
    expect(splitCodes('1,2,3')).toEqual(['1', '2', '3']);
    expect(splitCodes('')).toEqual([]);
    expect(splitCodes(null)).toEqual([]);
  });

  it('names every key of an offer with its hash tag', () => {
    const k = offerKeys('abc');
    expect(k).toMatchObject({ available: 'o:{abc}:avail', ready: 'o:{abc}:ready', expiry: 'o:{abc}:exp', lock: 'o:{abc}:lock' });
    expect(k.reservation('r1')).toBe('o:{abc}:r:r1');
    expect(k.temp('t')).toBe('o:{abc}:tmp:t');
  });
});
