import { depositEffect } from './deposit-effect';

describe("what a supplier's deposit status does to its offers", () => {
  it('pauses when the deposit stops covering the minimum and resumes when it covers it again', () => {
    expect(depositEffect(undefined, { covered: false, sequence: 1 })).toBe('pause');
    expect(depositEffect({ sequence: 1 }, { covered: true, sequence: 2 })).toBe('resume');
    expect(depositEffect({ sequence: 2 }, { covered: false, sequence: 5 })).toBe('pause');
  });

  it('ignores a status older than, or the same as, the one held', () => {
    expect(depositEffect({ sequence: 3 }, { covered: true, sequence: 2 })).toBe('stale');
    expect(depositEffect({ sequence: 3 }, { covered: false, sequence: 3 })).toBe('stale');
  });
});
