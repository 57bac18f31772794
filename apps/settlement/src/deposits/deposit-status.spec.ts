import { depositCovers } from './deposit-status';

describe('a supplier deposit against the platform minimum', () => {
  it('covers it from the minimum up', () => {
    expect(depositCovers(99_999, 100_000)).toBe(false);
    expect(depositCovers(100_000, 100_000)).toBe(true);
    expect(depositCovers(250_000, 100_000)).toBe(true);
    expect(depositCovers(0, 1)).toBe(false);
  });

  it('always covers when there is no minimum', () => {
    expect(depositCovers(0, 0)).toBe(true);
  });
});
