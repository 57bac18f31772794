import { restockRetryAt, restockRetryDelaySeconds } from './restock-backoff';

describe('auto-restock backoff after requests that came to nothing', () => {
  it('waits nothing before a first failure, then the base, doubling, up to the cap', () => {
    expect([0, 1, 2, 3, 4, 7, 8, 1_000].map((n) => restockRetryDelaySeconds(n, 60, 3_600))).toEqual([0, 60, 120, 240, 480, 3_600, 3_600, 3_600]);
  });

  it('gives the time of the next request while it is ahead, and null once it has passed', () => {
    const failedAt = new Date('2026-11-22T10:00:00Z');
    expect(restockRetryAt(2, failedAt, 60, 3_600, new Date('2026-11-22T10:01:59Z'))).toEqual(new Date('2026-11-22T10:02:00Z'));
    expect(restockRetryAt(2, failedAt, 60, 3_600, new Date('2026-11-22T10:02:00Z'))).toBeNull();
    expect(restockRetryAt(0, null, 60, 3_600, failedAt)).toBeNull();
  });
});
