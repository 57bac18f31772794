import { MIN_REFRESH_DELAY_MS, refreshDelayMs } from './refresh-policy';

describe('session refresh timing', () => {
  const iat = 1_800_000_000;
  const at = (seconds: number): number => seconds * 1000;

  it('renews a 15-minute token a minute before it expires, and a 1-minute token at 80% of its life', () => {
    expect(refreshDelayMs({ iat, exp: iat + 900 }, at(iat))).toBe(840_000);
    expect(refreshDelayMs({ iat, exp: iat + 60 }, at(iat))).toBe(48_000);
    // Read later (a reload, another tab): what is left of it.
    expect(refreshDelayMs({ iat, exp: iat + 900 }, at(iat + 600))).toBe(240_000);
  });

  it('waits a little even when the renewal time has passed by the browser clock (clock skew), so it never renews in a loop', () => {
    expect(refreshDelayMs({ iat, exp: iat + 900 }, at(iat + 890))).toBe(MIN_REFRESH_DELAY_MS);
    expect(refreshDelayMs({ iat, exp: iat + 900 }, at(iat + 5_000))).toBe(MIN_REFRESH_DELAY_MS);
  });

  it('treats a token without an issue time as five minutes long', () => {
    expect(refreshDelayMs({ exp: iat + 300 }, at(iat))).toBe(240_000);
  });
});
